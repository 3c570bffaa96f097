namespace Agent.Core.Git;

/// <summary>A symbolic link of a repository: its path in the repository and its target as committed.</summary>
public sealed record GitLink(string Path, string Target);

/// <summary>Symbolic links in a repository's tree that would leave its checkout.</summary>
public static class GitLinks
{
    /// <summary>Whether a link at <paramref name="path"/> (repository-relative) pointing at <paramref name="target"/>
    /// leaves the checkout: an absolute target, or one that climbs above the repository's root.</summary>
    public static bool Escapes(string path, string target)
    {
        if (target.StartsWith('/')) return true;
        var depth = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Length - 1; // the link's folder
        foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..") depth--;
            else if (part != ".") depth++;
            if (depth < 0) return true;
        }
        return false;
    }

    /// <summary>Links as one text (path NUL target NUL ...), for a file beside a checkout.</summary>
    public static string Write(IEnumerable<GitLink> links) => string.Concat(links.Select(l => $"{l.Path}\0{l.Target}\0"));

    public static IReadOnlyList<GitLink> Read(string text)
    {
        var parts = text.Split('\0');
        return Enumerable.Range(0, parts.Length / 2).Select(i => new GitLink(parts[2 * i], parts[2 * i + 1])).ToList();
    }

    /// <summary>The skipped link a repository path is at or under, or null.</summary>
    public static GitLink? Covering(IEnumerable<GitLink> skipped, string path) =>
        skipped.FirstOrDefault(l => path == l.Path || path.StartsWith(l.Path + "/", StringComparison.Ordinal));
}
