using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Engine;
using Agent.Sources;

namespace Agent.Admission;

/// <summary>
/// The last check before a container is created, on every path (the plan executor and API runs): the policy again on
/// the spec that is about to be sent (symlinks on the host are resolved now, not at load), then every named volume
/// it mounts, inspected: volumes can be made out of band, after the manifest was validated, by anyone. What it admits is
/// the spec with each bind source as the policy judged it, symlinks resolved (<see cref="BindPinning"/>): that, not the
/// spec as written, is what the engine is sent.
/// </summary>
public sealed class ContainerAdmission(IContainerEngine engine, AgentLabels labels, SecurityPolicy policy, ManifestFolder folder, Reconciliation.ComposeAdoptions adoptions,
    GitBindStore gitBinds, ManifestStore manifests, BindMountGuard guard)
{
    /// <summary>The spec to create (bind sources pinned), or why the container must not be created. <paramref name="owner"/>
    /// is the object whose volumes it may mount (null: any of this instance's); <paramref name="fromManifests"/> is false for
    /// API runs, which have no folder. <paramref name="creator"/>: the object (or run) the container is created for; its
    /// read-write binds are recorded and saved before it is admitted (<see cref="ManifestStore.RecordWritableBinds"/>), and
    /// a <see cref="State.StateWriteException"/> when that record cannot be saved means it must not be created.</summary>
    public async Task<Admitted> CheckAsync(ContainerSpec spec, ObjectKey? owner, ObjectKey creator, bool fromManifests, CancellationToken ct)
    {
        Dictionary<string, string>? own = null; // name or id of each of the agent's containers -> its id
        if (spec.VolumesFrom.Count > 0 || new[] { spec.NetworkMode, spec.PidMode, spec.IpcMode, spec.UtsMode }.Any(m => m?.Contains(':') == true))
        {
            var list = await engine.ListContainersAsync(LabelSelector.ForInstance(labels), ct);
            own = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var c in list.Where(c => labels.IsOwned(c.Labels)))
            {
                own[c.Id] = c.Id;
                own.TryAdd(c.Name, c.Id);
            }
        }
        foreach (var mount in spec.Mounts.Where(m => m is { Type: MountType.Bind, Source: not null })) gitBinds.Restore(mount.Source!);
        var resolve = BindPinning.Once(folder.ResolveLinks);
        var context = new AdmissionContext(resolve, name => own?.ContainsKey(name) == true)
        {
            ManifestsRoot = fromManifests ? folder.Root : null,
            OwnBindRoots = fromManifests ? [gitBinds.Root] : [], // what a repository's manifests bind, copied (see GitBindStore)
            SecretFiles = GitSecretFiles(),
            EngineDataRoots = spec.Mounts.Any(m => m.Type == MountType.Bind) ? await EngineDataRootsAsync(ct) : [],
        };
        var violations = policy.Check(spec, context);
        if (violations.Count > 0)
            return Admitted.No("refused by the security policy: " + string.Join("; ", violations.Select(v => $"{v.Field}: {v.Message}")));
        if (WritableLinks.Problem(spec, manifests.WritableFolders(), resolve) is { } linked) return Admitted.No(guard.RefusedCreate(owner, linked));

        foreach (var mount in spec.Mounts.Where(m => m is { Type: MountType.Volume, Source: not null }))
        {
            var volume = await engine.InspectVolumeAsync(mount.Source!, ct);
            var facts = volume is null ? null : new VolumeFacts(volume.Name, volume.Driver, volume.Options, volume.Labels);
            var owned = volume is not null && (labels.IsOwned(volume.Labels)
                        && (owner is not { } key || volume.Labels.GetValueOrDefault(labels.Kind) == key.Kind && volume.Labels.GetValueOrDefault(labels.Object) == key.Name)
                        || Adopted(volume, owner));
            if (policy.CheckMountedVolume(mount, facts, owned) is { } problem) return Admitted.No(problem);
        }
        var pinned = ByContainerId(BindPinning.Pin(spec, resolve), own);
        manifests.RecordWritableBinds(WritableBindTrust.Sources(pinned.Mounts), creator);
        return new Admitted(pinned, null);
    }

    private string? engineDataRoot;

    /// <summary>The engine's data root, asked once (it changes only with a restart of dockerd on another --data-root, which
    /// the next agent start sees).</summary>
    private async Task<IReadOnlyList<string>> EngineDataRootsAsync(CancellationToken ct)
    {
        engineDataRoot ??= (await engine.GetInfoAsync(ct)).DataRoot ?? "";
        return engineDataRoot.Length > 0 ? [engineDataRoot] : [];
    }

    /// <summary>Starts (or restarts, by <paramref name="start"/>) one of the agent's containers, the only way the agent
    /// does: null, or why it was not started or was removed after the start (a bind source moved since it was judged,
    /// see <see cref="BindMountGuard"/>). <paramref name="created"/>: the request the caller just created it with. A copy of
    /// a repository's content it binds that went missing from the state dir is made again first (the engine would refuse
    /// the start at every retry).</summary>
    public Task<string?> StartAsync(string container, Func<Task> start, CancellationToken ct, ContainerCreateRequest? created = null) =>
        guard.StartAsync(container, start, ct, created, prepare: binds =>
        {
            foreach (var bind in binds) gitBinds.Restore(bind.Source);
        });

    /// <summary>The spec with each container it shares a namespace with or takes volumes from (networkMode, pid, ipc, uts
    /// <c>container:NAME</c>, volumesFrom) named by the id of the container the policy judged, as `docker compose` does:
    /// the engine joins that container, not whichever holds the name later (a recreated one is a new container, and the
    /// plan recreates the user after it).</summary>
    private static ContainerSpec ByContainerId(ContainerSpec spec, Dictionary<string, string>? own)
    {
        if (own is null) return spec;
        string? Mode(string? mode) =>
            mode is not null && mode.StartsWith("container:", StringComparison.Ordinal) && own.TryGetValue(mode["container:".Length..], out var id) ? $"container:{id}" : mode;
        return spec with
        {
            NetworkMode = Mode(spec.NetworkMode),
            PidMode = Mode(spec.PidMode),
            IpcMode = Mode(spec.IpcMode),
            UtsMode = Mode(spec.UtsMode),
            VolumesFrom = spec.VolumesFrom.Select(v =>
            {
                var colon = v.IndexOf(':');
                var name = colon < 0 ? v : v[..colon];
                return own.TryGetValue(name, out var id) ? id + (colon < 0 ? "" : v[colon..]) : v;
            }).ToList(),
        };
    }

    /// <summary>The secret files the GitRepositories in the manifests name.</summary>
    private List<string> GitSecretFiles() =>
        manifests.Repositories.SelectMany(g => g.Spec.SecretFiles()).ToList();

    /// <summary>A compose-made volume the project adopted (recorded in the state dir, still carrying its Compose label).</summary>
    private bool Adopted(VolumeSummary volume, ObjectKey? owner) =>
        owner is { Kind: ServiceGroup.ComposeKindName } key && adoptions.Volumes(key).Contains(volume.Name)
        && volume.Labels.GetValueOrDefault(ComposeLabelNames.Project) == key.Name && !volume.Labels.ContainsKey(labels.Managed);
}

/// <summary>The spec admission let through (bind sources as judged), or why it refused.</summary>
public sealed record Admitted(ContainerSpec? Spec, string? Refused)
{
    public static Admitted No(string why) => new(null, why);
}
