using System.Globalization;
using System.Text;
using System.Text.Json;
using static Agent.Cli.Client.ResourceViews;

namespace Agent.Cli.Client;

/// <summary>The columns kubectl shows for CronJobs and Jobs, from the "job" fields of GET /objects; and the runs part of
/// `describe cronjob|job`. Pure: the time is given.</summary>
public static class JobTables
{
    /// <summary>Kinds with their own table; every other kind uses the object table.</summary>
    public static bool HasOwnTable(string kind) => kind is "CronJob" or "Job" or "ApiJob" or GitRepositoryTables.Kind;

    public static Table For(string kind, IEnumerable<JsonElement> objects, DateTimeOffset now, bool wide, bool kindPrefix) => kind switch
    {
        "CronJob" => CronJobs(objects, now, wide, kindPrefix),
        GitRepositoryTables.Kind => GitRepositoryTables.List(objects, now, wide, kindPrefix),
        _ => Jobs(objects, now, wide, kindPrefix),
    };

    /// <summary>One table for the kinds with the common columns, then one per kind with its own (CronJob, Job), as kubectl get all.</summary>
    public static IReadOnlyList<Table> KindTables(IEnumerable<JsonElement> objects, DateTimeOffset now, bool wide, bool kindPrefix)
    {
        var list = objects.ToList();
        List<Table> tables = [Objects(list.Where(o => !HasOwnTable(ResourceViews.Str(o, "kind"))), now, wide, kindPrefix)];
        foreach (var kind in list.GroupBy(o => ResourceViews.Str(o, "kind")).Where(g => HasOwnTable(g.Key)).OrderBy(g => g.Key, StringComparer.Ordinal))
            tables.Add(For(kind.Key, kind, now, wide, kindPrefix));
        return tables;
    }

    /// <summary>kubectl get cronjobs: NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE (wide: the policy, next run, last success, status).</summary>
    public static Table CronJobs(IEnumerable<JsonElement> objects, DateTimeOffset now, bool wide, bool kindPrefix)
    {
        var list = objects.ToList();
        // A CronJob held (its manifests cannot be read, its deletion held by the mass-prune guard), cut off from the engine or
        // with its history in memory only, or whose runs Replace ends before they start, says so even without -o wide: a
        // STATUS column is added while one is (probe-16 F6, probe-24, probe-25, probe-36 7).
        var held = !wide && list.Any(o => HeldReason(o) is not null);
        var table = wide
            ? new Table("NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE", "CONCURRENCY", "NEXT SCHEDULE", "LAST SUCCESS", "STATUS", "MESSAGE")
            : held ? new Table("NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE", "STATUS")
            : new Table("NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE");
        foreach (var o in list)
        {
            var job = Summary(o);
            string[] cells = [Name(o, kindPrefix), Str(job, "schedule") is { Length: > 0 } schedule ? schedule : "<unknown>", Str(job, "timeZone"),
                Str(job, "suspended") == "true" ? "True" : "False", Count(job, "active"), Ages.Since(When(job, "lastScheduleTime"), now), Ages.Since(When(job, "since"), now)];
            table.Add(wide
                ? [.. cells, Str(job, "concurrencyPolicy"), In(When(job, "nextRunTime"), now), Ages.Since(When(job, "lastSuccessfulTime"), now), StatusOf(o), Message(o)]
                : held ? [.. cells, StatusOf(o)] : cells);
        }
        return table;
    }

    /// <summary>kubectl get jobs: NAME STATUS COMPLETIONS DURATION AGE (wide: exit code, reason, source).</summary>
    public static Table Jobs(IEnumerable<JsonElement> objects, DateTimeOffset now, bool wide, bool kindPrefix)
    {
        var table = wide
            ? new Table("NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE", "EXIT CODE", "REASON", "SOURCE")
            : new Table("NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE");
        foreach (var o in objects)
        {
            var job = Summary(o);
            var phase = Str(job, "phase");
            var status = phase switch { "Succeeded" => "Complete", "" => StatusOf(o), _ => phase };
            // A finished Job whose manifest cannot be read or parsed now: held at its last good version, shown beside its phase.
            if (phase != "" && Condition(o, "Ready") is { } ready && Str(ready, "status") != "True"
                && Str(ready, "reason") is Sources.DesiredEntry.InvalidManifest or Sources.DesiredEntry.ManifestUnreadable or Sources.DesiredEntry.WritableBindsLost
                    or ResourceViews.SourceUnavailable or Core.Status.ConditionTypes.PruneBlocked or Core.Planning.Hold.PrunePending)
                status += "," + Str(ready, "reason");
            // Kept running at its last good spec while its manifest is held: `Complete,SourceUnavailable`, `Complete,PruneBlocked`.
            else if (phase != "" && HeldReason(o) is { } why) status += "," + why;
            var duration = job is { } j && j.TryGetProperty("durationSeconds", out var d) && d.ValueKind == JsonValueKind.Number
                ? Ages.Format(TimeSpan.FromSeconds(d.GetDouble()))
                : Ages.Since(When(job, "startTime"), now);
            string[] cells = [Name(o, kindPrefix), status, $"{(phase == "Succeeded" ? 1 : 0)}/1", duration, Ages.Since(When(job, "since"), now)];
            table.Add(wide ? [.. cells, Str(job, "exitCode"), Str(job, "reason"), Str(o, "source")] : cells);
        }
        return table;
    }

