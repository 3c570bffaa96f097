using Agent.Core.Model;

namespace Agent.Core.Security;

/// <summary>A rule the container breaks, with the field (relative to the service) that breaks it.</summary>
public sealed record Violation(string Field, string Message);

/// <summary>What admission may ask about the host and the engine: symlinks on the host, and whether a
/// container name or id is one of this agent's own managed containers.</summary>
public sealed record AdmissionContext(Func<string, string> ResolveLinks, Func<string, bool> IsOwnContainer)
{
    public static readonly AdmissionContext Offline = new(path => path, _ => false);
}

/// <summary>
/// The one policy every container the agent creates must pass, from a manifest or the API. It judges the
/// agent's own validated model, from which the engine request is then built.
/// </summary>
public sealed class SecurityPolicy(SecurityOptions options)
{
    public static readonly SecurityPolicy Default = new(new SecurityOptions());

    private static readonly HashSet<string> SafeSysctls = new(StringComparer.Ordinal)
    {
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
    };

    public SecurityOptions Options { get; } = options;

    public IReadOnlyList<Violation> Check(ContainerSpec spec, AdmissionContext context)
    {
        var v = new List<Violation>();
        if (spec.Privileged) v.Add(new("privileged", "privileged containers are not allowed: they have full access to the host"));

        CheckNamespace(v, "networkMode", spec.NetworkMode, context, allowed: ["bridge", "none", "default"]);
        CheckNamespace(v, "pid", spec.PidMode, context, allowed: []);
        CheckNamespace(v, "ipc", spec.IpcMode, context, allowed: ["private", "shareable", "none"]);
        CheckNamespace(v, "uts", spec.UtsMode, context, allowed: []);
        if (!string.IsNullOrEmpty(spec.UsernsMode)) v.Add(new("userns", $"userns mode \"{spec.UsernsMode}\" is not allowed: it leaves the engine's user namespace setting"));
        if (spec.CgroupnsMode is { Length: > 0 } cg && cg != "private") v.Add(new("cgroupns", $"cgroupns mode \"{cg}\" is not allowed: only private"));

        for (var i = 0; i < spec.VolumesFrom.Count; i++)
        {
            var source = spec.VolumesFrom[i].Split(':')[0];
            if (!context.IsOwnContainer(source))
                v.Add(new($"volumesFrom[{i}]", $"\"{source}\" is not one of this agent's managed containers"));
        }

        if (!Options.AllowDevices)
        {
            for (var i = 0; i < spec.Devices.Count; i++) v.Add(new($"devices[{i}]", $"host device \"{spec.Devices[i]}\" is not allowed"));
            for (var i = 0; i < spec.DeviceCgroupRules.Count; i++) v.Add(new($"deviceCgroupRules[{i}]", "device cgroup rules are not allowed"));
            if (spec.Gpus.Count > 0) v.Add(new("gpus", "device requests (GPUs) are not allowed"));
        }

        var allowedCaps = Options.AllowedCapabilities.Select(Capability).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < spec.CapAdd.Count; i++)
        {
            var cap = Capability(spec.CapAdd[i]);
            if (!allowedCaps.Contains(cap))
                v.Add(new($"capAdd[{i}]", allowedCaps.Count == 0
                    ? $"adding capability {cap} is not allowed"
                    : $"adding capability {cap} is not allowed (allowed: {string.Join(", ", allowedCaps.Order())})"));
        }

        for (var i = 0; i < spec.SecurityOpt.Count; i++)
            if (SecurityOptProblem(spec.SecurityOpt[i]) is { } problem) v.Add(new($"securityOpt[{i}]", problem));

        foreach (var (name, _) in spec.Sysctls)
            if (!SafeSysctls.Contains(name) && !Options.AllowedSysctls.Contains(name))
                v.Add(new($"sysctls.{name}", $"sysctl {name} is not allowed: only namespaced safe sysctls ({string.Join(", ", SafeSysctls.Order().Take(3))}, ...)"));

        CheckMounts(v, spec, context);

        if (Options.AllowedImages.Count > 0 && !Options.AllowedImages.Any(p => Glob.IsMatch(p, spec.Image)))
            v.Add(new("image", $"image \"{spec.Image}\" is not in the allowed list ({string.Join(", ", Options.AllowedImages)})"));

