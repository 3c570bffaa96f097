using Agent.Core.Model;

namespace Agent.Core.Status;

/// <summary>One container as the observed-state cache last saw it (its full id and name).</summary>
public sealed record LastSeenContainer(string Id, string Name, ContainerState State, HealthState Health);

/// <summary>
/// What objects' statuses show while the engine is unreachable (probe-18 F2): each service's containers as the cache
/// last saw them, the same snapshot the container list answers, so READY, the status's containers and
/// agent_managed_containers agree with it (a stopping engine's kills arrive before it goes: READY 0/2 beside two exited
/// containers, not 2/2). Applied when a status is read, never stored: a die event that reaches the cache after the object
/// was marked EngineUnavailable shows at the next read, whatever the order. A container the cache no longer holds is
/// dropped; READY counts at most the containers last seen running and healthy (or without a healthcheck), never more
/// than the stored count (the engine's absence makes nothing ready).
/// </summary>
public static class LastObservedView
{
    public static IReadOnlyList<ObjectStatus> Of(IReadOnlyList<ObjectStatus> stored, IEnumerable<LastSeenContainer> cached)
    {
        var seen = Index(cached);
        return stored.Select(s => Of(s, seen)).ToList();
    }

    public static ObjectStatus Of(ObjectStatus stored, IEnumerable<LastSeenContainer> cached) => Of(stored, Index(cached));

    private static ObjectStatus Of(ObjectStatus stored, Seen seen) =>
        stored.Services.Count == 0 ? stored : stored with { Services = stored.Services.Select(s => Of(s, seen)).ToList() };

    private static ServiceStatus Of(ServiceStatus service, Seen seen)
    {
        var containers = service.Containers
            .Select(c => (Shown: c, Last: seen.ById.GetValueOrDefault(c.Id) ?? seen.ByName.GetValueOrDefault(c.Name)))
            .Where(x => x.Last is not null)
            .Select(x => x.Shown with { State = ContainerStatus.Lower(x.Last!.State), Health = ContainerStatus.Lower(x.Last.Health) })
            .ToList();
        var serving = containers.Count(c => c.State == "running" && c.Health is "healthy" or "none");
        return service with { ReadyReplicas = Math.Min(service.ReadyReplicas, serving), Containers = containers };
    }

    /// <summary>Status holds a container's short id (12 characters, as docker ps); by name when the id is not found.</summary>
    private static Seen Index(IEnumerable<LastSeenContainer> cached)
    {
        var byId = new Dictionary<string, LastSeenContainer>(StringComparer.Ordinal);
        var byName = new Dictionary<string, LastSeenContainer>(StringComparer.Ordinal);
        foreach (var c in cached)
        {
            byId[ContainerStatus.ShortId(c.Id)] = c;
            byName[c.Name] = c;
        }
        return new Seen(byId, byName);
    }

    private sealed record Seen(Dictionary<string, LastSeenContainer> ById, Dictionary<string, LastSeenContainer> ByName);
}
