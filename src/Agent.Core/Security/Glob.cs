using System.Text.RegularExpressions;

namespace Agent.Core.Security;

public static class Glob
{
    /// <summary>Matches `*` (any run of characters) and `?` (one character) against the whole text.</summary>
    public static bool IsMatch(string pattern, string text) =>
        Regex.IsMatch(text, "^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}
