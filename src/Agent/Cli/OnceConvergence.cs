using Agent.Core.Model;
using Agent.Core.Status;
using Agent.Engine;
using Agent.Reconciliation;
using Agent.Status;

namespace Agent.Cli;

/// <summary>What `apply --once` reached for one object: settled (Ready, suspended or pruned) or not, and why.</summary>
public sealed record OnceResult(ObjectKey Key, bool Settled, string Line);

/// <summary>
/// `apply --once`'s convergence: the daemon's work queue and reconciler with one worker, so a failing object is retried with
/// the same per-key backoff (0.5 s, 1 s, 2 s ...) and an object that is not ready yet comes back when the reconciler asks.
/// The deadline is hard: when it passes, whatever runs is cancelled (the next apply or `agent run` finishes it).
/// </summary>
public sealed class OnceConvergence(Reconciler reconciler, StatusStore status, ILogger<OnceConvergence> logger)
{
    public async Task<IReadOnlyList<OnceResult>> RunAsync(IReadOnlyList<ObjectKey> order, TimeSpan timeout, CancellationToken ct)
    {
        var queue = new WorkQueue(TimeProvider.System);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var pending = order.ToHashSet();
        var errors = new Dictionary<ObjectKey, string>();
        // The queue hands keys out in the order they were added: phases first, then names.
        foreach (var key in order) queue.Add(key);
        while (pending.Count > 0)
        {
            ObjectKey key;
            try
            {
                key = await queue.TakeAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                break;
            }
            try
            {
                var result = await reconciler.ReconcileAsync(key, deadline.Token);
                queue.Forget(key);
                errors.Remove(key);
                if (IsSettled(key)) pending.Remove(key);
                else queue.AddAfter(key, result.RequeueAfter ?? TimeSpan.FromSeconds(1));
            }
            catch (Exception e) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                errors[key] = e is OperationCanceledException
                    ? $"cancelled while {status.Get(key)?.Condition(ConditionTypes.Progressing)?.Message ?? "reconciling"}"
                    : e.Message;
                break;
            }
            catch (Exception e) when (e is ReconcileException or EngineException)
            {
                errors[key] = e.Message;
                var delay = queue.AddRateLimited(key);
                logger.LogWarning("{Key}: not converged, retrying in {Delay:0.#}s: {Error}", key, delay.TotalSeconds, e.Message);
            }
            finally
            {
                queue.Done(key);
            }
        }
        var timedOut = deadline.IsCancellationRequested && !ct.IsCancellationRequested;
        return order.Select(key => Result(key, pending.Contains(key), errors.GetValueOrDefault(key), timedOut ? timeout : null)).ToList();
    }

    private bool IsSettled(ObjectKey key) =>
        status.Get(key) is not { } s || s.IsReady || s.Condition(ConditionTypes.Suspended)?.Status == "True";

    private OnceResult Result(ObjectKey key, bool pending, string? error, TimeSpan? timedOut)
    {
        var s = status.Get(key);
        var ready = s?.Condition(ConditionTypes.Ready);
        if (!pending) return new OnceResult(key, true, s is null ? $"{key}: pruned" : $"{key}: {ready?.Reason ?? "Ready"}");
        var why = error ?? ready?.Message ?? "not reconciled";
        if (timedOut is { } t) why += $" (not ready within --timeout {Core.Manifests.Durations.Format(t)})";
        return new OnceResult(key, false, $"{key}: NotReady {why}");
    }
}
