using Agent.Core.Model;
using Agent.Core.Status;
using Agent.Engine;
using Agent.Reconciliation;

namespace Agent.Status;

/// <summary>
/// Statuses as readers see them (GET /objects, /servicegroups, /composeprojects, so `agent get|describe`, and the gauges):
/// the stored ones, and while the heartbeat finds the engine unreachable (the container list then answers the cache's
/// last observed state) their services from the same one snapshot of the cache (<see cref="LastObservedView"/>).
/// Worked out at each read, not written into the store, so no order of events can leave READY and the containers apart.
/// </summary>
public sealed class StatusView(StatusStore status, ObservedCache cache)
{
    /// <summary>The statuses and the cache's containers, both of this moment.</summary>
    public (IReadOnlyList<ObjectStatus> Objects, IReadOnlyCollection<ContainerSummary> Containers) Read(string? kind = null)
    {
        var away = cache.EngineAway && cache.Listings > 0;
        var containers = cache.Containers; // one immutable snapshot
        var objects = status.List(kind);
        return (away ? LastObservedView.Of(objects, LastSeen(containers)) : objects, containers);
    }

    public IReadOnlyList<ObjectStatus> List(string? kind = null) => Read(kind).Objects;

    public ObjectStatus? Get(ObjectKey key)
    {
        var away = cache.EngineAway && cache.Listings > 0;
        var containers = cache.Containers;
        var stored = status.Get(key);
        return stored is null || !away ? stored : LastObservedView.Of(stored, LastSeen(containers));
    }

    private static IEnumerable<LastSeenContainer> LastSeen(IEnumerable<ContainerSummary> containers) =>
        containers.Select(c => new LastSeenContainer(c.Id, c.Name, c.State, c.Health));
}
