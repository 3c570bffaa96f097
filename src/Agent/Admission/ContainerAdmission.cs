using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Engine;
using Agent.Sources;

namespace Agent.Admission;

/// <summary>
/// The last check before a container is created, on every path (the plan executor and API runs): the policy again on
/// the spec that is about to be sent (symlinks on the host are resolved now, not at load), then every named volume
/// it mounts, inspected: volumes can be made out of band, after the manifest was validated, by anyone.
/// </summary>
public sealed class ContainerAdmission(IContainerEngine engine, AgentLabels labels, SecurityPolicy policy, ManifestFolder folder, Reconciliation.ComposeAdoptions adoptions,
    GitBindStore gitBinds, ManifestStore manifests)
{
    /// <summary>Why the container must not be created, or null. <paramref name="owner"/> is the object whose volumes it may
    /// mount (null: any of this instance's); <paramref name="fromManifests"/> is false for API runs, which have no folder.</summary>
    public async Task<string?> CheckAsync(ContainerSpec spec, ObjectKey? owner, bool fromManifests, CancellationToken ct)
    {
        IReadOnlySet<string>? own = null;
        if (spec.VolumesFrom.Count > 0 || new[] { spec.NetworkMode, spec.PidMode, spec.IpcMode, spec.UtsMode }.Any(m => m?.Contains(':') == true))
        {
            var list = await engine.ListContainersAsync(LabelSelector.ForInstance(labels), ct);
            own = list.Where(c => labels.IsOwned(c.Labels)).SelectMany(c => new[] { c.Name, c.Id }).ToHashSet(StringComparer.Ordinal);
        }
        var context = new AdmissionContext(folder.ResolveLinks, name => own?.Contains(name) == true)
        {
            ManifestsRoot = fromManifests ? folder.Root : null,
            OwnBindRoots = fromManifests ? [gitBinds.Root] : [], // what a repository's manifests bind, copied (see GitBindStore)
            SecretFiles = GitSecretFiles(),
        };
        var violations = policy.Check(spec, context);
        if (violations.Count > 0)
            return "refused by the security policy: " + string.Join("; ", violations.Select(v => $"{v.Field}: {v.Message}"));

        foreach (var mount in spec.Mounts.Where(m => m is { Type: MountType.Volume, Source: not null }))
        {
            var volume = await engine.InspectVolumeAsync(mount.Source!, ct);
            var facts = volume is null ? null : new VolumeFacts(volume.Name, volume.Driver, volume.Options, volume.Labels);
            var owned = volume is not null && (labels.IsOwned(volume.Labels)
                        && (owner is not { } key || volume.Labels.GetValueOrDefault(labels.Kind) == key.Kind && volume.Labels.GetValueOrDefault(labels.Object) == key.Name)
                        || Adopted(volume, owner));
            if (policy.CheckMountedVolume(mount, facts, owned) is { } problem) return problem;
        }
        return null;
    }

    /// <summary>The secret files the GitRepositories in the manifests name.</summary>
    private List<string> GitSecretFiles() =>
        manifests.Repositories.SelectMany(g => g.Spec.SecretFiles()).ToList();

    /// <summary>A compose-made volume the project adopted (recorded in the state dir, still carrying its Compose label).</summary>
    private bool Adopted(VolumeSummary volume, ObjectKey? owner) =>
        owner is { Kind: ServiceGroup.ComposeKindName } key && adoptions.Volumes(key).Contains(volume.Name)
        && volume.Labels.GetValueOrDefault(ComposeLabelNames.Project) == key.Name && !volume.Labels.ContainsKey(labels.Managed);
}
