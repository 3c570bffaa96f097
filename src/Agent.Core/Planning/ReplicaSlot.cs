namespace Agent.Core.Planning;

/// <summary>
/// The containers whose labels (agent.service, agent.replica) claim one replica slot, sorted into roles. An update that
/// was interrupted (agent killed, engine stopped) can leave two: the container being replaced and the new one (its
/// spec hash is the desired one; agent.update-from names the hash it replaces). Roles come from the labels and the
/// engine's state; a name (X-next, X-prev) is only the last tie-break, so a container renamed half-way is recognised
/// all the same. The order is total (ids break ties), so the same slot always resolves the same way.
/// </summary>
internal sealed record ReplicaSlot(ObservedContainer? Current, ObservedContainer? Next, IReadOnlyList<ObservedContainer> Extras)
{
    public static ReplicaSlot Of(IEnumerable<ObservedContainer> containers, string hash, string name)
    {
        var all = containers.ToList();
        var desired = all.Where(c => c.SpecHash == hash)
            .OrderByDescending(c => c.IsReady)
            .ThenByDescending(c => c.IsRunning)
            .ThenByDescending(c => c.State == Model.ContainerState.Created)
            .ThenByDescending(c => c.Name == name)
            .ThenBy(c => c.Id, StringComparer.Ordinal)
            .ToList();
        var candidate = desired.FirstOrDefault();
        var stale = all.Where(c => c.SpecHash != hash)
            .OrderByDescending(c => candidate is not null && c.SpecHash == candidate.UpdateFrom)
            .ThenByDescending(c => c.IsRunning)
            .ThenByDescending(c => c.Name == name)
            .ThenBy(c => c.Id, StringComparer.Ordinal)
            .ToList();
        var old = stale.FirstOrDefault();
        if (old is null) return new ReplicaSlot(candidate, null, desired.Skip(1).ToList());
        if (candidate is null) return new ReplicaSlot(old, null, stale.Skip(1).ToList());
        return new ReplicaSlot(old, candidate, [.. desired.Skip(1), .. stale.Skip(1)]);
    }
}
