using Agent.Core.Model;

namespace Agent.Core.Security;

/// <summary>
/// Where a container may touch the host's file system and its own kernel file systems: bind sources by path
/// component (deny-lists, and under Restricted an allow-list), and mount targets and working dirs inside the
/// container (never /proc, /sys, /dev or below, where a mount or a cwd reaches the kernel).
/// </summary>
public sealed class HostPathRules(SecurityOptions options)
{
    /// <summary>Container paths whose contents are the kernel's: mounting over them or working in them is refused.</summary>
    public static readonly string[] KernelPaths = ["/proc", "/sys", "/dev"];

    public void Check(List<Violation> v, ContainerSpec spec, AdmissionContext context)
    {
        for (var i = 0; i < spec.Mounts.Count; i++)
        {
            var mount = spec.Mounts[i];
            var field = mount.Type == MountType.Tmpfs ? $"tmpfs[{TmpfsIndex(spec, i)}]" : $"volumes[{VolumeIndex(spec, i)}]";
            if (TargetProblem(mount.Target) is { } target) v.Add(new(field, target));
            if (mount.Type == MountType.Bind && mount.Source is not null && (SourceProblem(mount.Source, context) ?? WritableManifests(mount, context)) is { } source)
                v.Add(new(field, source));
        }
        if (spec.WorkingDir is { } dir && WorkingDirProblem(dir) is { } problem) v.Add(new("workingDir", problem));
    }

    /// <summary>A mount target must be an absolute container path outside the kernel's file systems, and not / itself.</summary>
    public static string? TargetProblem(string target)
    {
        if (ControlCharacters.In(target)) return "the container path contains a control character";
        if (!target.StartsWith('/')) return $"the container path \"{target}\" must be absolute";
        var normal = HostPath.Normalize(target);
        if (normal == "/") return "mounting over the container's root / is not allowed";
        return KernelPaths.FirstOrDefault(k => normal == k || HostPath.IsUnder(normal, k)) is { } kernel
            ? $"mounting on {normal} is not allowed: {kernel} and below belong to the kernel"
            : null;
    }

    public static string? WorkingDirProblem(string dir)
    {
        if (ControlCharacters.In(dir)) return "the working dir contains a control character";
        if (!dir.StartsWith('/')) return $"\"{dir}\" must be an absolute path inside the container";
        var normal = HostPath.Normalize(dir);
        return KernelPaths.FirstOrDefault(k => normal == k || HostPath.IsUnder(normal, k)) is { } kernel
            ? $"working dir {normal} is not allowed: {kernel} and below belong to the kernel"
            : null;
    }

    private string? SourceProblem(string source, AdmissionContext context)
    {
        if (ControlCharacters.In(source)) return "the bind source contains a control character";
        var (normal, resolved, own, confined) = Locate(source, context);
        var roots = options.AllowedBindRoots.Select(HostPath.Normalize).ToList();
        var open = context.ManifestsRoot is { } manifests ? [.. roots, HostPath.Normalize(manifests), HostPath.Normalize(context.ResolveLinks(manifests))] : roots;
        if (confined) open = [.. open, .. own];
        var paths = new[] { normal, resolved }.Distinct().ToList();
        // The deny-lists first, for the path as written and after symlinks: their reason is the one worth telling.
        foreach (var path in paths)
        {
            var via = path == normal ? "" : $"it resolves through a symlink to {path}, which ";
            if (DeniedProblem(normal, path, via, confined, context) is { } denied) return denied;
            if (options.PrivatePaths.Select(HostPath.Normalize).FirstOrDefault(p => HostPath.Overlaps(path, p)) is { } privatePath
                && !open.Any(r => AtOrUnder(r, privatePath) && AtOrUnder(path, r)))
                return $"bind mount of {normal} is not allowed: {via}{Relation(via, path, privatePath)} {privatePath}, which holds private data " +
                       "(allow a folder inside it with Agent:Security:AllowedBindRoots)";
        }
        foreach (var path in paths)
        {
            if (options.Profile == SecurityProfile.Restricted)
            {
                if (!roots.Any(r => AtOrUnder(path, r)))
                    return roots.Count == 0
                        ? $"bind mount of {path} is not allowed: the restricted profile allows binds only under Agent:Security:AllowedBindRoots, and none is configured"
                        : $"bind mount of {path} is not allowed: binds must be under {string.Join(", ", roots)}";
            }
            else if (!open.Any(r => AtOrUnder(path, r)))
                return OutsideRootsProblem(path, roots, context.ManifestsRoot is not null);
        }
        return null;
    }

