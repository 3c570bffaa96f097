namespace Agent.Core.Model;

/// <summary>
/// The normalised description of one container, a superset of what a compose service can say.
/// Every kind (ServiceGroup, ComposeProject, CronJob, the imperative API) maps onto it; the engine
/// request is built from it and nothing else. Everything in here is covered by the spec hash.
/// </summary>
public sealed record ContainerSpec
{
    public required string Image { get; init; }
    public PullPolicy ImagePullPolicy { get; init; } = PullPolicy.IfNotPresent;

    /// <summary>Set when the image is built from a context rather than pulled; null keeps other specs' hashes unchanged.</summary>
    public BuildSpec? Build { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public IReadOnlyList<string>? Entrypoint { get; init; }
    public string? WorkingDir { get; init; }
    public string? User { get; init; }
    public string? Hostname { get; init; }
    public IReadOnlyDictionary<string, string> Env { get; init; } = Empty.Map;
    public IReadOnlyList<PortMapping> Ports { get; init; } = [];
    public IReadOnlyList<MountSpec> Mounts { get; init; } = [];
    public IReadOnlyDictionary<string, string> Labels { get; init; } = Empty.Map;
    public RestartPolicy Restart { get; init; } = RestartPolicy.No;
    public HealthcheckSpec? Healthcheck { get; init; }
    public ResourceLimits Resources { get; init; } = ResourceLimits.None;
    public bool ReadOnlyRootFilesystem { get; init; }
    public IReadOnlyList<string> CapAdd { get; init; } = [];
    public IReadOnlyList<string> CapDrop { get; init; } = [];
    public bool NoNewPrivileges { get; init; }
    public string? StopSignal { get; init; }
    public TimeSpan? StopGracePeriod { get; init; }
    public LoggingSpec? Logging { get; init; }
    public IReadOnlyList<string> ExtraHosts { get; init; } = [];
    public IReadOnlyList<string> NetworkAliases { get; init; } = [];

    /// <summary>The networks the container joins when they are not just the object's default network (compose's service
    /// networks:), in the order they are joined; null for the default network with <see cref="NetworkAliases"/>.</summary>
    public IReadOnlyList<NetworkAttachment>? Networks { get; init; }
    public bool Init { get; init; }

    /// <summary>A terminal for the process (compose <c>tty</c>); null, not false, when off, so the hash of a spec without
    /// it is what it was before the field existed.</summary>
    public bool? Tty { get; init; }

    /// <summary>Stdin kept open with nothing attached (compose <c>stdin_open</c>); null when off, as <see cref="Tty"/>.</summary>
    public bool? OpenStdin { get; init; }

    // Fields a compose file can carry that the security policy judges; the default profile refuses most of them.
    public bool Privileged { get; init; }
    public string? NetworkMode { get; init; }
    public string? PidMode { get; init; }
    public string? IpcMode { get; init; }
    public string? UtsMode { get; init; }
    public string? UsernsMode { get; init; }
    public string? CgroupnsMode { get; init; }
    public IReadOnlyList<string> Devices { get; init; } = [];
    public IReadOnlyList<string> DeviceCgroupRules { get; init; } = [];
    public IReadOnlyList<string> Gpus { get; init; } = [];
    public IReadOnlyList<string> SecurityOpt { get; init; } = [];
    public IReadOnlyDictionary<string, string> Sysctls { get; init; } = Empty.Map;
    public IReadOnlyList<string> VolumesFrom { get; init; } = [];
    public IReadOnlyList<string> GroupAdd { get; init; } = [];

    // Compose fields with no ServiceGroup spelling yet; null when unset so that groups' spec hashes are unchanged.
    public string? Domainname { get; init; }
    public IReadOnlyList<string>? Dns { get; init; }
    public IReadOnlyList<string>? DnsSearch { get; init; }
    public IReadOnlyList<string>? DnsOptions { get; init; }
    public IReadOnlyList<UlimitSpec>? Ulimits { get; init; }
    public long? ShmSizeBytes { get; init; }
    /// <summary>Ports exposed without publishing ("8080/tcp").</summary>
    public IReadOnlyList<string>? Expose { get; init; }

    /// <summary>Content digests of the configuration this container reads from the manifests folder (envFrom files,
    /// read-only binds), so that editing them changes the spec hash. Writable binds are data: hashed by path only.</summary>
    public IReadOnlyDictionary<string, string> FileDigests { get; init; } = Empty.Map;

    /// <summary>Env keys whose values were read from env files (envFrom, env_file): secrets. `agent diff` and the
    /// applied-spec label show a digest of them, never the value. Not hashed itself (the values are, in Env).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlySet<string> SecretEnv { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Files written into the container after it is created, before it first starts (compose secrets and
    /// configs from <c>content:</c> or <c>environment:</c>). Their text is never serialised (status, render, diff);
    /// its digest is in <see cref="FileDigests"/>, so a change recreates the container.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<ContainerFile> Files { get; init; } = [];
}

/// <summary>A read-only file the agent writes into a container: its absolute path inside and its text.</summary>
public sealed record ContainerFile(string Target, string Content)
{
    public override string ToString() => $"{Target} ({Content.Length} characters)"; // never the content itself
}

public enum PullPolicy { IfNotPresent, Always, Never }

public enum RestartMode { No, Always, OnFailure, UnlessStopped }

public sealed record RestartPolicy(RestartMode Mode, int MaxRetries = 0)
{
    public static readonly RestartPolicy No = new(RestartMode.No);
    public static readonly RestartPolicy Always = new(RestartMode.Always);
}

/// <summary>One published port; ranges are expanded at load. A null host port asks for an ephemeral one.</summary>
public sealed record PortMapping(string? HostIp, int? HostPort, int ContainerPort, string Protocol = "tcp")
{
    public override string ToString() =>
        $"{(HostIp is null ? "" : HostIp + ":")}{(HostPort is null ? "" : HostPort + ":")}{ContainerPort}/{Protocol}";
}

public enum MountType { Volume, Bind, Tmpfs }

/// <summary>A mount; for binds <see cref="Source"/> is an absolute host path, for volumes the full volume name.</summary>
public sealed record MountSpec(MountType Type, string? Source, string Target, bool ReadOnly = false)
{
    /// <summary>tmpfs only: its size limit.</summary>
    public long? SizeBytes { get; init; }

