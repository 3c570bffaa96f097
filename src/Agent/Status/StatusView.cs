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
/// An object of the manifests that no reconcile has reported on yet (the agent just started, or the engine hangs) is listed
/// as such, Ready=Unknown "not reconciled yet", never missing (probe-28 F11: `agent get composeproject/shop` said "not
/// found" and `get all` listed nothing while the engine hung after a start), with its containers as the cache lists them
/// (<see cref="FirstLookView"/>).
/// </summary>
public sealed class StatusView(StatusStore status, ObservedCache cache, Sources.ManifestStore manifests, AgentLabels labels, TimeProvider time)
{
    /// <summary>The statuses and the cache's containers, both of this moment.</summary>
    public (IReadOnlyList<ObjectStatus> Objects, IReadOnlyCollection<ContainerSummary> Containers) Read(string? kind = null)
    {
        var away = cache.EngineAway && cache.Listings > 0;
        var containers = cache.Containers; // one immutable snapshot
        var stored = status.List(kind).Select(WithGeneration).ToList();
        var known = stored.Select(s => new ObjectKey(s.Kind, s.Name)).ToHashSet();
        var unreported = manifests.All().Where(e => (kind is null || e.Key.Kind == kind) && !known.Contains(e.Key)).Select(Unreported).OfType<ObjectStatus>().ToList();
        var objects = unreported.Count == 0 ? stored
            : stored.Concat(unreported).OrderBy(s => s.Kind).ThenBy(s => s.Name, StringComparer.Ordinal).ToList();
        return (away ? LastObservedView.Of(objects, LastSeen(containers)) : objects, containers);
    }

    public IReadOnlyList<ObjectStatus> List(string? kind = null) => Read(kind).Objects;

    public ObjectStatus? Get(ObjectKey key)
    {
        var away = cache.EngineAway && cache.Listings > 0;
        var containers = cache.Containers;
        var stored = status.Get(key) is { } reported ? WithGeneration(reported) : manifests.Get(key) is { } entry ? Unreported(entry) : null;
        return stored is null || !away ? stored : LastObservedView.Of(stored, LastSeen(containers));
    }

    /// <summary>The generation of the manifest as read now, as Kubernetes raises metadata.generation when the spec is
    /// written: a reconcile that is still busy with an earlier one (a long wait) reports it only when it starts (probe-65
    /// L5: `Generation: 3 (observed 2)` while generations.json held 4). ObservedGeneration stays the reconciler's.</summary>
    private ObjectStatus WithGeneration(ObjectStatus s) =>
        manifests.Get(new ObjectKey(s.Kind, s.Name)) is { IsBroken: false, Object: not null, Generation: var now } && now > s.Generation ? s with { Generation = now } : s;

    /// <summary>A group of the manifests (selected for this host) before its first reconcile reported: its spec, not yet
    /// reconciled. An object whose manifest never read valid (a new CronJob with a bad schedule, probe-30 F15: listed
    /// nowhere but the log) is listed as Ready=False InvalidManifest with its errors, as a ServiceGroup is.</summary>
    private ObjectStatus? Unreported(Sources.DesiredEntry entry) => entry switch
    {
        { Object: ServiceGroup group, NotSelected: null } => FirstLookView.Of(new ObjectStatus
        {
            Kind = entry.Key.Kind,
            Name = entry.Key.Name,
            Source = group.Source.ToString(),
            Generation = entry.Generation,
            Conditions = Conditions.WithDefaults([], time.GetUtcNow()),
        }, group, cache.Listings > 0 ? Listed(entry.Key) : []),
        { Object: null, Errors.Count: > 0 } => new ObjectStatus
        {
            Kind = entry.Key.Kind,
            Name = entry.Key.Name,
            Source = $"{entry.Errors[0].File}:{entry.Errors[0].Line}:{entry.Errors[0].Column}",
            ManifestErrors = entry.Errors.Select(e => e.ToString()).ToList(),
            Conditions = Conditions.Set(Conditions.WithDefaults([], time.GetUtcNow()), ConditionTypes.Ready, false, "InvalidManifest",
                $"its manifest has {entry.Errors.Count} error(s) and never read valid: nothing of it runs until it does; {entry.Errors[0]}", time.GetUtcNow()),
        },
        _ => null,
    };

    private List<ListedContainer> Listed(ObjectKey key) =>
        cache.ContainersOf(key).Select(c => new ListedContainer(c.Id, c.Name, c.Labels.GetValueOrDefault(labels.Service) ?? "", labels.ReplicaOf(c.Labels),
            c.State, c.Health, !c.HealthUnknown, c.Labels.GetValueOrDefault(labels.SpecHash) ?? "", c.Created)).ToList();

    private static IEnumerable<LastSeenContainer> LastSeen(IEnumerable<ContainerSummary> containers) =>
        containers.Select(c => new LastSeenContainer(c.Id, c.Name, c.State, c.Health));
}
