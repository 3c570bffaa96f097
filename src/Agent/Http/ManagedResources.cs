using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;

namespace Agent.Http;

/// <summary>
/// The volumes and networks the agent manages: those carrying this instance's labels, and the compose-made ones a
/// ComposeProject adopted (`adopt: true`; recorded in the state dir, still carrying only Compose's labels, which cannot
/// change). Anything else is treated as if it did not exist.
/// </summary>
public sealed class ManagedResources(IContainerEngine engine, AgentLabels labels, ComposeAdoptions adoptions)
{
    private const string VolumePrefix = "volume:";
    private const string NetworkPrefix = "network:";

    public async Task<IReadOnlyList<VolumeSummary>> ListVolumesAsync(CancellationToken ct)
    {
        var owned = (await engine.ListVolumesAsync(LabelSelector.ForInstance(labels), ct)).Where(v => labels.IsOwned(v.Labels));
        var adopted = await Task.WhenAll(adoptions.All(VolumePrefix).Select(name => engine.InspectVolumeAsync(name, ct)));
        return owned.Concat(adopted.OfType<VolumeSummary>().Where(v => AdoptedBy(VolumePrefix, v.Name, v.Labels) is not null))
            .DistinctBy(v => v.Name).OrderBy(v => v.Name, StringComparer.Ordinal).ToList();
    }

    public async Task<VolumeSummary?> FindVolumeAsync(string? name, CancellationToken ct) =>
        DeclaredResources.IsPlausibleName(name) && await engine.InspectVolumeAsync(name!, ct) is { } v && IsManaged(VolumePrefix, v.Name, v.Labels) ? v : null;

    public async Task<IReadOnlyList<NetworkSummary>> ListNetworksAsync(CancellationToken ct)
    {
        var owned = (await engine.ListNetworksAsync(LabelSelector.ForInstance(labels), ct)).Where(n => labels.IsOwned(n.Labels));
        var adopted = new List<NetworkSummary>();
        foreach (var name in adoptions.All(NetworkPrefix))
            adopted.AddRange((await engine.FindNetworksByNameAsync(name, ct)).Where(n => AdoptedBy(NetworkPrefix, n.Name, n.Labels) is not null));
        return owned.Concat(adopted).DistinctBy(n => n.Id).OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
    }

    public async Task<NetworkDetails?> FindNetworkAsync(string? idOrName, CancellationToken ct) =>
        DeclaredResources.IsPlausibleName(idOrName) && await engine.InspectNetworkAsync(idOrName!, ct) is { } n && IsManaged(NetworkPrefix, n.Name, n.Labels) ? n : null;

    /// <summary>Whether the volume is the agent's: its own labels, or adopted by a compose project.</summary>
    public bool IsManagedVolume(string name, IReadOnlyDictionary<string, string> objectLabels) => IsManaged(VolumePrefix, name, objectLabels);

    /// <summary>The object a managed volume belongs to: its agent labels' kind/object, or the project that adopted it.</summary>
    public ObjectKey? VolumeOwner(VolumeSummary v) => Owner(VolumePrefix, v.Name, v.Labels);

    public ObjectKey? NetworkOwner(string name, IReadOnlyDictionary<string, string> objectLabels) => Owner(NetworkPrefix, name, objectLabels);

    /// <summary>The labels a scope check judges: an adopted object's are its project's (kind and object).</summary>
    public IReadOnlyDictionary<string, string> ScopeLabels(ObjectKey? owner, IReadOnlyDictionary<string, string> objectLabels)
    {
        if (owner is not { } key || labels.IsOwned(objectLabels)) return objectLabels;
        return new Dictionary<string, string>(objectLabels) { [labels.Kind] = key.Kind, [labels.Object] = key.Name };
    }

    private bool IsManaged(string prefix, string name, IReadOnlyDictionary<string, string> objectLabels) =>
        labels.IsOwned(objectLabels) || AdoptedBy(prefix, name, objectLabels) is not null;

    private ObjectKey? Owner(string prefix, string name, IReadOnlyDictionary<string, string> objectLabels) =>
        labels.IsOwned(objectLabels)
            ? objectLabels.TryGetValue(labels.Kind, out var kind) && objectLabels.TryGetValue(labels.Object, out var obj) ? new ObjectKey(kind, obj) : null
            : AdoptedBy(prefix, name, objectLabels);

    /// <summary>Adopted by a project, and still the compose-made object of that project (not one made again since by
    /// anyone else under the same name).</summary>
    private ObjectKey? AdoptedBy(string prefix, string name, IReadOnlyDictionary<string, string> objectLabels) =>
        adoptions.AdoptedBy(prefix, name) is { } project && !objectLabels.ContainsKey(labels.Managed)
        && objectLabels.GetValueOrDefault(ComposeLabelNames.Project) == project.Name ? project : null;
}
