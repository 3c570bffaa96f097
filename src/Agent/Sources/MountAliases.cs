using Agent.Admission;
using Agent.Core.Security;

namespace Agent.Sources;

/// <summary>
/// The manifests folder seen through another mount (probe-15f F6): `mount --bind manifests/x /srv/alias` shows the same
/// folder at a second path that no symlink reveals, so a bind of /srv/alias/d is a folder of the manifests. A path outside
/// the manifests folder is therefore compared by identity (device, inode): each mount point on its way is looked up among
/// the folders (and files) of the manifests folder and the folders above it; a match names the path as it lies there.
/// Only a mount point can start such an alias, and only one on a filesystem the manifests folder uses can match, so a
/// usual layout costs one read of the mount table; the tree is walked only for a candidate.
/// </summary>
internal static class MountAliases
{
    /// <param name="resolved">An absolute host path with its symlinks resolved.</param>
    /// <param name="root">The manifests folder, its symlinks resolved.</param>
    /// <returns>The same file's path under (or above) <paramref name="root"/> when <paramref name="resolved"/> reaches it
    /// through a mount point that aliases it; else <paramref name="resolved"/>.</returns>
    public static string Canonical(string resolved, string root)
    {
        root = root.TrimEnd('/');
        if (root.Length == 0 || Within(resolved, root) || Within(root, resolved)) return resolved;
        if (MountPoints.All() is not { } points) return resolved;
        var candidates = points.Where(p => p != "/" && Within(resolved, p) && !Within(root, p)).Distinct().OrderBy(p => p.Length).ToList();
        if (candidates.Count == 0) return resolved;
        var devices = Ancestors(root).Concat(points.Where(p => Within(p, root)))
            .Select(p => PathIdentity.WithoutLinks(p).Found).OfType<PathIdentity.Identity>().Select(Device).ToHashSet();
        Dictionary<PathIdentity.Identity, string>? tree = null;
        foreach (var point in candidates)
        {
            if (PathIdentity.WithoutLinks(point).Found is not { } id || !devices.Contains(Device(id))) continue;
            tree ??= Identities(root);
            if (tree.TryGetValue(id, out var same)) return same + resolved[point.Length..];
        }
        return resolved;
    }

    private static (uint, uint) Device(PathIdentity.Identity id) => (id.Major, id.Minor);

    private static IEnumerable<string> Ancestors(string path)
    {
        for (var p = path; !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
            yield return p;
    }

    /// <summary>Every folder and file of the manifests folder (hidden ones too, links not followed) and the folders above it.</summary>
    private static Dictionary<PathIdentity.Identity, string> Identities(string root)
    {
        var found = new Dictionary<PathIdentity.Identity, string>();
        foreach (var above in Ancestors(root))
            if (PathIdentity.WithoutLinks(above).Found is { } id) found.TryAdd(id, above);
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint, ReturnSpecialDirectories = false };
        // No folder there (a request's bind judged without one, probe-22 F7: a 500), or one gone meanwhile: nothing of it aliases.
        if (!Directory.Exists(root)) return found;
        try
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", options))
                if (PathIdentity.WithoutLinks(path).Found is { } id) found.TryAdd(id, HostPath.Normalize(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // removed while walked: what was found stands
        }
        return found;
    }

    private static bool Within(string path, string folder) =>
        folder == "/" || path == folder || path.StartsWith(folder + "/", StringComparison.Ordinal);
}
