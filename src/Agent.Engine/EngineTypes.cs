using Agent.Core.Model;

namespace Agent.Engine;

/// <summary>Label filters ("key=value" or "key"), all of which must match.</summary>
public sealed record LabelSelector(IReadOnlyList<string> Labels)
{
    public static LabelSelector Of(params string[] labels) => new(labels);
    public static LabelSelector ForInstance(AgentLabels labels) => new(labels.InstanceSelector);
    public LabelSelector And(string key, string value) => new([.. Labels, $"{key}={value}"]);
}

public sealed record EngineVersion(string Version, string ApiVersion, string MinApiVersion, string Os, string Arch, string KernelVersion);

public sealed record EngineInfo(
    string Name, string ServerVersion, int Containers, int ContainersRunning, int Images,
    string Driver, int Cpus, long MemoryBytes, string OperatingSystem)
{
    /// <summary>The engine's data root (DockerRootDir: every container's files, image layers, volumes); null when not told.</summary>
    public string? DataRoot { get; init; }
}

/// <summary>One container as the list call reports it: enough to plan without inspecting.</summary>
public sealed record ContainerSummary(
    string Id,
    string Name,
    string Image,
    ContainerState State,
    HealthState Health,
    string Status,
    int? ExitCode,
    DateTimeOffset Created,
    IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>Published ports as the list call reports them (an ephemeral host port changes on every restart).</summary>
    public IReadOnlyList<PublishedPort> Ports { get; init; } = [];

    /// <summary>Started since it was last listed or inspected, as an event said: whether it has a healthcheck (and so
    /// whether <see cref="Health"/> None means "no healthcheck" or "not known yet") waits for its inspect.</summary>
    public bool HealthUnknown { get; init; }

    /// <summary>The ids of the networks it is attached to; null when not known (an entry made from a create event).</summary>
    public IReadOnlySet<string>? NetworkIds { get; init; }

    /// <summary>Its HostConfig.NetworkMode as listed (<c>container:&lt;id&gt;</c> for one in another container's network);
    /// null when not known (an entry made from an event).</summary>
    public string? NetworkMode { get; init; }

    /// <summary>It bind-mounts a host path (as listed; false for an entry made from an event).</summary>
    public bool HasBinds { get; init; }

    /// <summary>Host paths it bind-mounts read-write: what it can write (manifests there are not read).</summary>
    public IReadOnlyList<string> WritableBinds { get; init; } = [];

    /// <summary>The status text of a state, without the engine's relative age ("Up 3 seconds", "Exited (1) 2 hours ago"):
    /// the same from a listing, an event or an inspect, and it changes only with the state, so a body made from it (and
    /// its ETag) changes only when a container does.</summary>
    public static string StatusOf(ContainerState state, int? exitCode) => state switch
    {
        ContainerState.Running => "Up",
        ContainerState.Paused => "Up (Paused)",
        ContainerState.Exited => $"Exited ({exitCode ?? 0})",
        _ => state.ToString(),
    };
}

public sealed record ContainerDetails(
    string Id,
    string Name,
    string Image,
    string ImageId,
    ContainerState State,
    HealthState Health,
    int? ExitCode,
    bool OomKilled,
    long RestartCount,
    DateTimeOffset Created,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<string> Command,
    IReadOnlyList<string> Env,
    IReadOnlyDictionary<string, string> NetworkAddresses,
    IReadOnlyList<PublishedPort> Ports)
{
    /// <summary>The user the container runs as (its config, which includes the image's USER); empty for the image default root.</summary>
    public string User { get; init; } = "";

    /// <summary>The ids of the networks it is attached to.</summary>
    public IReadOnlySet<string> NetworkIds { get; init; } = new HashSet<string>();

    /// <summary>The engine's restart policy for it (what the engine does on an exit by itself).</summary>
    public RestartPolicy RestartPolicy { get; init; } = RestartPolicy.No;

    /// <summary>The capabilities its processes hold (<see cref="Core.Security.EffectiveCapabilities"/>, from its HostConfig);
    /// the engine's defaults unless told otherwise.</summary>
    public IReadOnlySet<string> Capabilities { get; init; } = Core.Security.EffectiveCapabilities.EngineDefaults;

    /// <summary>Where a tmpfs is mounted in it: the archive API writes beneath such a mount, where the container never looks.</summary>
    public IReadOnlyList<string> TmpfsMounts { get; init; } = [];

    /// <summary>The host's process id of its main process while it runs (0 otherwise).</summary>
    public long Pid { get; init; }

    /// <summary>Its bind mounts as the engine recorded them: the host path it opens again at every start.</summary>
    public IReadOnlyList<BindMount> Binds { get; init; } = [];

    /// <summary>The latest healthcheck result the engine kept ("exit code 1: connection refused"), one line, cut to 200
    /// characters; null when it has no healthcheck or none ran yet.</summary>
    public string? LastHealthCheck { get; init; }

    /// <summary>When that latest healthcheck ended (the engine's clock); null when none ran.</summary>
    public DateTimeOffset? LastHealthCheckEnd { get; init; }
}

