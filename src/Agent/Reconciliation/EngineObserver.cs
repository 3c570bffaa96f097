using System.Globalization;
using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Engine;

namespace Agent.Reconciliation;

/// <summary>Observe: from the <see cref="ObservedCache"/> while it is current (no engine call), otherwise one
/// label-filtered list call per resource type; no inspect per container. A compose project is always asked of the engine:
/// its listing by the Compose label also finds what `docker compose up` made beside it, which the cache does not hold.</summary>
public sealed class EngineObserver(IContainerEngine engine, ObservedCache cache, AgentLabels labels, HealthTracker health, UserStops userStops, ComposeAdoptions adoptions,
    Core.Security.SecurityPolicy policy)
{
    /// <summary>What exists for <paramref name="key"/>, from the cache when it is current; with <paramref name="desired"/>,
    /// also the external networks it names (one lookup by name each, only for objects that declare one).</summary>
    public async Task<ObservedState> ObserveAsync(ObjectKey key, CancellationToken ct, ServiceGroup? desired = null)
    {
        if (!cache.IsCurrent || key.Kind == ServiceGroup.ComposeKindName) return await ObserveFreshAsync(key, ct, desired);
        var external = ExternalNetworksAsync(desired, ct);
        return await BuildAsync(key, cache.ContainersOf(key).Where(c => Owns(key, c.Labels)).ToList(),
            cache.NetworksOf(key).Where(n => Owns(key, n.Labels)).ToList(), cache.VolumesOf(key).Where(v => Owns(key, v.Labels)).ToList(), await external, ct);
    }

    /// <summary>The object's containers as the cache sees them now, without listing anything (null while the cache is not
    /// current): what status shows while an update applies. Networks, volumes and external networks are left out.</summary>
    public async Task<ObservedState?> ObserveCachedContainersAsync(ObjectKey key, CancellationToken ct)
    {
        if (!cache.IsCurrent) return null;
        return await BuildAsync(key, cache.ContainersOf(key).Where(c => Owns(key, c.Labels)).ToList(), [], [],
            (new Dictionary<string, IReadOnlyList<string>>(), new HashSet<string>()), ct);
    }

    /// <summary>What exists for <paramref name="key"/>, asked of the engine now: what a plan is verified against before it
    /// changes anything (the cache can be a moment behind).</summary>
    public async Task<ObservedState> ObserveFreshAsync(ObjectKey key, CancellationToken ct, ServiceGroup? desired = null)
    {
        var external = ExternalNetworksAsync(desired, ct);
        var selector = LabelSelector.ForInstance(labels).And(labels.Kind, key.Kind).And(labels.Object, key.Name);
        // A project that adopted compose-made networks/volumes lists them by its Compose label (its own carry it too).
        var adopted = key.Kind == ServiceGroup.ComposeKindName && adoptions.Any(key);
        var objects = adopted ? LabelSelector.Of($"{ComposeLabelNames.Project}={key.Name}") : selector;
        // A compose project's containers are listed by its Compose label: the same one call finds containers `docker compose
        // up` made beside the agent's (a Conflict), also when the plan would create nothing.
        var compose = key.Kind == ServiceGroup.ComposeKindName;
        var containers = engine.ListContainersAsync(compose ? LabelSelector.Of($"{ComposeLabelNames.Project}={key.Name}") : selector, ct);
        var networks = engine.ListNetworksAsync(objects, ct);
        var volumes = engine.ListVolumesAsync(objects, ct);
        await Task.WhenAll(containers, networks, volumes);
        return await BuildAsync(key, containers.Result, networks.Result, volumes.Result, await external, ct) with { Fresh = true };
    }

    /// <summary>The ids of each external network name, and the names that exist but may not be joined (see
    /// <see cref="ObservedState.RefusedExternalNetworks"/>).</summary>
    private async Task<(IReadOnlyDictionary<string, IReadOnlyList<string>> Found, IReadOnlySet<string> Refused)> ExternalNetworksAsync(ServiceGroup? desired, CancellationToken ct)
    {
        var names = desired?.Spec.Networks.Values.Where(n => n.External).Select(n => n.Name).Distinct().ToList() ?? [];
        var found = await Task.WhenAll(names.Select(async name => (name, Networks: await engine.FindNetworksByNameAsync(name, ct))));
        var allowed = policy.Options.AllowedExternalNetworks;
        var refused = found.Where(x => x.Networks.Count > 0 && !allowed.Any(p => Core.Security.Glob.IsMatch(p, x.name)) && !x.Networks.Any(n => labels.IsOwned(n.Labels)))
            .Select(x => x.name).ToHashSet(StringComparer.Ordinal);
        return (found.ToDictionary(x => x.name, x => (IReadOnlyList<string>)x.Networks.Select(n => n.Id).ToList(), StringComparer.Ordinal), refused);
    }

    private async Task<ObservedState> BuildAsync(ObjectKey key, IReadOnlyList<ContainerSummary> containers, IReadOnlyList<NetworkSummary> networks,
        IReadOnlyList<VolumeSummary> volumes, (IReadOnlyDictionary<string, IReadOnlyList<string>> Found, IReadOnlySet<string> Refused) externalNetworks, CancellationToken ct)
    {
        var adopted = key.Kind == ServiceGroup.ComposeKindName && adoptions.Any(key);
        var adoptedNetworks = adopted ? adoptions.Networks(key) : new HashSet<string>();
        var adoptedVolumes = adopted ? adoptions.Volumes(key) : new HashSet<string>();
        var compose = key.Kind == ServiceGroup.ComposeKindName;
        var managed = containers.Where(c => Owns(key, c.Labels) && c.Labels.ContainsKey(labels.Service) && !c.Labels.ContainsKey(labels.JobRun)).ToList();
        var foreign = compose ? containers.Where(c => IsForeign(c.Labels)).Select(Foreign).ToList() : [];
        var exited = await Task.WhenAll(managed.Where(c => c.State is ContainerState.Exited or ContainerState.Dead).Select(c => ExitedDetailsAsync(c.Id, ct)));
        var details = exited.OfType<ContainerDetails>().ToDictionary(d => d.Id);
        return new ObservedState(
            managed.Select(c => details.GetValueOrDefault(c.Id) is { } d && d.State is not (ContainerState.Exited or ContainerState.Dead)
                    ? ToObserved(ContainerEvents.FromDetails(d), null) // started again since it was listed (the engine's restart policy): the inspect is newer
                    : ToObserved(c, details.GetValueOrDefault(c.Id))).ToList(),
            networks.Where(n => Owns(key, n.Labels) || (adoptedNetworks.Contains(n.Name) && IsForeign(n.Labels)))
                .Select(n => new ObservedNetwork(n.Id, n.Name, n.Labels.TryGetValue(labels.Network, out var k) ? k : n.Labels.GetValueOrDefault(ComposeLabelNames.Network) ?? ObservedNetwork.DefaultKey)
                {
                    DefinitionHash = n.Labels.GetValueOrDefault(labels.NetworkHash),
                })
                .ToList(),
            volumes.Where(v => Owns(key, v.Labels) || (adoptedVolumes.Contains(v.Name) && IsForeign(v.Labels))).Select(v => v.Name).ToHashSet(StringComparer.Ordinal))
        {
            PrunableVolumes = volumes
                .Where(v => labels.IsOwned(v.Labels) && v.Labels.TryGetValue(labels.PruneVolume, out var p) && p == "true")
                .Select(v => v.Name).ToHashSet(StringComparer.Ordinal),
            ExternalNetworks = externalNetworks.Found,
            RefusedExternalNetworks = externalNetworks.Refused,
            Foreign = foreign.Count > 0 ? new ForeignObjects(foreign, [], new HashSet<string>()) : ForeignObjects.None,
        };
    }

    /// <summary>What `docker compose up` made for this project (its Compose label, no agent labels), minus what it adopted
    /// already. Three list calls: looked for only when a plan would create something.</summary>
    public async Task<ForeignObjects> ObserveForeignAsync(ObjectKey key, CancellationToken ct)
    {
        var selector = LabelSelector.Of($"{ComposeLabelNames.Project}={key.Name}");
        var containers = engine.ListContainersAsync(selector, ct);
        var networks = engine.ListNetworksAsync(selector, ct);
        var volumes = engine.ListVolumesAsync(selector, ct);
        await Task.WhenAll(containers, networks, volumes);
        var adoptedNetworks = adoptions.Networks(key);
        var adoptedVolumes = adoptions.Volumes(key);
        return new ForeignObjects(
            containers.Result.Where(c => IsForeign(c.Labels)).Select(Foreign).ToList(),
            networks.Result.Where(n => IsForeign(n.Labels) && !adoptedNetworks.Contains(n.Name)).Select(n => new ObservedNetwork(n.Id, n.Name)).ToList(),
            volumes.Result.Where(v => IsForeign(v.Labels) && !adoptedVolumes.Contains(v.Name)).Select(v => v.Name).ToHashSet(StringComparer.Ordinal));
    }

    private static ObservedContainer Foreign(ContainerSummary c) =>
        new(c.Id, c.Name, c.Labels.GetValueOrDefault(ComposeLabelNames.Service) ?? "", 0, "", c.State, c.Health, c.ExitCode);

    /// <summary>Made by Compose, not by any agent: no managed label at all (another agent instance's objects are neither
    /// this one's nor foreign: they are left alone).</summary>
    private bool IsForeign(IReadOnlyDictionary<string, string> objectLabels) => !objectLabels.ContainsKey(labels.Managed);

    private bool Owns(ObjectKey key, IReadOnlyDictionary<string, string> objectLabels) =>
        labels.IsOwned(objectLabels) && objectLabels.GetValueOrDefault(labels.Kind) == key.Kind && objectLabels.GetValueOrDefault(labels.Object) == key.Name;

    /// <summary>Keys of every object that has something in the engine: finds objects whose manifest is gone. With
    /// <paramref name="withJobRuns"/>, also the CronJobs and Jobs of the manifests that have run containers (not API jobs).</summary>
    public async Task<IReadOnlySet<ObjectKey>> ListObjectKeysAsync(CancellationToken ct, bool withJobRuns = false)
    {
        IEnumerable<IReadOnlyDictionary<string, string>> found;
        if (cache.IsCurrent) found = cache.Containers.Select(c => c.Labels).Concat(cache.Networks.Select(n => n.Labels));
        else
        {
            var selector = LabelSelector.ForInstance(labels);
            var containers = engine.ListContainersAsync(selector, ct);
            var networks = engine.ListNetworksAsync(selector, ct);
            await Task.WhenAll(containers, networks);
            found = containers.Result.Select(c => c.Labels).Concat(networks.Result.Select(n => n.Labels));
        }
        return found
            .Where(l => labels.IsOwned(l) && !l.ContainsKey(labels.Imperative)
                        && l.TryGetValue(labels.Kind, out var kind) && l.TryGetValue(labels.Object, out _)
                        && (!l.ContainsKey(labels.JobRun) || (withJobRuns && kind is CronJob.KindName or Job.KindName)))
            .Select(l => new ObjectKey(l[labels.Kind], l[labels.Object]))
            .ToHashSet();
    }

    /// <summary>
    /// An exited container's engine state (restart policy and count), inspected once per exit: the list call does not
    /// carry it, and it tells what happened while the agent was not watching. <see cref="Forget"/> drops it when the
    /// container starts, dies again or goes.
    /// </summary>
    private async Task<ContainerDetails?> ExitedDetailsAsync(string id, CancellationToken ct)
    {
        if (exitedDetails.TryGetValue(id, out var known)) return known;
        var details = await engine.InspectContainerAsync(id, ct);
        if (details is { State: ContainerState.Exited or ContainerState.Dead }) exitedDetails[id] = details;
        return details;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ContainerDetails> exitedDetails = new(StringComparer.Ordinal);

    public void Forget(string id) => exitedDetails.TryRemove(id, out _);

    private ObservedContainer ToObserved(ContainerSummary c, ContainerDetails? exited)
    {
        var stopBy = c.State is ContainerState.Running ? userStops.StopUnderWay(c.Id, c.Name) : StopUnderWayBy.None;
        var observed = new ObservedContainer(
            c.Id,
            c.Name,
            c.Labels[labels.Service],
            labels.ReplicaOf(c.Labels),
            c.Labels.TryGetValue(labels.SpecHash, out var hash) ? hash : "",
            c.State,
            c.Health,
            c.ExitCode)
        {
            Created = c.Created,
            PruneDisabled = c.Labels.TryGetValue(labels.Prune, out var prune) && prune == "false",
            AppliedSpec = c.Labels.GetValueOrDefault(labels.Spec),
            UpdateFrom = c.Labels.GetValueOrDefault(labels.UpdateFrom),
            HealthUnknown = c.HealthUnknown && c.State == ContainerState.Running,
            NetworkIds = c.NetworkIds,
            NetworkMode = c.NetworkMode,
            DependsOn = DependsOnOf(c.Labels),
            StoppedByUser = c.State is ContainerState.Running or ContainerState.Restarting ? null : userStops.HeldReason(c.Id) ?? UnwatchedStop(exited),
            StoppedWithEngine = c.State is ContainerState.Exited or ContainerState.Dead && userStops.StoppedWithEngine(c.Id),
            StoppedByAgent = c.State is ContainerState.Exited or ContainerState.Dead && userStops.StoppedByAgentItself(c.Id),
            StopInFlight = stopBy is not StopUnderWayBy.None,
            StopInFlightByUser = stopBy is StopUnderWayBy.User,
        };
        return health.Annotate(observed, exited?.RestartCount);
    }

    /// <summary>The services named by Compose's depends_on label ("db:service_healthy:false,migrate:..."), or none.</summary>
    private static IReadOnlyList<string> DependsOnOf(IReadOnlyDictionary<string, string> containerLabels) =>
        containerLabels.GetValueOrDefault(ComposeLabelNames.DependsOn) is { Length: > 0 } value
            ? value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(d => d.Split(':')[0]).Where(d => d.Length > 0).ToList()
            : [];

    /// <summary>A stop nobody recorded (made while the agent was not running) is a user's when the engine would have
    /// restarted an exit by itself; the agent's own stops are recorded, also across its restarts.</summary>
    private string? UnwatchedStop(ContainerDetails? exited) =>
        exited is not null && !userStops.StoppedByAgent(exited.Id) && UnwatchedExits.WasStoppedByUser(exited.RestartPolicy, exited.RestartCount, exited.ExitCode)
            ? UserStops.ByEngine : null;
}
