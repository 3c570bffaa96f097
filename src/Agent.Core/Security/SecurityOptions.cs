namespace Agent.Core.Security;

public enum SecurityProfile
{
    /// <summary>Refuses what escapes the container: privileged, host namespaces, devices, sensitive binds, ...</summary>
    Default,

    /// <summary>Default, plus: non-root user, all capabilities dropped, no-new-privileges, read-only root, binds only under allowed roots.</summary>
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

    /// <summary>Host folders under which binds are allowed (required by Restricted; narrows Default when set).</summary>
    public IReadOnlyList<string> AllowedBindRoots { get; init; } = [];

    /// <summary>Sysctls allowed beyond the namespaced safe set.</summary>
    public IReadOnlyList<string> AllowedSysctls { get; init; } = [];

    public bool AllowDevices { get; init; }

    /// <summary>Host paths that are never bind-mounted, nor any folder above or below them.</summary>
    public IReadOnlyList<string> SensitivePaths { get; init; } =
    [
        "/", "/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/usr",
        "/var/lib/docker", "/var/lib/containerd", "/var/run/docker.sock", "/run/docker.sock", "/var/run/docker",
        "/run/containerd", "/var/run/containerd", "/var/lib/kubelet", "/var/log",
    ];
}
