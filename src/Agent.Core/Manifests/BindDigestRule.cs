namespace Agent.Core.Manifests;

/// <summary>Which binds count by content in the spec hash (<c>fileDigests.bind</c>): only read-only configuration
/// inside the manifests folder. A writable bind is the container's data: hashing it recreated a compose service
/// that writes to its own <c>./data</c> on every resync (probe-15c G18). A read-only bind of the folder that holds the
/// manifest (<c>./:/mf:ro</c>) or of a folder above it is not configuration either: it holds other objects' data
/// folders, whose writes would recreate it.</summary>
public static class BindDigestRule
{
    public static bool CountsContent(string host, bool readOnly, string manifestsRoot, string manifestDirectory) =>
        readOnly && IsUnder(host, manifestsRoot) && !IsUnder(manifestDirectory, host);

    // "./" resolves with a trailing slash ("/m/"), the manifest's folder without one.
    private static bool IsUnder(string path, string root)
    {
        path = path.TrimEnd('/');
        root = root.TrimEnd('/');
        return path == root || path.StartsWith(root + "/", StringComparison.Ordinal);
    }
}
