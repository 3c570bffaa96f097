using System.Text;
using System.Text.RegularExpressions;

namespace Agent.Core.Build;

/// <summary>
/// A build context's .dockerignore, as the classic builder reads it: one pattern per line, `#` comments, paths relative
/// to the context root (a leading `/` and `./` are dropped), `*` and `?` within one path segment, `**` across
/// segments, `!` re-includes; the last matching line wins, and a pattern that matches a folder excludes what is inside it.
/// </summary>
public sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Exclude)> rules = [];

    public DockerIgnore(string? content)
    {
        foreach (var raw in (content ?? "").Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var exclude = !line.StartsWith('!');
            var pattern = Clean(exclude ? line : line[1..].Trim());
            if (pattern.Length == 0) continue;
            rules.Add((new Regex("^" + ToRegex(pattern) + "(/.*)?$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), exclude));
        }
    }

    /// <summary>True when the file (a '/'-separated path relative to the context root) is left out of the context.</summary>
    public bool Excludes(string relativePath)
    {
        var path = Clean(relativePath);
        var excluded = false;
        foreach (var (pattern, exclude) in rules)
            if (pattern.IsMatch(path)) excluded = exclude;
        return excluded;
    }

    private static string Clean(string path)
    {
        var p = path.Replace('\\', '/');
        while (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
        return p.Trim('/');
    }

    private static string ToRegex(string pattern)
    {
        var regex = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                i++;
                if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                {
                    i++;
                    regex.Append("(.*/)?"); // **/ : any number of folders, also none
                }
                else regex.Append(".*");
            }
            else if (c == '*') regex.Append("[^/]*");
            else if (c == '?') regex.Append("[^/]");
            else regex.Append(Regex.Escape(c.ToString()));
        }
        return regex.ToString();
    }
}
