using Agent.Core.Planning;

namespace Agent.Core.Status;

/// <summary>
/// How many of a service's replicas serve, like kubectl's READY during a rollout: a replica counts when one of its
/// containers runs and is healthy (<see cref="ObservedContainer.IsServing"/>), whatever spec it runs. An old replica that
/// still serves during an update counts; one a stop-first update stopped does not; the new container (X-next) counts only
/// once it passed its health gate; a replica never counts twice (old and new both serving for a moment).
/// </summary>
public static class ServiceReadiness
{
    /// <summary>Replicas 1..<paramref name="replicas"/> that serve now.</summary>
    public static int Serving(IEnumerable<ObservedContainer> containers, int replicas, DateTimeOffset now) =>
        Count(containers.Select(c => (c.Replica, c.IsServing(now))), replicas);

    /// <summary>Replicas 1..<paramref name="replicas"/> of which a container serves, each counted once.</summary>
    public static int Count(IEnumerable<(int Replica, bool Serves)> containers, int replicas) =>
        containers.Where(c => c.Serves && c.Replica >= 1 && c.Replica <= replicas).Select(c => c.Replica).Distinct().Count();

    /// <summary>Replicas 1..<paramref name="replicas"/> that serve now with the spec <paramref name="hash"/> (an update's
    /// progress: new containers that passed their gate, promoted or not yet).</summary>
    public static int ServingSpec(IEnumerable<ObservedContainer> containers, string hash, int replicas, DateTimeOffset now) =>
        Serving(containers.Where(c => c.SpecHash == hash), replicas, now);
}