    /// <summary>The runs of `describe cronjob|job` (from GET /cronjobs/{name} or /jobs/{id}): active first, then history, newest first.</summary>
    public static void AppendRuns(StringBuilder text, JsonElement detail, DateTimeOffset now)
    {
        var summary = new Table("RUN", "PHASE", "REASON", "EXIT CODE", "ATTEMPTS", "STARTED", "DURATION", "CONTAINER");
        foreach (var r in Array(detail, "active").Concat(Array(detail, "history")))
        {
            var duration = r.TryGetProperty("durationSeconds", out var d) && d.ValueKind == JsonValueKind.Number ? Ages.Format(TimeSpan.FromSeconds(d.GetDouble())) : "";
            summary.Add(Str(r, "id"), Str(r, "phase"), Str(r, "reason"), Str(r, "exitCode"), Str(r, "attempts"),
                Ages.Since(When(r, "start"), now) is { Length: > 0 } ago ? ago + " ago" : "", duration,
                Removed(r) ? (Str(r, "container") is { Length: > 0 } c ? c + " " : "") + "(removed after ttlAfterFinished)" : Str(r, "container"));
        }
        text.Append("Runs:");
        if (summary.Count == 0) text.Append(" <none>\n");
        else text.Append('\n').Append(summary.Render("  "));
    }

    /// <summary>The schedule lines of `describe cronjob`.</summary>
    /// <param name="detail">GET /cronjobs/{name} or /jobs/{id}: a run it marks removed (ttlAfterFinished) is counted as
    /// removed, not kept, so the counts agree with the runs listed below them.</param>
    public static void AppendSchedule(StringBuilder text, JsonElement o, DateTimeOffset now, JsonElement? detail = null)
    {
        var job = Summary(o);
        if (job is null) return;
        void Field(string label, string? value) => text.Append((label + ":").PadRight(20)).Append(string.IsNullOrEmpty(value) ? "<none>" : value).Append('\n');
        if (Str(job, "schedule") is { Length: > 0 } schedule)
        {
            Field("Schedule", schedule);
            Field("Time Zone", Str(job, "timeZone"));
            Field("Concurrency Policy", Str(job, "concurrencyPolicy"));
            Field("Suspend", Str(job, "suspended") == "true" ? "True" : "False");
            Field("Last Schedule Time", At(When(job, "lastScheduleTime"), now));
            Field("Last Successful", At(When(job, "lastSuccessfulTime"), now));
            Field("Next Schedule", When(job, "nextRunTime") is { } next ? $"{next.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} ({In(next, now)})" : null);
        }
        else
        {
            Field("Phase", Str(job, "phase"));
            Field("Start Time", At(When(job, "startTime"), now));
            Field("Completed At", At(When(job, "completionTime"), now));
            Field("Exit Code", Str(job, "exitCode"));
            Field("Reason", Str(job, "reason"));
        }
        Field("Active Runs", Count(job, "active"));
        var removed = detail is { } d ? Array(d, "history").Where(Removed).ToList() : [];
        int Kept(string phase, string count) => int.TryParse(Count(job, count), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? Math.Max(0, n - removed.Count(r => Str(r, "phase") == phase)) : 0;
        Field("Runs Kept", $"{Kept("Succeeded", "succeeded")} succeeded / {Kept("Failed", "failed")} failed");
        if (removed.Count > 0)
            Field("Runs Removed", string.Join(", ", removed.Select(r => $"{Str(r, "id")} ({Str(r, "phase").ToLowerInvariant()}) after ttlAfterFinished")));
    }

    /// <summary>Why a CronJob's or Job's manifest is held now (Degraded with a hold's reason, or PruneBlocked), or null.</summary>
    private static string? HeldReason(JsonElement o) =>
        Condition(o, "PruneBlocked") is { } p && Str(p, "status") == "True" ? Core.Status.ConditionTypes.PruneBlocked
        : Condition(o, "Ready") is { } ready && Str(ready, "reason") == "InvalidManifest" ? "InvalidManifest" // never read valid (probe-30 F15)
        : Condition(o, "Degraded") is { } d && Str(d, "status") == "True" && Str(d, "reason") is var r
          && r is ResourceViews.SourceUnavailable or Core.Planning.Hold.PrunePending or Sources.DesiredEntry.ManifestUnreadable or Core.Jobs.JobConditions.EngineUnavailable
              or Core.Jobs.JobConditions.HistoryNotSaved or Core.Jobs.JobConditions.ReplacedBeforeStart or Core.Jobs.JobConditions.StateDirUnavailable ? r : null;

    private static JsonElement? Summary(JsonElement o) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty("job", out var j) && j.ValueKind == JsonValueKind.Object ? j : null;

    private static string Name(JsonElement o, bool kindPrefix) => kindPrefix ? $"{Str(o, "kind").ToLowerInvariant()}/{Str(o, "name")}" : Str(o, "name");

    private static string Str(JsonElement? o, string name) => o is { } e ? ResourceViews.Str(e, name) : "";

    private static bool Removed(JsonElement run) => run.TryGetProperty("removed", out var r) && r.ValueKind == JsonValueKind.True;

    private static string Count(JsonElement? o, string name) => Str(o, name) is { Length: > 0 } n ? n : "0";

    private static string Message(JsonElement o) => Condition(o, "Ready") is { } r ? ResourceViews.Str(r, "message") : "";

    private static DateTimeOffset? When(JsonElement? o, string name) =>
        Str(o, name) is { Length: > 0 } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static string At(DateTimeOffset? time, DateTimeOffset now) =>
        time is { } t ? $"{t.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} ({Ages.Format(now - t)} ago)" : "";

    private static string In(DateTimeOffset? time, DateTimeOffset now) => time is { } t ? "in " + Ages.Format(t - now) : "";
}
