using System.Text.RegularExpressions;

namespace Agent.Http;

/// <summary>
/// What a viewer, who does not see containers' environment values, sees of an image's history. The classic builder
/// records the build args a RUN step saw: created_by is <c>|2 NPM_TOKEN=value VERSION=1 /bin/sh -c npm ci</c> (docker
/// history shows the same); a viewer gets <c>|2 NPM_TOKEN=&lt;redacted&gt; VERSION=&lt;redacted&gt; /bin/sh -c npm ci</c>.
/// When the values cannot be told from the command (a value with a space, an exec-form RUN, another SHELL) everything
/// after the count is redacted rather than a piece of a value shown. An ENV step (<c>#(nop)  ENV T=value</c>, where a
/// build arg copied into the environment lands) shows its names only, as a container's environment does.
/// </summary>
public static partial class HistoryRedaction
{
    public const string Redacted = "<redacted>";

    [GeneratedRegex(@"^\|(?<count>[0-9]{1,4}) ")]
    private static partial Regex Count();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.\-]*=")]
    private static partial Regex Name();

    private const string EnvStep = "#(nop)  ENV ";

    [GeneratedRegex(@"(?:^|\s)(?<name>[A-Za-z_][A-Za-z0-9_.\-]*)=")]
    private static partial Regex EnvNames();

    public static string CreatedBy(string createdBy)
    {
        if (createdBy.IndexOf(EnvStep, StringComparison.Ordinal) is var env and >= 0 && !createdBy.StartsWith('|'))
        {
            var assignments = createdBy[(env + EnvStep.Length)..];
            var names = EnvNames().Matches(assignments).Select(n => n.Groups["name"].Value + "=" + Redacted).ToList();
            // The old form `ENV NAME value` sets one variable: its name is the first word.
            var shown = names.Count > 0 ? string.Join(' ', names) : assignments.Split(' ', 2)[0] + " " + Redacted;
            return createdBy[..(env + EnvStep.Length)] + shown;
        }
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
