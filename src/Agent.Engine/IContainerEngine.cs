using Agent.Core.Model;

namespace Agent.Engine;

/// <summary>
/// What the agent needs from a Docker engine, in the agent's own types. The only implementation,
/// <see cref="DockerEngine"/>, is the one place that talks to Docker.DotNet. Every call throws
/// <see cref="EngineException"/> (or a subtype) on failure, never a Docker.DotNet exception.
/// </summary>
public partial interface IContainerEngine
{
    Task PingAsync(CancellationToken ct);

    /// <summary>Whether the engine takes a new connection now (a connect on a fresh socket, no request; a pooled
    /// connection is not asked). An engine that shuts down closes its listener first (dockerd removes its unix socket)
    /// and only then stops its containers, whose kill and stop events still reach an events stream already open: a kill
    /// seen while this is false is the engine's shutdown, not a user's <c>docker stop</c>. True when it cannot be told
    /// (another kind of endpoint, no answer within a second).</summary>
    Task<bool> AcceptsConnectionsAsync(CancellationToken ct);
    Task<EngineVersion> GetVersionAsync(CancellationToken ct);
    Task<EngineInfo> GetInfoAsync(CancellationToken ct);

    // Containers
    Task<IReadOnlyList<ContainerSummary>> ListContainersAsync(LabelSelector selector, CancellationToken ct);
    Task<ContainerDetails?> InspectContainerAsync(string idOrName, CancellationToken ct);

    /// <summary>The containers with these full ids, stopped ones too, in one list call (the engine looks each id up
    /// rather than walking every container); one that is gone is left out.</summary>
    Task<IReadOnlyList<ContainerSummary>> ListContainersByIdAsync(IReadOnlyCollection<string> ids, CancellationToken ct);
    Task<string> CreateContainerAsync(ContainerCreateRequest request, CancellationToken ct);
    Task StartContainerAsync(string id, CancellationToken ct);
    Task StopContainerAsync(string id, TimeSpan? timeout, CancellationToken ct);

    /// <summary>Like <c>docker update --restart</c>: the policy the engine applies from now on (also at its own restart).</summary>
    Task SetRestartPolicyAsync(string id, RestartPolicy policy, CancellationToken ct);
    Task UnpauseContainerAsync(string id, CancellationToken ct);
    Task RestartContainerAsync(string id, TimeSpan? timeout, CancellationToken ct);
    Task KillContainerAsync(string id, string? signal, CancellationToken ct);
    Task RemoveContainerAsync(string id, bool force, CancellationToken ct);
    Task RenameContainerAsync(string id, string newName, CancellationToken ct);
    IAsyncEnumerable<LogEntry> GetLogsAsync(string id, LogOptions options, CancellationToken ct);
    Task<ContainerStats> GetStatsAsync(string id, CancellationToken ct);
    IAsyncEnumerable<ContainerStats> StreamStatsAsync(string id, CancellationToken ct);
    Task<ExecResult> ExecAsync(string id, ExecRequest request, CancellationToken ct);

    /// <summary>The events stream, until cancelled. Events are delivered in the engine's order.</summary>
    IAsyncEnumerable<EngineEvent> StreamEventsAsync(LabelSelector selector, CancellationToken ct) => StreamEventsAsync(selector, null, ct);

    /// <summary>The events stream from <paramref name="since"/> on: the engine first replays what it still holds of the
    /// events since then (none are lost between asking and being subscribed), then streams until cancelled.</summary>
    IAsyncEnumerable<EngineEvent> StreamEventsAsync(LabelSelector selector, DateTimeOffset? since, CancellationToken ct);

    /// <summary>The events the engine still holds of its current run up to <paramref name="until"/>, oldest first (dockerd
    /// keeps its last 256 events in memory, lost at its restart: none of an earlier run). Ends; not a subscription.</summary>
    Task<IReadOnlyList<EngineEvent>> PastEventsAsync(LabelSelector selector, DateTimeOffset until, CancellationToken ct);

