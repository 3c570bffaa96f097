using System.Globalization;
using System.Text;
using System.Text.Json;
using static Agent.Cli.Client.ResourceViews;

namespace Agent.Cli.Client;

/// <summary>`agent get gitrepositories` (flux get sources git's columns) and the source lines of `describe gitrepository`,
/// from the "gitRepository" fields of GET /objects. Pure: the time is given.</summary>
public static class GitRepositoryTables
{
    public const string Kind = "GitRepository";

    /// <summary>NAME URL REF REVISION SUSPENDED READY STATUS AGE (wide: path, last sync, next sync, source), as
    /// `flux get sources git`; a suspended repository has no next sync.</summary>
    public static Table List(IEnumerable<JsonElement> objects, DateTimeOffset now, bool wide, bool kindPrefix)
    {
        var table = wide
            ? new Table("NAME", "URL", "REF", "REVISION", "SUSPENDED", "READY", "STATUS", "AGE", "PATH", "LAST SYNC", "NEXT SYNC", "SOURCE")
            : new Table("NAME", "URL", "REF", "REVISION", "SUSPENDED", "READY", "STATUS", "AGE");
        foreach (var o in objects)
        {
            var git = Summary(o);
            var ready = Condition(o, "Ready");
            var suspended = Text(git, "suspend") == "true";
            string[] cells = [kindPrefix ? $"gitrepository/{Str(o, "name")}" : Str(o, "name"), Text(git, "url"), Text(git, "ref"),
                Short(Str(o, "lastAppliedRevision")), suspended ? "True" : "False", ready is { } r ? Str(r, "status") : "Unknown", ready is { } m ? OneLine(Str(m, "message"), cut: !wide) : "",
                Ages.Since(When(git, "since"), now)];
            table.Add(wide
                ? [.. cells, Text(git, "path") is { Length: > 0 } p ? p : "/", Ago(When(git, "lastSyncTime"), now), suspended ? "<none>" : In(When(git, "nextSyncTime"), now), Str(o, "source")]
                : cells);
        }
        return table;
    }

    /// <summary>The source lines of `describe gitrepository`.</summary>
    public static void AppendSource(StringBuilder text, JsonElement o, DateTimeOffset now)
    {
        var git = Summary(o);
        void Field(string label, string? value) => text.Append((label + ":").PadRight(20)).Append(string.IsNullOrEmpty(value) ? "<none>" : value).Append('\n');
        Field("URL", Text(git, "url"));
        Field("Ref", Text(git, "ref"));
        Field("Path", Text(git, "path") is { Length: > 0 } p ? p : "/");
        Field("Suspend", Text(git, "suspend") == "true" ? "True" : "False");
        Field("Prune", Text(git, "prune") == "false" ? "False" : "True");
        Field("Applied Revision", Str(o, "lastAppliedRevision"));
        Field("Fetched Revision", Text(git, "lastFetchedRevision"));
        Field("Last Sync", Ago(When(git, "lastSyncTime"), now));
        Field("Last Attempt", Ago(When(git, "lastAttemptTime"), now));
        Field("Next Sync", Text(git, "suspend") == "true" ? "<none> (suspended)" : In(When(git, "nextSyncTime"), now));
    }

    /// <summary>A message as one table cell: whitespace and line breaks folded to single spaces, cut at
    /// <see cref="MaxCell"/> characters unless <paramref name="cut"/> is false (-o wide and describe show it whole).</summary>
    public static string OneLine(string message, bool cut = true)
    {
        var folded = string.Join(' ', message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return !cut || folded.Length <= MaxCell ? folded : folded[..(MaxCell - 1)] + "…";
    }

    public const int MaxCell = 100;

    /// <summary>main@sha1:0a1b2c3d4e5f (the commit cut to 12 hex digits, like git's short ids).</summary>
    private static string Short(string revision)
    {
        var at = revision.IndexOf("@sha1:", StringComparison.Ordinal);
        return at >= 0 && revision.Length > at + 6 + 12 ? revision[..(at + 6 + 12)] : revision;
    }

    private static JsonElement? Summary(JsonElement o) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty("gitRepository", out var g) && g.ValueKind == JsonValueKind.Object ? g : null;

    private static string Text(JsonElement? o, string name) => o is { } e ? Str(e, name) : "";

    private static DateTimeOffset? When(JsonElement? o, string name) =>
        Text(o, name) is { Length: > 0 } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static string Ago(DateTimeOffset? time, DateTimeOffset now) => time is { } t ? $"{Ages.Format(now - t)} ago" : "";

    private static string In(DateTimeOffset? time, DateTimeOffset now) => time is { } t ? "in " + Ages.Format(t - now) : "";
}
