using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Engine;
using Agent.Hosting;
using Microsoft.Extensions.Options;
using Agent.Reconciliation;

namespace Agent.Http;

/// <summary>Resolves an id or name to one of this agent's containers; anything else is treated as if it did not exist.
/// Also where a call on one container learns that the engine is known away: it is answered at once (from the last observed
/// state, or 503 with Retry-After) rather than held for Agent:EngineRequestTimeout (probe-18 F11).</summary>
public sealed class OwnedContainers(IContainerEngine engine, ObservedCache cache, AgentLabels labels, IOptions<AgentOptions> options)
{
    /// <summary>The container as the engine inspects it; <see cref="EngineAwayException"/> at once while the heartbeat
    /// knows the engine does not answer, and when it finds so during the inspect (logs, stats, exec, files, top and the
    /// verbs all start here).</summary>
    public async Task<ContainerDetails?> FindAsync(string idOrName, CancellationToken ct)
    {
        // Also for the scope check, which runs before the route's own id filter (probe-15f F8: `%2Fname` reached the engine).
        if (!IsContainerReference(idOrName)) return null;
        if (cache.EngineAwaySince is { } since) throw Away(since);
        // A call that came while the engine froze, before the heartbeat's finding, ends at that finding too (probe-22 F4:
        // logs, exec, top and restart waited for the whole freeze on this inspect).
        var details = await WhileAnsweringAsync(t => engine.InspectContainerAsync(idOrName, t), ct);
        return details is not null && labels.IsOwned(details.Labels) ? details : null;
    }

    /// <summary>While the engine is known away: the container as last observed, found as inspect finds it (id, name or
    /// unique id prefix), or <see cref="EngineAwayException"/> when the cache does not hold it (nothing can be checked).
    /// Null while the engine answers: ask it (<see cref="FindAsync"/>).</summary>
    public LastObservedContainer? LastObserved(string idOrName, bool withSpec)
    {
        if (cache.EngineAwaySince is not { } since || !IsContainerReference(idOrName)) return null;
        var all = cache.Containers;
        var found = all.FirstOrDefault(c => c.Id == idOrName) ?? all.FirstOrDefault(c => c.Name == idOrName.TrimStart('/'))
                    ?? (all.Where(c => c.Id.StartsWith(idOrName, StringComparison.Ordinal)).Take(2).ToList() is [var only] ? only : null);
        return found is not null && labels.IsOwned(found.Labels) ? LastObservedContainer.From(found, since, labels, withSpec) : throw Away(since);
    }

    /// <summary>Cancelled when the heartbeat finds the engine not answering (<see cref="ObservedCache.EngineAnswering"/>).</summary>
    public CancellationToken EngineAnswering => cache.EngineAnswering;

    /// <summary>One engine call on a container, ended with the 503 of <see cref="AwayNow"/> when the heartbeat finds the engine
    /// not answering while it waits (the engine froze under it), rather than after Agent:EngineRequestTimeout.</summary>
    public async Task<T> WhileAnsweringAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, EngineAnswering);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return await call(linked.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or EngineException && linked.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw AwayNow(System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>A verb's engine work (a group's restart, start, a service's stop): refused at once while the heartbeat knows
    /// the engine away, and ended with that 503 when it finds so meanwhile, rather than after Agent:EngineRequestTimeout
    /// (probe-23 F4: a restart during a freeze answered 504 after 102 s).</summary>
    public Task<T> WhileEngineAnswersAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken ct) =>
        cache.EngineAwaySince is { } since ? throw Away(since) : WhileAnsweringAsync(work, ct);

    /// <summary>The 503 of a call the heartbeat's finding ended (<see cref="EngineAnswering"/>), after it <paramref name="waited"/> when known.</summary>
    public EngineAwayException AwayNow(TimeSpan? waited = null) => Away(cache.EngineAwaySince ?? DateTimeOffset.UtcNow, ended: true, waited);

    private static bool IsContainerReference(string idOrName) => idOrName.Length <= 128 && Identifiers.Container(idOrName) == IdentifierCheck.Valid;

    private EngineAwayException Away(DateTimeOffset since, bool ended = false, TimeSpan? waited = null) =>
        new(EngineEndpoint.Resolve(options.Value.DockerHost).ToString(), since, options.Value.EngineHeartbeat, ended, waited);

    /// <summary>From the observed-state cache while it is current (no engine call), else one list call; while the engine
    /// is unreachable, the last observed state (when there is one) rather than a 503, and at once while the heartbeat
    /// knows it does not answer (a hung engine would hold each list call for Agent:EngineRequestTimeout).</summary>
    public async Task<IReadOnlyList<ContainerSummary>> ListAsync(string? group, string? service, string? state, CancellationToken ct)
    {
        IEnumerable<ContainerSummary> all;
        IEnumerable<ContainerSummary> Cached() =>
            cache.Containers.Where(c => (string.IsNullOrEmpty(group) || c.Labels.GetValueOrDefault(labels.Object) == group)
                                        && (string.IsNullOrEmpty(service) || c.Labels.GetValueOrDefault(labels.Service) == service));
        if (cache.IsCurrent || (cache.EngineAway && cache.Listings > 0)) all = Cached();
        // Nothing observed yet (the agent started while the engine hangs): 503 at once, saying since when, not a 504 that
        // names Agent:EngineRequestTimeout (probe-28 F11: "did not answer within 100 s" 7 s after the start).
        else if (cache.EngineAwaySince is { } since) throw Away(since);
        else
        {
            var selector = LabelSelector.ForInstance(labels);
            if (!string.IsNullOrEmpty(group)) selector = selector.And(labels.Object, group);
            if (!string.IsNullOrEmpty(service)) selector = selector.And(labels.Service, service);
            try
            {
                all = await WhileAnsweringAsync(t => engine.ListContainersAsync(selector, t), ct);
            }
            catch (Exception e) when (e is EngineUnavailableException or EngineAwayException && cache.Listings > 0)
            {
                all = Cached();
            }
        }
        return all.Where(c => labels.IsOwned(c.Labels)
                              && (string.IsNullOrEmpty(state) || string.Equals(c.State.ToString(), state, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
    }
}
