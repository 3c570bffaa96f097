using System.Globalization;
using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Engine;

namespace Agent.Reconciliation;

/// <summary>Observe: one label-filtered list call per resource type, no inspect per container.</summary>
public sealed class EngineObserver(IContainerEngine engine, AgentLabels labels, HealthTracker health, UserStops userStops)
{
    public async Task<ObservedState> ObserveAsync(ObjectKey key, CancellationToken ct)
    {
        var selector = LabelSelector.ForInstance(labels).And(labels.Kind, key.Kind).And(labels.Object, key.Name);
        var containers = engine.ListContainersAsync(selector, ct);
        var networks = engine.ListNetworksAsync(selector, ct);
        var volumes = engine.ListVolumesAsync(selector, ct);
        await Task.WhenAll(containers, networks, volumes);
        return new ObservedState(
            containers.Result.Where(c => labels.IsOwned(c.Labels) && c.Labels.ContainsKey(labels.Service) && !c.Labels.ContainsKey(labels.JobRun)).Select(ToObserved).ToList(),
            networks.Result.Where(n => labels.IsOwned(n.Labels))
                .Select(n => new ObservedNetwork(n.Id, n.Name, n.Labels.TryGetValue(labels.Network, out var k) ? k : ObservedNetwork.DefaultKey))
                .ToList(),
            volumes.Result.Where(v => labels.IsOwned(v.Labels)).Select(v => v.Name).ToHashSet(StringComparer.Ordinal))
        {
            PrunableVolumes = volumes.Result
                .Where(v => labels.IsOwned(v.Labels) && v.Labels.TryGetValue(labels.PruneVolume, out var p) && p == "true")
                .Select(v => v.Name).ToHashSet(StringComparer.Ordinal),
        };
    }

    /// <summary>Keys of every object that has something in the engine: finds objects whose manifest is gone.</summary>
    public async Task<IReadOnlySet<ObjectKey>> ListObjectKeysAsync(CancellationToken ct)
    {
        var selector = LabelSelector.ForInstance(labels);
        var containers = engine.ListContainersAsync(selector, ct);
        var networks = engine.ListNetworksAsync(selector, ct);
        await Task.WhenAll(containers, networks);
        return containers.Result.Select(c => c.Labels).Concat(networks.Result.Select(n => n.Labels))
            .Where(l => labels.IsOwned(l) && !l.ContainsKey(labels.Imperative) && !l.ContainsKey(labels.JobRun)
                        && l.TryGetValue(labels.Kind, out _) && l.TryGetValue(labels.Object, out _))
            .Select(l => new ObjectKey(l[labels.Kind], l[labels.Object]))
            .ToHashSet();
    }

    private ObservedContainer ToObserved(ContainerSummary c)
    {
        var observed = new ObservedContainer(
            c.Id,
            c.Name,
            c.Labels[labels.Service],
            c.Labels.TryGetValue(labels.Replica, out var r) && int.TryParse(r, CultureInfo.InvariantCulture, out var replica) ? replica : 0,
            c.Labels.TryGetValue(labels.SpecHash, out var hash) ? hash : "",
            c.State,
            c.Health,
            c.ExitCode)
        {
            PruneDisabled = c.Labels.TryGetValue(labels.Prune, out var prune) && prune == "false",
            AppliedSpec = c.Labels.GetValueOrDefault(labels.Spec),
            UpdateRole = c.Labels.GetValueOrDefault(labels.UpdateRole),
            UpdateFrom = c.Labels.GetValueOrDefault(labels.UpdateFrom),
            StoppedByUser = c.State is ContainerState.Running or ContainerState.Restarting ? null : userStops.Reason(c.Id),
        };
        return health.Annotate(observed);
    }
}