/// <summary>A host path bound into a container at <see cref="Target"/>.</summary>
public sealed record BindMount(string Source, string Target, bool Writable = false);

public sealed record PublishedPort(int ContainerPort, string Protocol, string? HostIp, int? HostPort);

/// <summary>A create request: the agent's validated model plus the names and labels it decided.</summary>
public sealed record ContainerCreateRequest(
    string Name,
    ContainerSpec Spec,
    IReadOnlyDictionary<string, string> Labels,
    string? Network = null)
{
    /// <summary>Extra network aliases (the service name, so services reach each other by it).</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>The engine removes the container when it exits (docker run --rm; imperative runs only).</summary>
    public bool AutoRemove { get; init; }

    /// <summary>Instead of <see cref="Network"/>: every network the container joins (ids), the first at create and the
    /// others connected before it starts, each with <see cref="Aliases"/> and its own aliases and addresses.</summary>
    public IReadOnlyList<NetworkEndpoint>? Endpoints { get; init; }
}

public sealed record LogOptions(
    int? Tail = null,
    DateTimeOffset? Since = null,
    bool Timestamps = false,
    bool Follow = false,
    bool Stdout = true,
    bool Stderr = true);

public enum LogStream { Stdout, Stderr }

public sealed record LogEntry(LogStream Stream, string Text);

public sealed record ContainerStats(
    string Id,
    DateTimeOffset Read,
    double CpuPercent,
    ulong MemoryUsageBytes,
    ulong MemoryLimitBytes,
    ulong Pids,
    ulong NetworkRxBytes,
    ulong NetworkTxBytes);

public sealed record ExecRequest(
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string>? Env = null,
    string? WorkingDir = null,
    string? User = null,
    TimeSpan? Timeout = null,
    long MaxOutputBytes = ExecRequest.DefaultMaxOutputBytes)
{
    /// <summary>How much of stdout, and of stderr, an exec keeps unless asked otherwise (1 MiB each).</summary>
    public const long DefaultMaxOutputBytes = 1024 * 1024;
}

/// <summary>An exec's outcome. <see cref="Stdout"/> and <see cref="Stderr"/> hold at most the request's MaxOutputBytes
/// each; <see cref="StdoutBytes"/> and <see cref="StderrBytes"/> count everything the command wrote.</summary>
public sealed record ExecResult(long ExitCode, string Stdout, string Stderr, bool TimedOut)
{
    public long StdoutBytes { get; init; }
    public long StderrBytes { get; init; }
    public bool StdoutTruncated { get; init; }
    public bool StderrTruncated { get; init; }
}

/// <summary>An entry of the events stream: type (container, network, ...), action (die, start, health_status: healthy ...).</summary>
public sealed record EngineEvent(
    string Type,
    string Action,
    string ActorId,
    IReadOnlyDictionary<string, string> Attributes,
    DateTimeOffset Time)
{
    /// <summary>When the adapter read this event off the engine's stream (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>),
    /// before anyone handled it; 0 when not known. Whatever was true of the engine after this moment was true after the event.</summary>
    public long ReceivedAt { get; init; }
}

public sealed record ImageSummary(string Id, IReadOnlyList<string> Tags, long Size, DateTimeOffset Created)
{
    /// <summary>The image's labels (its config's); filled by inspect only.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Its config defines a healthcheck (not disabled with NONE), which its containers run unless theirs says
    /// otherwise; filled by inspect only.</summary>
    public bool HasHealthcheck { get; init; }
}

public sealed record ImagePruneResult(int Deleted, ulong SpaceReclaimed);

public sealed record NetworkSummary(string Id, string Name, string Driver, IReadOnlyDictionary<string, string> Labels);

public sealed record VolumeSummary(string Name, string Driver, string Mountpoint, IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>The driver options it was made with (type, o, device for local).</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a build asks of the classic builder, besides the context: compose's build fields.</summary>
public sealed record ImageBuildRequest(string Tag)
{
    public string Dockerfile { get; init; } = "Dockerfile";
    public IReadOnlyDictionary<string, string> Args { get; init; } = new Dictionary<string, string>();
    public string? Target { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Local images the builder may take cached layers from.</summary>
    public IReadOnlyList<string> CacheFrom { get; init; } = [];
}
