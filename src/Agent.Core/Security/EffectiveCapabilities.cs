namespace Agent.Core.Security;

/// <summary>
/// The capabilities a container's processes hold, from its HostConfig as the engine applies them (moby's
/// oci/caps TweakCapabilities): privileged holds all; `ALL` in capAdd gives all but those in capDrop; `ALL` in capDrop
/// leaves only capAdd; otherwise the base set (HostConfig.Capabilities when given, else the engine's defaults) without
/// capDrop, plus capAdd. Names without CAP_, upper case.
/// </summary>
public static class EffectiveCapabilities
{
    private const string All = "ALL";

    /// <summary>The engine's default set for a container that names none (moby oci/caps/defaults.go).</summary>
    public static readonly IReadOnlySet<string> EngineDefaults = new HashSet<string>(StringComparer.Ordinal)
    {
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP",
        "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
    };

    private static readonly string[] Every =
    [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE",
        "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT",
        "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE",
        "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ",
        "PERFMON", "BPF", "CHECKPOINT_RESTORE",
    ];

    public static IReadOnlySet<string> Of(bool privileged, IEnumerable<string>? capabilities, IEnumerable<string>? capAdd, IEnumerable<string>? capDrop)
    {
        if (privileged) return Every.ToHashSet(StringComparer.Ordinal);
        var add = (capAdd ?? []).Select(SecurityPolicy.Capability).ToList();
        var drop = (capDrop ?? []).Select(SecurityPolicy.Capability).ToHashSet(StringComparer.Ordinal);
        if (add.Contains(All)) return Every.Where(c => !drop.Contains(c)).ToHashSet(StringComparer.Ordinal);
        if (drop.Contains(All)) return add.ToHashSet(StringComparer.Ordinal);
        var basics = capabilities?.Select(SecurityPolicy.Capability) ?? EngineDefaults;
        return basics.Where(c => !drop.Contains(c)).Concat(add).ToHashSet(StringComparer.Ordinal);
    }
}
