using Agent.Core;
using Agent.Core.Model;

namespace Agent.Core.Jobs;

public enum RunAction { Wait, StartAttempt, Kill, Finish }

/// <summary>The next step of one run: wait (until a time), start an attempt, kill the current attempt, or finish.</summary>
public sealed record RunStep(RunAction Action, DateTimeOffset? Until = null, RunPhase Phase = RunPhase.Running, string? Reason = null, string? Message = null);

/// <summary>
/// The pure lifecycle of one run, after the Kubernetes Job controller: a failed attempt is retried after an
/// exponential backoff (base, 2x base, 4x base ..., at most 6 minutes) until backoffLimit retries have failed;
/// the active deadline counts from the run's start and kills whatever attempt is running.
/// </summary>
public static class RunDecisions
{
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(6);

    public static RunStep Step(JobTemplate template, JobRun run, DateTimeOffset now, TimeSpan backoffBase)
    {
        if (!run.IsActive) return new RunStep(RunAction.Wait);
        var deadline = template.ActiveDeadline is { } d ? run.Start.Plus(d) : (DateTimeOffset?)null;
        var current = run.Current;
        if (current is { Finished: true, ExitCode: 0 })
            return new RunStep(RunAction.Finish, Phase: RunPhase.Succeeded, Reason: RunReasons.Completed, Message: $"attempt {current.Number} exited 0");
        if (deadline is { } limit && now >= limit)
            return current is { Finished: false }
                ? new RunStep(RunAction.Kill, Phase: RunPhase.Failed, Reason: RunReasons.DeadlineExceeded, Message: $"still running after activeDeadline {template.ActiveDeadline}: stopping it")
                : new RunStep(RunAction.Finish, Phase: RunPhase.Failed, Reason: RunReasons.DeadlineExceeded,
                    Message: $"activeDeadline {template.ActiveDeadline} passed before {(run.Attempts.Count == 0 ? "its container started" : "a retry")}");
        if (current is null) return new RunStep(RunAction.StartAttempt);
        if (!current.Finished) return new RunStep(RunAction.Wait, deadline);

        // An attempt that could not start counts as a failed one (Kubernetes: a pod that fails to start counts toward backoffLimit).
        var failures = run.Attempts.Count(a => a.Finished && a.ExitCode != 0);
        var last = current.StartError is { } error ? $"attempt {current.Number} could not start: {error}" : $"exit code {current.ExitCode}";
        if (failures > template.BackoffLimit)
            return new RunStep(RunAction.Finish, Phase: RunPhase.Failed, Reason: current.StartError is null ? RunReasons.BackoffLimitExceeded : RunReasons.StartFailed,
                Message: $"{failures} attempt(s) failed (backoffLimit {template.BackoffLimit}); last {last}");
        var retryAt = current.End!.Value.Plus(Backoff(backoffBase, failures));
        if (now >= retryAt) return new RunStep(RunAction.StartAttempt, Message: $"retry {failures} of {template.BackoffLimit} after {last}");
        return new RunStep(RunAction.Wait, deadline is { } dl && dl < retryAt ? dl : retryAt);
    }

    /// <summary>A run killed (Replace, activeDeadline) as it ended, once the kill is over and the engine says how its
    /// container ended: one that had exited 0 before the kill was decided completed, and is a succeeded run. The kill was
    /// decided from a view a step behind (an exit event not applied yet; a hung engine's frozen list, probe-35). Null when
    /// the kill ended it, or the run is not a killed one.</summary>
    public static JobRun? CompletedBeforeKill(JobRun run, string containerId, DateTimeOffset? finishedAt, int? exitCode)
    {
        if (run is not { Phase: RunPhase.Failed, Reason: RunReasons.Replaced or RunReasons.DeadlineExceeded, End: { } killedAt }
            || run.Current?.ContainerId != containerId || exitCode != 0 || finishedAt is not { } finished || finished >= killedAt)
            return null;
        return run with
        {
            Phase = RunPhase.Succeeded,
            Reason = RunReasons.Completed,
            End = finished,
            ExitCode = 0,
            Attempts = run.Attempts.Select(a => a.ContainerId == containerId ? a with { End = finished, ExitCode = 0 } : a).ToList(),
        };
    }

    /// <summary>The wait before retry number <paramref name="failures"/>: base x 2^(failures-1), capped.</summary>
    public static TimeSpan Backoff(TimeSpan backoffBase, int failures)
    {
        var factor = Math.Pow(2, Math.Clamp(failures - 1, 0, 20));
        var ticks = Math.Min(MaxBackoff.Ticks, backoffBase.Ticks * factor);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Finished runs to remove (containers and history): beyond the history limits, newest kept, or past their TTL.</summary>
    public static IReadOnlyList<string> Expired(IEnumerable<JobRun> runs, int successfulLimit, int failedLimit, TimeSpan? ttl, DateTimeOffset now)
    {
        var finished = runs.Where(r => !r.IsActive).OrderByDescending(r => r.End).ThenByDescending(r => r.Start).ToList();
        var expired = finished.Where(r => r.Phase == RunPhase.Succeeded).Skip(successfulLimit)
            .Concat(finished.Where(r => r.Phase == RunPhase.Failed).Skip(failedLimit))
            .Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        if (ttl is { } t)
            foreach (var run in finished)
                if (run.End is { } end && end.Plus(t) <= now) expired.Add(run.Id);
        return finished.Where(r => expired.Contains(r.Id)).Select(r => r.Id).ToList();
    }
}
