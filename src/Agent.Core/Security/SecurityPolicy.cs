using Agent.Core.Model;

namespace Agent.Core.Security;

/// <summary>A rule the container breaks, with the field (relative to the service) that breaks it.</summary>
public sealed record Violation(string Field, string Message);

/// <summary>What admission may ask about the host and the engine: symlinks on the host, and whether a
/// container name or id is one of this agent's own managed containers.</summary>
public sealed record AdmissionContext(Func<string, string> ResolveLinks, Func<string, bool> IsOwnContainer)
{
    public static readonly AdmissionContext Offline = new(path => path, _ => false);

    /// <summary>The manifests folder (null for API runs): binds inside it may lie in a private path such as /home.</summary>
    public string? ManifestsRoot { get; init; }

    /// <summary>Folders of the agent's state dir a bind may lie in (as given and resolved): the checkout of the git
    /// repository whose manifests are read, or at run time the store of repositories' bound content. A bind there must
    /// stay there after symlinks; the rest of the state dir stays refused.</summary>
    public IReadOnlyList<string> OwnBindRoots { get; init; } = [];

    /// <summary>Secret files named by the manifests (a GitRepository's secretRef, webhook and signers files): never bind-mounted.</summary>
    public IReadOnlyList<string> SecretFiles { get; init; } = [];

    /// <summary>The engine's own data root as it reports it (a --data-root other than /var/lib/docker): never bound, nor
    /// any folder above or below it, whatever the bind roots allow (probe-22 F6).</summary>
    public IReadOnlyList<string> EngineDataRoots { get; init; } = [];
}

/// <summary>
/// The one policy every container the agent creates must pass, from a manifest or the API. It judges the
/// agent's own validated model, from which the engine request is then built.
/// </summary>
public sealed partial class SecurityPolicy(SecurityOptions options)
{
    private readonly HostPathRules hostPaths = new(options);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,254}$")] // the engine's rule: two characters at least
    private static partial System.Text.RegularExpressions.Regex VolumeName();

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
            if (SecurityOptRules.Problem(spec.SecurityOpt[i], Options) is { } problem) v.Add(new($"securityOpt[{i}]", problem));

        foreach (var (name, _) in spec.Sysctls)
            if (!SafeSysctls.Contains(name) && !Options.AllowedSysctls.Contains(name))
                v.Add(new($"sysctls.{name}", $"sysctl {name} is not allowed: only namespaced safe sysctls ({string.Join(", ", SafeSysctls.Order().Take(3))}, ...)"));

        UlimitRules.Check(v, spec.Ulimits, Options);

        if (spec.Ports.Count > Options.MaxPublishedPorts)
            v.Add(new("ports", $"publishes {spec.Ports.Count} host ports; at most {Options.MaxPublishedPorts} per container " +
                "(the engine starts a proxy process and adds NAT rules for each port: publish fewer, or raise Agent:Security:MaxPublishedPorts)"));

        for (var i = 0; i < spec.Ports.Count; i++)
            if (spec.Ports[i] is { Protocol: "tcp", HostPort: { } port } && Options.AgentPorts.Contains(port))
                v.Add(new($"ports[{i}]", $"host port {port} is the agent's own API address (Urls): a container publishing it would take the " +
                    "agent's place at its next start and receive its clients' tokens; publish another port"));

        hostPaths.Check(v, spec, context);
        CheckVolumeNames(v, spec);
        LoggingRules.Check(v, spec.Logging, Options);

        if (spec.Image.Length > 0 && Identifiers.Image(spec.Image) != IdentifierCheck.Valid)
            v.Add(new("image", $"\"{spec.Image}\" is not an image reference: [registry[:port]/]name[:tag][@digest], letters, digits and . _ / : @ + -, no .. or //"));
        else if (spec.Image.Length > 0 && ImageReferenceSyntax.Problem(spec.Image) is { } problem)
            v.Add(new("image", $"\"{spec.Image}\" is not an image reference the engine accepts: {problem}"));
        else if (!AllowsImage(Options, spec.Image))
            v.Add(new("image", $"image \"{spec.Image}\" is not in the allowed list ({string.Join(", ", Options.AllowedImages)})"));

        if (Options.Profile == SecurityProfile.Restricted) CheckRestricted(v, spec);
        return v;
    }

    /// <summary>True when the image allowlist (globs) is empty or matches the reference as written or, untagged, as the
    /// engine reads it (busybox is busybox:latest).</summary>
    public static bool AllowsImage(SecurityOptions options, string image)
    {
        if (options.AllowedImages.Count == 0) return true;
        var lastPart = image[(image.LastIndexOf('/') + 1)..];
        var tagged = lastPart.Contains(':') || image.Contains('@') ? image : image + ":latest";
        return options.AllowedImages.Any(p => Glob.IsMatch(p, image) || Glob.IsMatch(p, tagged));
    }

    /// <summary>A named volume a manifest declares: driver and options (or, for an external one, its name) by the rules.</summary>
    public IReadOnlyList<Violation> CheckVolume(VolumeSpec volume) => VolumeRules.CheckDeclared(volume, Options);

    /// <summary>Why an inspected volume must not be mounted (not the agent's, not an allowed external, or reaching the host).</summary>
    public string? CheckMountedVolume(MountSpec mount, VolumeFacts? facts, bool owned) =>
        VolumeRules.MountProblem(mount.Source ?? "", facts, mount.External, owned, Options);

    /// <summary>An exec into a container that runs as <paramref name="containerUser"/>.</summary>
    public IReadOnlyList<Violation> CheckExec(ExecSpec exec, string? containerUser) => ExecPolicy.Check(exec, containerUser, Options);

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

    private static void CheckVolumeNames(List<Violation> v, ContainerSpec spec)
    {
        for (var i = 0; i < spec.Mounts.Count; i++)
            if (spec.Mounts[i] is { Type: MountType.Volume, Source: { } name } && !VolumeName().IsMatch(name))
                v.Add(new($"volumes[{i}]", $"\"{name}\" is not a volume name (letters, digits, '_', '.', '-'; two characters at least)"));
    }

    private void CheckRestricted(List<Violation> v, ContainerSpec spec)
    {
        UserRules.CheckRestricted(v, spec.User, spec.GroupAdd, Options);
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