        if (Options.Profile == SecurityProfile.Restricted) CheckRestricted(v, spec);
        return v;
    }

    /// <summary>Named volumes must not bind host paths through driver options.</summary>
    public IReadOnlyList<Violation> CheckVolume(VolumeSpec volume)
    {
        var v = new List<Violation>();
        var opts = volume.DriverOptions;
        var type = opts.TryGetValue("type", out var t) ? t : "";
        var o = opts.TryGetValue("o", out var oo) ? oo : "";
        if (o.Split(',').Any(x => x.Trim() is "bind" or "rbind"))
            v.Add(new("driverOpts.o", "volume options that bind a host path are not allowed; use a bind mount, which the policy checks"));
        else if (type is "none" or "bind" or "overlay" or "proc" or "sysfs" or "devtmpfs" or "devpts" or "cgroup" or "cgroup2")
            v.Add(new("driverOpts.type", $"volume type \"{type}\" reaches the host and is not allowed"));
        else if (opts.TryGetValue("device", out var device) && device.StartsWith('/') && type is not ("tmpfs" or "nfs" or "nfs4" or "cifs"))
            v.Add(new("driverOpts.device", $"volume device \"{device}\" is a host path and is not allowed"));
        return v;
    }

    private static void CheckNamespace(List<Violation> v, string field, string? mode, AdmissionContext context, string[] allowed)
    {
        if (string.IsNullOrEmpty(mode) || allowed.Contains(mode)) return;
        var colon = mode.IndexOf(':');
        var prefix = colon < 0 ? mode : mode[..colon];
        if (prefix is "container" or "service")
        {
            var target = colon < 0 ? "" : mode[(colon + 1)..];
            if (!context.IsOwnContainer(target))
                v.Add(new(field, $"\"{mode}\" shares a namespace with \"{target}\", which is not one of this agent's managed containers"));
            return;
        }
        v.Add(new(field, mode == "host"
            ? $"{field} \"host\" is not allowed: it shares the host's namespace"
            : $"{field} \"{mode}\" is not allowed"));
    }

    private static string? SecurityOptProblem(string option)
    {
        var sep = option.IndexOfAny(['=', ':']);
        var key = (sep < 0 ? option : option[..sep]).Trim().ToLowerInvariant();
        var value = sep < 0 ? "" : option[(sep + 1)..].Trim().ToLowerInvariant();
        return key switch
        {
            "no-new-privileges" => null,
            "seccomp" when value is "unconfined" => "seccomp=unconfined turns off the syscall filter and is not allowed",
            "seccomp" => "custom seccomp profiles are not allowed (they can allow every syscall)",
            "apparmor" when value is "unconfined" => "apparmor=unconfined turns off AppArmor and is not allowed",
            "apparmor" => null,
            "label" when value is "disable" => "label=disable turns off SELinux labels and is not allowed",
            "label" when value.StartsWith("type:", StringComparison.Ordinal) => "a custom SELinux type is not allowed",
            "label" => null,
            "systempaths" => "systempaths=unconfined unmasks /proc and /sys and is not allowed",
            _ => $"security option \"{option}\" is not allowed",
        };
    }

    private void CheckMounts(List<Violation> v, ContainerSpec spec, AdmissionContext context)
    {
        for (var i = 0; i < spec.Mounts.Count; i++)
        {
            var mount = spec.Mounts[i];
            if (mount.Type != MountType.Bind || mount.Source is null) continue;
            var field = $"volumes[{BindIndex(spec, i)}]";
            var normal = HostPath.Normalize(mount.Source);
            var resolved = HostPath.Normalize(context.ResolveLinks(normal));
            foreach (var path in new[] { normal, resolved }.Distinct())
            {
                var sensitive = Options.SensitivePaths.Select(HostPath.Normalize).FirstOrDefault(s => HostPath.Overlaps(path, s));
                if (sensitive is not null)
                {
                    v.Add(new(field, path == normal
                        ? $"bind mount of {path} is not allowed: it {(path == sensitive ? "is" : HostPath.IsUnder(path, sensitive) ? "is inside" : "contains")} {sensitive}"
                        : $"bind mount of {normal} is not allowed: it resolves through a symlink to {path}, which {(path == sensitive ? "is" : HostPath.IsUnder(path, sensitive) ? "is inside" : "contains")} {sensitive}"));
                    break;
                }
                var roots = Options.AllowedBindRoots.Select(HostPath.Normalize).ToList();
                if ((roots.Count > 0 || Options.Profile == SecurityProfile.Restricted) && !roots.Any(r => HostPath.IsUnder(path, r) || path == r))
                {
                    v.Add(new(field, roots.Count == 0
                        ? $"bind mount of {path} is not allowed: the restricted profile allows binds only under configured roots, and none is configured"
                        : $"bind mount of {path} is not allowed: binds must be under {string.Join(", ", roots)}"));
                    break;
                }
            }
        }
    }

    // Mounts list volumes before tmpfs; the manifest's volumes[] index is the mount's position among non-tmpfs mounts.
    private static int BindIndex(ContainerSpec spec, int mountIndex) =>
        spec.Mounts.Take(mountIndex).Count(m => m.Type != MountType.Tmpfs);

    private static void CheckRestricted(List<Violation> v, ContainerSpec spec)
    {
        var user = spec.User?.Split(':')[0];
        if (string.IsNullOrEmpty(user) || user is "root" or "0")
            v.Add(new("user", "the restricted profile needs a non-root user (e.g. user: \"65534\")"));
        if (!spec.CapDrop.Any(c => Capability(c) == "ALL"))
            v.Add(new("capDrop", "the restricted profile needs capDrop: [ALL]"));
        if (!spec.NoNewPrivileges)
            v.Add(new("noNewPrivileges", "the restricted profile needs noNewPrivileges: true"));
        if (!spec.ReadOnlyRootFilesystem)
            v.Add(new("readOnlyRootFilesystem", "the restricted profile needs readOnlyRootFilesystem: true"));
    }

    /// <summary>Capability names compare case-insensitively, with or without CAP_.</summary>
    public static string Capability(string name)
    {
        var upper = name.Trim().ToUpperInvariant();
        return upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper[4..] : upper;
    }
}
