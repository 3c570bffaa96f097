namespace Agent.Core.Git;

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

    /// <summary>Each link of <c>git ls-tree -r -z</c> output: its path and object id (mode 120000).</summary>
    public static IEnumerable<(string Path, string Object)> Links(string lsTree) =>
        lsTree.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => (Line: line, Tab: line.IndexOf('\t')))
            .Where(l => l.Tab > 0 && l.Line.StartsWith("120000 ", StringComparison.Ordinal))
            .Select(l => (l.Line[(l.Tab + 1)..], l.Line[..l.Tab].Split(' ')[2]));
}
