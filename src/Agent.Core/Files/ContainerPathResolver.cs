namespace Agent.Core.Files;

/// <summary>Where a path leads inside a container once the symlinks among its folders are followed, the way the engine
/// and the kernel resolve them there: a link's absolute target starts again at the container's root, `..` never climbs
/// above it. The last segment is kept as it is (a write replaces a link there, never follows it).</summary>
public static class ContainerPathResolver
{
    /// <summary>How many links one resolution follows before it stops (the kernel's limit).</summary>
    public const int MaxLinks = 40;

    /// <param name="linkTarget">The target of the symlink at a normalised path, or null when that path is no symlink (or missing).</param>
    /// <returns>The resolved path; null when it follows more than <see cref="MaxLinks"/> links (a loop).</returns>
    public static async Task<ContainerPath?> ResolveFoldersAsync(ContainerPath path, Func<ContainerPath, CancellationToken, Task<string?>> linkTarget, CancellationToken ct)
    {
        if (path.IsRoot) return path;
        var pending = new LinkedList<string>(path.Parent!.Value.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var resolved = Root;
        var links = 0;
        while (pending.First is { } next)
        {
            pending.RemoveFirst();
            var segment = next.Value;
            if (segment is "" or ".") continue;
            if (segment == "..")
            {
                resolved = resolved.Parent ?? resolved;
                continue;
            }
            var candidate = resolved.Child(segment);
            if (await linkTarget(candidate, ct) is not { } target)
            {
                resolved = candidate;
                continue;
            }
            if (++links > MaxLinks) return null;
            if (target.StartsWith('/')) resolved = Root;
            foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse()) pending.AddFirst(part);
        }
        return resolved.Child(path.Name);
    }

    private static readonly ContainerPath Root = Parse("/");

    private static ContainerPath Parse(string text) => ContainerPath.TryParse(text, out var p, out _) ? p : throw new ArgumentException(text);
}
