namespace Agent.Core.Planning;

/// <summary>
/// The containers whose labels (agent.service, agent.replica) claim one replica slot, sorted into roles. An update that
/// was interrupted (agent killed, engine stopped) can leave two: the container being replaced and the new one (its
/// spec hash is the desired one; agent.update-from names the hash it replaces). Roles come from the labels and the
/// engine's state; a name (X-next, X-prev) is only the last tie-break, so a container renamed half-way is recognised
/// all the same. The order is total (ids break ties), so the same slot always resolves the same way.
/// <see cref="Reverted"/>: the manifest went back to the spec the old container has while its update was interrupted
/// (the other one's agent.update-from is the desired hash): Current is then that old container, which is kept, and Next
/// the abandoned new one.
/// </summary>
internal sealed record ReplicaSlot(ObservedContainer? Current, ObservedContainer? Next, IReadOnlyList<ObservedContainer> Extras, bool Reverted = false)
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
        if (IsRevertedTo(candidate, old, name)) return new ReplicaSlot(candidate, old, [.. desired.Skip(1), .. stale.Skip(1)], Reverted: true);
        return new ReplicaSlot(old, candidate, [.. desired.Skip(1), .. stale.Skip(1)]);
    }

    /// <summary>
    /// The stale container was made by an update from the desired spec, so the desired one is the container it was to
    /// replace, not a new one. When each names the other's hash (an update there and back), the one holding the
    /// replica's name is the old one: an update renames its new container only after the old one is removed.
    /// </summary>
    private static bool IsRevertedTo(ObservedContainer desired, ObservedContainer stale, string name) =>
        stale.UpdateFrom == desired.SpecHash && (desired.UpdateFrom != stale.SpecHash || (desired.Name == name && stale.Name != name));
}
