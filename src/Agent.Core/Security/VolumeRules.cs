using Agent.Core.Model;

namespace Agent.Core.Security;

/// <summary>What inspecting a volume tells: its driver, the options it was made with, its labels.</summary>
public sealed record VolumeFacts(string Name, string Driver, IReadOnlyDictionary<string, string> Options, IReadOnlyDictionary<string, string> Labels);

/// <summary>
/// Named volumes: a volume reaches the host or a remote file system through its driver and options (`type=none,o=bind,
/// device=/`, `type=nfs,o=addr=...`), whoever made it. So only `local` (and allowed drivers) with no options or a
/// tmpfs's options pass, once when a manifest declares the volume and again, on the inspected volume, right before a
/// container that mounts it is created.
/// </summary>
public static class VolumeRules
{
    private static readonly HashSet<string> LocalKeys = new(StringComparer.Ordinal) { "type", "o", "device" };

    // Options of a tmpfs mount that give nothing of the host; everything else (bind, addr=, ...) is refused.
    private static readonly HashSet<string> TmpfsMountOptions = new(StringComparer.Ordinal)
    {
        "size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "noexec", "nosuid", "nodev", "ro", "rw", "noatime", "nr_hugepages",
    };

    private static readonly HashSet<string> HostTypes = new(StringComparer.Ordinal)
    {
        "none", "bind", "rbind", "overlay", "aufs", "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs",
        "debugfs", "tracefs", "bpf", "configfs", "ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "vfat", "ntfs", "squashfs", "fuse",
    };

    private static readonly HashSet<string> RemoteTypes = new(StringComparer.Ordinal)
    {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "9p", "sshfs", "fuse.sshfs", "davfs", "afs", "lustre", "virtiofs",
    };

    /// <summary>Problems of a volume a manifest declares, by field (driver, driverOpts.KEY, external).</summary>
    public static IReadOnlyList<Violation> CheckDeclared(VolumeSpec volume, SecurityOptions options)
    {
        var v = new List<Violation>();
        if (volume.External)
        {
            if (!IsAllowedExternal(volume.Name, options))
                v.Add(new("external", ExternalNotAllowed(volume.Name, options)));
            return v;
        }
        v.AddRange(Problems(volume.Driver, volume.DriverOptions, options));
        return v;
    }

    /// <summary>Problems of a driver and its options, whoever made the volume.</summary>
    public static IReadOnlyList<Violation> Problems(string driver, IReadOnlyDictionary<string, string> opts, SecurityOptions options)
    {
        var v = new List<Violation>();
        var name = driver.Trim().ToLowerInvariant();
        var local = name is "local" or "";
        if (ControlCharacters.DriverNameProblem(driver, "volume") is { } badName) v.Add(new("driver", badName));
        else if (!local && !options.AllowedVolumeDrivers.Contains(driver, StringComparer.OrdinalIgnoreCase))
            v.Add(new("driver", $"volume driver \"{driver}\" is not allowed: only local{(options.AllowedVolumeDrivers.Count > 0 ? ", " + string.Join(", ", options.AllowedVolumeDrivers) : "")} (Agent:Security:AllowedVolumeDrivers)"));

        var type = opts.TryGetValue("type", out var t) ? t.Trim().ToLowerInvariant() : null;
        foreach (var (key, value) in opts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var field = $"driverOpts.{key}";
            if (ControlCharacters.In(key) || ControlCharacters.In(value))
                v.Add(new(field, "volume options must not contain control characters"));
            else if (local && !LocalKeys.Contains(key))
                v.Add(new(field, $"local volume option \"{key}\" is not allowed (type, o and device only, for a tmpfs)"));
            else if (key == "type" && OptionProblem(type!) is { } typeProblem)
                v.Add(new(field, typeProblem));
            else if (key == "o" && MountOptionsProblem(value, local) is { } oProblem)
                v.Add(new(field, oProblem));
            else if (key == "device" && DeviceProblem(value, type) is { } deviceProblem)
                v.Add(new(field, deviceProblem));
            else if (!local && key is not ("type" or "o" or "device") && LooksLikeHostOrRemote(value))
                v.Add(new(field, $"volume option \"{key}\" names a host path or a remote address and is not allowed"));
        }
        if (local && opts.Count > 0 && type is null)
            v.Add(new("driverOpts", "local volume options need type: tmpfs (any other mount reaches the host or a remote file system)"));
        return v;
    }

