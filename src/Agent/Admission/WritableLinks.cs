using Agent.Core.Model;
using Agent.Core.Security;

namespace Agent.Admission;

/// <summary>
/// A symlink on a bind source's path that lies inside a folder some container can write is that container's to
/// re-point (probe-15f F9: <c>./ndata:/data</c> with <c>./ndata/cache:/cache</c>; the container swaps <c>/data/cache</c>
/// for a link to another group's secrets, and the next create would mount them read-write). The policy resolves links
/// when it judges, so such a source is refused at every create, whatever the link points to now.
/// </summary>
public static class WritableLinks
{
    /// <summary>Why one of <paramref name="spec"/>'s bind sources goes through such a link, or null.
    /// <paramref name="writableFolders"/>: read-write bind sources (links resolved) of the agent's containers and objects;
    /// the spec's own are added.</summary>
    public static string? Problem(ContainerSpec spec, IEnumerable<string> writableFolders, Func<string, string> resolve)
    {
        var binds = spec.Mounts.Where(m => m is { Type: MountType.Bind, Source: not null }).ToList();
        if (binds.Count == 0) return null;
        var folders = writableFolders.Concat(binds.Where(m => !m.ReadOnly).Select(m => resolve(HostPath.Normalize(m.Source!))))
            .Select(f => f.TrimEnd('/')).Where(f => f.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        foreach (var bind in binds)
            foreach (var link in LinksOn(HostPath.Normalize(bind.Source!)))
                if (folders.FirstOrDefault(f => Within(Path.GetDirectoryName(link) ?? "/", f)) is { } folder)
                    return $"its bind of {bind.Source} at {bind.Target} goes through {link}, a symlink inside {folder}, a folder bound read-write " +
                           $"into a container, which can re-point it ({BindMountGuard.Reason}); bind the link's target by its own path, or make {link} a folder again";
        return null;
    }

    /// <summary>Every symlink the kernel passes through to reach <paramref name="absolutePath"/>, each where the link itself
    /// lies (its folder with links resolved), in the order it meets them (links inside link targets too).</summary>
    public static IEnumerable<string> LinksOn(string absolutePath) =>
        Sources.ManifestFolder.Locations(absolutePath).SkipLast(1).Where(l => new FileInfo(l).LinkTarget is not null);

    private static bool Within(string path, string folder) =>
        path == folder || path.StartsWith(folder + "/", StringComparison.Ordinal);
}