    /// <summary>A host path as written and after symlinks, the repository copies the object may bind, and whether the
    /// path stays inside those copies both ways (then a copy in the state dir is not one of the agent's secrets).</summary>
    private static (string Normal, string Resolved, List<string> Own, bool Confined) Locate(string path, AdmissionContext context)
    {
        var normal = HostPath.Normalize(path);
        var resolved = HostPath.Normalize(context.ResolveLinks(normal));
        var own = context.OwnBindRoots.Select(HostPath.Normalize).ToList();
        var confined = own.Count > 0 && own.Any(r => AtOrUnder(normal, r)) && own.Any(r => AtOrUnder(resolved, r));
        return (normal, resolved, own, confined);
    }

    /// <summary>Under the default profile a bind reaches only the manifests folder, a repository's own copies and the
    /// configured roots: the host's own state (/var/lib/dpkg, /var/lib/polkit-1, /opt, cron or systemd folders) is too
    /// varied for a deny-list, and a writable bind of it runs code as root on the host.</summary>
    private static string OutsideRootsProblem(string path, IReadOnlyList<string> roots, bool hasManifests)
    {
        var allowed = (hasManifests ? "inside the manifests folder" : "") + (roots.Count == 0 ? "" : (hasManifests ? " or " : "") + $"under {string.Join(", ", roots)}");
        return allowed.Length == 0
            ? $"bind mount of {path} is not allowed: a host folder may be bound only under Agent:Security:AllowedBindRoots, and none is configured"
            : $"bind mount of {path} is not allowed: binds must be {allowed} (allow a host folder with Agent:Security:AllowedBindRoots)";
    }

    /// <summary>A host file the agent reads for a container (a compose env_file): its content reaches the container as a
    /// bind's would, so the deny-lists of bind sources apply (system paths, credential folders, the agent's secrets and
    /// state); the allow-lists do not (a project's own env files live beside its compose file).</summary>
    public string? ReadFileProblem(string file, AdmissionContext context)
    {
        if (ControlCharacters.In(file)) return "the path contains a control character";
        var (normal, resolved, _, confined) = Locate(file, context);
        return new[] { normal, resolved }.Distinct()
            .Select(path => DeniedProblem(normal, path, path == normal ? "" : $"it resolves through a symlink to {path}, which ", confined, context))
            .FirstOrDefault(p => p is not null);
    }

    /// <summary>An env file a compose project reads, judged as <see cref="ReadFileProblem"/> does, as the error shows it.</summary>
    public static string? EnvFileProblem(SecurityOptions options, Manifests.IManifestFiles files, string path) =>
        new HostPathRules(options).ReadFileProblem(path, new AdmissionContext(files.ResolveLinks, _ => false) { OwnBindRoots = files.OwnBindRoots() })
            is { } denied ? $"is not read, as a bind of it would be refused: {denied}" : null;