    /// <summary>When the engine's current run began to serve its API, as near as it tells: the creation of its default
    /// bridge network, which dockerd makes anew at every start once it has restored its containers (and killed those a
    /// crashed run left running) and before it answers a request. Null when it has none (<c>--bridge=none</c>).</summary>
    Task<DateTimeOffset?> ServingSinceAsync(CancellationToken ct);

    // Images
    Task<ImageSummary?> InspectImageAsync(string reference, CancellationToken ct);
    Task<IReadOnlyList<ImageSummary>> ListImagesAsync(CancellationToken ct);
    Task PullImageAsync(string reference, IProgress<ImageProgress>? progress, CancellationToken ct);
    Task BuildImageAsync(Stream tarContext, string tag, IProgress<string>? progress, CancellationToken ct);

    /// <summary>A classic-builder build of a tar context (see <see cref="BuildContext"/>) with its Dockerfile path, build
    /// args, target stage and labels; the builder's output lines go to <paramref name="progress"/>.</summary>
    Task BuildImageAsync(Stream tarContext, ImageBuildRequest request, IProgress<string>? progress, CancellationToken ct);
    Task RemoveImageAsync(string reference, bool force, CancellationToken ct);
    Task<ImagePruneResult> PruneImagesAsync(CancellationToken ct);

    /// <summary>What `docker image inspect` shows; null when there is no such image.</summary>
    Task<ImageDetails?> InspectImageDetailsAsync(string reference, CancellationToken ct);
    Task<IReadOnlyList<ImageHistoryEntry>> GetImageHistoryAsync(string reference, CancellationToken ct);
    Task TagImageAsync(string reference, string target, CancellationToken ct);
    /// <summary>Pushes with the configured credentials of the reference's registry; returns the digest the registry stored.</summary>
    Task<string?> PushImageAsync(string reference, IProgress<ImageProgress>? progress, CancellationToken ct);
    Task<Stream> SaveImageAsync(string reference, CancellationToken ct);
    Task<IReadOnlyList<string>> LoadImagesAsync(Stream tar, CancellationToken ct);
    /// <summary>The engine's search of its index; <see cref="RegistryUnreachableException"/> when it reaches none.</summary>
    Task<IReadOnlyList<ImageSearchResult>> SearchImagesAsync(string term, int? limit, CancellationToken ct);
    Task<ImagePruneResult> PruneImagesAsync(ImagePruneFilter filter, CancellationToken ct);
    /// <summary><see cref="RegistryAuthException"/> when the registry refuses the credential.</summary>
    Task CheckRegistryLoginAsync(RegistryCredential credential, CancellationToken ct);

    // Networks and volumes
    Task<IReadOnlyList<NetworkSummary>> ListNetworksAsync(LabelSelector selector, CancellationToken ct);
    /// <summary>Every network whose name is exactly <paramref name="name"/>, whoever made it (the engine allows several).</summary>
    Task<IReadOnlyList<NetworkSummary>> FindNetworksByNameAsync(string name, CancellationToken ct);
    /// <summary>A bridge network of the default definition.</summary>
    Task<string> CreateNetworkAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken ct) =>
        CreateNetworkAsync(name, new NetworkSpec(name), labels, ct);

    /// <summary>A network by <paramref name="definition"/> (driver, options, ipam, internal, attachable, IPv6) under <paramref name="name"/>.</summary>
    Task<string> CreateNetworkAsync(string name, NetworkSpec definition, IReadOnlyDictionary<string, string> labels, CancellationToken ct);
    Task RemoveNetworkAsync(string idOrName, CancellationToken ct);
    Task<IReadOnlyList<VolumeSummary>> ListVolumesAsync(LabelSelector selector, CancellationToken ct);

    /// <summary>One volume with its driver options and labels, whoever made it; null when there is none of that name.</summary>
    Task<VolumeSummary?> InspectVolumeAsync(string name, CancellationToken ct);
    Task CreateVolumeAsync(string name, string driver, IReadOnlyDictionary<string, string> driverOptions, IReadOnlyDictionary<string, string> labels, CancellationToken ct);
    Task RemoveVolumeAsync(string name, CancellationToken ct);
}
