using Agent.Core.Security;

namespace Agent.Core.Manifests;

/// <summary>
/// Files a manifest references (envFrom, ...) are read only from inside the manifests folder or a root the agent's
/// configuration allows (Agent:Security:AllowedFileRoots), judged after every symlink is resolved: an absolute path,
/// `../..` or a link to /etc/shadow reads nothing.
/// </summary>
public static class FileConfinement
{
    /// <summary>Null when <paramref name="absolutePath"/> may be read, else why not (never the file's content).
    /// <paramref name="rootItself"/>: a root is itself allowed too (a build context folder, not a file).</summary>
    public static string? Problem(string absolutePath, IManifestFiles files, IReadOnlyList<string> allowedRoots, bool rootItself = false)
    {
        if (ControlCharacters.In(absolutePath)) return "contains a control character";
        if (files.WritableByContainers(absolutePath) is { } written) return written;
        var resolved = HostPath.Normalize(files.ResolveLinks(HostPath.Normalize(absolutePath)));
        var roots = new[] { files.Root }.Concat(allowedRoots).Select(r => HostPath.Normalize(files.ResolveLinks(HostPath.Normalize(r))));
        if (roots.Any(r => HostPath.IsUnder(resolved, r) || (rootItself && resolved == r))) return null;
        var shown = resolved == HostPath.Normalize(absolutePath) ? resolved : $"{HostPath.Normalize(absolutePath)} (through a symlink: {resolved})";
        return $"resolves to {shown}, outside the manifests folder{(allowedRoots.Count > 0 ? " and " + string.Join(", ", allowedRoots) : "")}: " +
               "only files inside it (or under Agent:Security:AllowedFileRoots) are read";
    }
}