    private string? DeniedProblem(string normal, string path, string via, bool confined, AdmissionContext context)
    {
        if (HostPath.Components(path).FirstOrDefault(c => options.SensitiveNames.Contains(c, StringComparer.Ordinal)) is { } name)
            return $"bind mount of {normal} is not allowed: {via}{(via.Length == 0 ? "it " : "")}holds a folder named {name} (keys and credentials)";
        if (options.SensitivePaths.Select(HostPath.Normalize).FirstOrDefault(s => HostPath.Overlaps(path, s) && !(confined && HostPath.IsUnder(path, s))) is { } sensitive)
            return $"bind mount of {normal} is not allowed: {via}{Relation(via, path, sensitive)} {sensitive}, " + Why(sensitive);
        if (context.EngineDataRoots.Select(HostPath.Normalize).FirstOrDefault(r => HostPath.Overlaps(path, r)) is { } dataRoot)
            return $"bind mount of {normal} is not allowed: {via}{Relation(via, path, dataRoot)} {dataRoot}, the engine's data root: " + EngineWhy;
        return SecretProblem(normal, path, via, options.AgentSecretPaths.Concat(context.SecretFiles));
    }

    /// <summary>Why a protected path is never bound, for the refusal (probe-20: "it is S" said nothing of why).</summary>
    private string Why(string sensitive) => sensitive switch
    {
        _ when sensitive.EndsWith(".sock", StringComparison.Ordinal) => EngineWhy,
        _ when options.AgentStatePaths.Select(HostPath.Normalize).Contains(sensitive) =>
            "the agent's own state (its records and keys; a container writing there could change what the agent does)",
        _ when EngineMarkers.Any(m => sensitive.Contains(m, StringComparison.Ordinal)) => EngineWhy,
        _ => "a host system path (a container given it could reach beyond its own filesystem)",
    };

    private const string EngineWhy = "the container engine's socket or data (a container given it controls every container and the host)";
    private static readonly string[] EngineMarkers = ["docker", "containerd", "runc", "kubelet", "dockershim"];

    /// <summary>A bind source at, above or below one of the agent's secret files.</summary>
    public static string? SecretProblem(string normal, string path, string via, IEnumerable<string> secrets) =>
        secrets.Select(HostPath.Normalize).FirstOrDefault(s => HostPath.Overlaps(path, s)) is { } secret
            ? $"bind mount of {normal} is not allowed: {via}{Relation(via, path, secret)} {secret}, which holds the agent's own secrets or state " +
              "(Agent:Auth token or key files, registry credential files, a GitRepository's secret files)"
            : null;

    /// <summary>A read-write bind of the manifests folder, or of a folder above it, would let the container write manifests.</summary>
    private string? WritableManifests(MountSpec mount, AdmissionContext context)
    {
        if (mount.ReadOnly || options.ManifestsFolder is not { Length: > 0 } folder) return null;
        var manifests = HostPath.Normalize(folder);
        foreach (var path in new[] { HostPath.Normalize(mount.Source!), HostPath.Normalize(context.ResolveLinks(HostPath.Normalize(mount.Source!))) }.Distinct())
            if (AtOrUnder(manifests, path))
                return $"bind mount of {HostPath.Normalize(mount.Source!)} is not allowed read-write: it {(path == manifests ? "is" : "contains")} the manifests folder {manifests}, "
                       + "whose files the agent applies (mount it read-only with :ro)";
        return null;
    }

    private static string Relation(string via, string path, string protectedPath)
    {
        var verb = via.Length == 0 ? "it " : "";
        return verb + (path == protectedPath ? "is" : HostPath.IsUnder(path, protectedPath) ? "is inside" : "contains");
    }

    private static bool AtOrUnder(string path, string folder) => path == folder || HostPath.IsUnder(path, folder);

    // Mounts list volumes and binds before tmpfs: the manifest's volumes[] index is the position among non-tmpfs mounts.
    private static int VolumeIndex(ContainerSpec spec, int mountIndex) =>
        spec.Mounts.Take(mountIndex).Count(m => m.Type != MountType.Tmpfs);

    private static int TmpfsIndex(ContainerSpec spec, int mountIndex) =>
        spec.Mounts.Take(mountIndex).Count(m => m.Type == MountType.Tmpfs);
}