    /// <summary>The volume is declared external: someone else's, mounted only when the policy allows its name.
    /// Left out of the spec hash when false, so existing containers keep their hash.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool External { get; init; }

    /// <summary>A relative bind inside the manifests folder: the agent creates the folder when it is missing
    /// (as Compose does). Not part of the spec hash: it says how to prepare the source, not what runs.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool CreateSource { get; init; }

    /// <summary>A bind source as the manifest wrote it when it is relative (<c>./out</c>): a job's template identity uses
    /// it, so moving the folder that holds the manifest is not a change of the Job (probe-15l H4).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? WrittenSource { get; init; }
}

public sealed record UlimitSpec(string Name, long Soft, long Hard);

public sealed record HealthcheckSpec(
    IReadOnlyList<string> Test,
    TimeSpan Interval,
    TimeSpan Timeout,
    int Retries,
    TimeSpan StartPeriod)
{
    public bool Disabled => Test.Count > 0 && Test[0] == "NONE";
}

public sealed record ResourceLimits(long? MemoryBytes, long? NanoCpus, long? PidsLimit)
{
    public long? MemoryReservationBytes { get; init; }
    public long? CpuShares { get; init; }

    public static readonly ResourceLimits None = new(null, null, null);
}

public sealed record LoggingSpec(string Driver, IReadOnlyDictionary<string, string> Options);

internal static class Empty
{
    public static readonly IReadOnlyDictionary<string, string> Map = new SortedDictionary<string, string>(StringComparer.Ordinal);
}
