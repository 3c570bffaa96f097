namespace Agent.Core.Security;

/// <summary>Host paths compared by component, never by string prefix: /etcd-backup is not under /etc.</summary>
public static class HostPath
{
    /// <summary>Absolute, with `.`, `..`, repeated and trailing slashes resolved (symlinks are resolved by the caller).</summary>
    public static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }

    public static IReadOnlyList<string> Components(string normalized) =>
        normalized.Split('/', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>True when <paramref name="path"/> is strictly below <paramref name="folder"/>.</summary>
    public static bool IsUnder(string path, string folder)
    {
        var p = Components(path);
        var f = Components(folder);
        return p.Count > f.Count && f.Select((c, i) => c == p[i]).All(x => x);
    }

    /// <summary>A bind of <paramref name="path"/> exposes <paramref name="sensitive"/> when it is it, is below it,
    /// or contains it. Below "/" is everything, so for "/" only the path itself counts.</summary>
    public static bool Overlaps(string path, string sensitive) =>
        path == sensitive || IsUnder(sensitive, path) || (sensitive != "/" && IsUnder(path, sensitive));
}
