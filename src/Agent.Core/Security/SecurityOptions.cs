namespace Agent.Core.Security;

public enum SecurityProfile
{
    /// <summary>Refuses what escapes the container: privileged, host namespaces, devices, sensitive binds, ...</summary>
    Default,

    /// <summary>Default, plus: non-root uid and gid, all capabilities dropped, no-new-privileges, read-only root, binds only under allowed roots.</summary>
    Restricted,
}

/// <summary>The agent's own configuration of the policy. Only this can relax a rule, never a manifest or a request.</summary>
public sealed record SecurityOptions
{
    public SecurityProfile Profile { get; init; } = SecurityProfile.Default;

    /// <summary>Capabilities that capAdd may name (empty by default).</summary>
    public IReadOnlyList<string> AllowedCapabilities { get; init; } = [];

    /// <summary>Glob patterns (`*` and `?`) for images; empty means every image.</summary>
    public IReadOnlyList<string> AllowedImages { get; init; } = [];

    /// <summary>Host folders under which binds are allowed besides the manifests folder (Default), or at all (Restricted).
    /// A root inside a private path (/home/app/data) opens that part of it.</summary>
    public IReadOnlyList<string> AllowedBindRoots { get; init; } = [];

    /// <summary>Sysctls allowed beyond the namespaced safe set.</summary>
    public IReadOnlyList<string> AllowedSysctls { get; init; } = [];

    /// <summary>Ulimit names (`rtprio`, `nice`) allowed at any value; the others are always allowed.</summary>
    public IReadOnlyList<string> AllowedUlimits { get; init; } = [];

    public bool AllowDevices { get; init; }

    /// <summary>Globs of volume names a manifest may mount when it declares them `external: true`.</summary>
    public IReadOnlyList<string> AllowedExternalVolumes { get; init; } = [];

    /// <summary>Globs of network names a compose project may join as `external: true` besides this instance's own networks.</summary>
    public IReadOnlyList<string> AllowedExternalNetworks { get; init; } = [];

    /// <summary>Volume drivers besides `local` (whose options are judged in any case).</summary>
    public IReadOnlyList<string> AllowedVolumeDrivers { get; init; } = [];

    /// <summary>Log drivers a container may use; each driver's option keys come from <see cref="LoggingRules"/>.</summary>
    public IReadOnlyList<string> AllowedLogDrivers { get; init; } = ["json-file", "local", "none"];

    /// <summary>securityOpt values allowed besides no-new-privileges, compared after normalising (`:` and `=` alike, case).</summary>
    public IReadOnlyList<string> AllowedSecurityOpts { get; init; } = [];

    /// <summary>Host folders, besides the manifests folder, from which manifests may read files (envFrom).</summary>
    public IReadOnlyList<string> AllowedFileRoots { get; init; } = [];

    /// <summary>The most a build context (compose or ServiceGroup <c>build:</c>) may send, in bytes.</summary>
    public long MaxBuildContextBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>The most host ports one container may publish (a range counts each port: the engine runs a proxy
    /// process and adds NAT rules per port).</summary>
    public int MaxPublishedPorts { get; init; } = DefaultMaxPublishedPorts;

    public const int DefaultMaxPublishedPorts = 100;

    /// <summary>Lets a Dockerfile ADD a URL (the engine fetches it from the host's own network).</summary>
    public bool AllowRemoteBuildSources { get; init; }

    /// <summary>Lets exec name a user other than the container's (never one the profile would not admit).</summary>
    public bool AllowExecUser { get; init; }

    /// <summary>Host paths that are never bind-mounted, nor any folder above or below them.</summary>
    public IReadOnlyList<string> SensitivePaths { get; init; } =
    [
        "/", "/etc", "/proc", "/sys", "/dev", "/boot", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr",
        "/var/lib/docker", "/var/lib/containerd", "/var/run/docker.sock", "/run/docker.sock", "/var/run/docker",
        "/run/containerd", "/var/run/containerd", "/var/lib/kubelet", "/var/lib/dockershim", "/run/runc",
        "/var/run/runc", "/run/systemd", "/var/lib/systemd",
    ];

    /// <summary>The agent's own secret files (Agent:Auth:TokensFile, JwtKeyFile, the registry credential files): never
    /// bind-mounted, nor any folder above or below them. (The state dir is among <see cref="SensitivePaths"/>.)</summary>
    public IReadOnlyList<string> AgentSecretPaths { get; init; } = [];

    /// <summary>The agent's state dir and the engine's socket: never bound, and never read as a GitRepository's secret file.</summary>
    public IReadOnlyList<string> AgentStatePaths { get; init; } = [];

    /// <summary>The TCP ports the agent's own API listens on (its Urls): never published by a container, which would take
    /// the agent's address at its next start and receive its clients' tokens.</summary>
    public IReadOnlyList<int> AgentPorts { get; init; } = [];

    /// <summary>The manifests folder: a read-write bind of it or of a folder above it would let a container write the
    /// manifests the agent applies. Read-only is allowed.</summary>
    public string? ManifestsFolder { get; init; }

    /// <summary>Host paths that hold people's or services' private data: refused as bind sources (and anything above
    /// them), except below an allowed bind root or the manifests folder that lies inside them.</summary>
    public IReadOnlyList<string> PrivatePaths { get; init; } =
    [
        "/home", "/root", "/run", "/var/run", "/var/log", "/var/spool", "/var/mail", "/var/backups", "/var/cache",
        "/var/tmp", "/lost+found", "/snap",
    ];

    /// <summary>Folder names that are refused anywhere in a bind source: keys, credentials and engine config.</summary>
    public IReadOnlyList<string> SensitiveNames { get; init; } =
        [".ssh", ".gnupg", ".docker", ".kube", ".aws", ".azure", ".gcloud", ".password-store", ".netrc"];

    /// <summary>Numeric ids of the host's privileged groups (root, docker, sudo, disk, ...), read by the agent from /etc/group.</summary>
    public IReadOnlyList<int> PrivilegedGroupIds { get; init; } = [0];
}