    /// <summary>Why the agent must not mount this inspected volume into a container, or null when it may.</summary>
    public static string? MountProblem(string name, VolumeFacts? facts, bool declaredExternal, bool owned, SecurityOptions options)
    {
        if (facts is null)
            return declaredExternal
                ? $"external volume {name} does not exist: create it first (it must be allowed by Agent:Security:AllowedExternalVolumes)"
                : $"volume {name} does not exist yet: the agent creates its own volumes before their containers";
        if (!owned)
        {
            if (!declaredExternal)
                return $"volume {name} is not this object's (it lacks this agent's labels for it: made out of band, by another agent instance, for another object, or through POST /volumes): declare it `external: true` and allow it in Agent:Security:AllowedExternalVolumes to mount it, or remove it";
            if (!IsAllowedExternal(name, options)) return ExternalNotAllowed(name, options);
        }
        var problems = Problems(facts.Driver, facts.Options, options);
        return problems.Count == 0 ? null
            : $"volume {name} is not mounted: {string.Join("; ", problems.Select(p => $"{p.Field}: {p.Message}"))}";
    }

    public static bool IsAllowedExternal(string name, SecurityOptions options) =>
        options.AllowedExternalVolumes.Any(p => Glob.IsMatch(p, name));

    private static string ExternalNotAllowed(string name, SecurityOptions options) =>
        $"external volume {name} is not allowed: only names in Agent:Security:AllowedExternalVolumes ({(options.AllowedExternalVolumes.Count == 0 ? "none configured" : string.Join(", ", options.AllowedExternalVolumes))})";

    private static string? OptionProblem(string type) =>
        type == "tmpfs" ? null
        : HostTypes.Contains(type) || type.StartsWith("fuse", StringComparison.Ordinal) ? $"volume type \"{type}\" mounts a host path or device and is not allowed"
        : RemoteTypes.Contains(type) ? $"volume type \"{type}\" mounts a remote file system and is not allowed"
        : $"volume type \"{type}\" is not allowed (only tmpfs)";

    private static string? MountOptionsProblem(string value, bool local)
    {
        foreach (var raw in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var key = raw.Split('=', 2)[0].ToLowerInvariant();
            if (key is "bind" or "rbind") return $"mount option \"{raw}\" binds a host path and is not allowed";
            if (key.Contains("addr", StringComparison.Ordinal) || key is "server" or "host" or "port" or "mountport" or "username" or "user" or "password" or "credentials" or "sec" or "vers" or "nfsvers")
                return $"mount option \"{raw}\" reaches a remote file system and is not allowed";
            if (local && !TmpfsMountOptions.Contains(key)) return $"mount option \"{raw}\" is not allowed (tmpfs options only: size, mode, uid, gid, nr_inodes, noexec, nosuid, nodev)";
            if (!local && LooksLikeHostOrRemote(raw)) return $"mount option \"{raw}\" names a host path or a remote address and is not allowed";
        }
        return null;
    }

    private static string? DeviceProblem(string device, string? type) =>
        device.Trim() == "tmpfs" && type == "tmpfs" ? null
        : device.Contains(':') || device.StartsWith("//", StringComparison.Ordinal) ? $"volume device \"{device}\" is a remote share and is not allowed"
        : device.StartsWith('/') ? $"volume device \"{device}\" is a host path and is not allowed"
        : $"volume device \"{device}\" is not allowed (only tmpfs)";

    private static bool LooksLikeHostOrRemote(string value)
    {
        var rest = value.Contains('=') ? value[(value.IndexOf('=') + 1)..] : value;
        return rest.StartsWith('/') || rest.Contains("://", StringComparison.Ordinal) || value.Contains("addr=", StringComparison.OrdinalIgnoreCase);
    }
}
