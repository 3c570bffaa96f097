using System.Text.RegularExpressions;

namespace Agent.Http;

/// <summary>
/// The classic builder records the build args a RUN step saw in the image's history: created_by is
/// <c>|2 NPM_TOKEN=value VERSION=1 /bin/sh -c npm ci</c> (docker history shows the same). A viewer, who does not see
/// containers' environment values either, gets <c>|2 NPM_TOKEN=&lt;redacted&gt; VERSION=&lt;redacted&gt; /bin/sh -c npm ci</c>;
/// when the values cannot be told from the command (a value with a space, another SHELL) everything after the count is
/// redacted rather than a piece of a value shown.
/// </summary>
public static partial class BuildArgRedaction
{
    public const string Redacted = "<redacted>";

    [GeneratedRegex(@"^\|(?<count>[0-9]{1,4}) ")]
    private static partial Regex Count();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.\-]*=")]
    private static partial Regex Name();

    public static string CreatedBy(string createdBy)
    {
        if (Count().Match(createdBy) is not { Success: true } m) return createdBy;
        var count = int.Parse(m.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var prefix = m.Value;
        var rest = createdBy[m.Length..];
        // The args come first, sorted, unquoted; the shell form's command starts with "/bin/sh -c ". Take the args as
        // `NAME=` words up to there and require exactly `count` of them.
        var shell = rest.LastIndexOf("/bin/sh -c ", StringComparison.Ordinal); // the last: a value never leaks past it
        if (shell >= 0)
        {
            var args = rest[..shell].TrimEnd(' ').Split(' ');
            if (args.Length == count && args.All(a => Name().IsMatch(a)))
                return prefix + string.Join(' ', args.Select(a => a[..(a.IndexOf('=') + 1)] + Redacted)) + " " + rest[shell..];
        }
        return $"{prefix}{Redacted} (build args and command)";
    }
}
