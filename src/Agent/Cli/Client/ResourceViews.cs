using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Agent.Cli.Client;

/// <summary>The tables and the describe page of the kubectl-like commands, from the API's JSON. Pure: the time is given.</summary>
public static class ResourceViews
{
    public static Table Objects(IEnumerable<JsonElement> objects, DateTimeOffset now, bool wide, bool kindPrefix)
    {
        var table = wide
            ? new Table("NAME", "READY", "STATUS", "AGE", "GENERATION", "SOURCE", "MESSAGE")
            : new Table("NAME", "READY", "STATUS", "AGE");
        foreach (var o in objects)
        {
            var name = kindPrefix ? $"{Str(o, "kind").ToLowerInvariant()}/{Str(o, "name")}" : Str(o, "name");
            var ready = Condition(o, "Ready");
            var age = Ages.Since(Time(o, "since") ?? Time(ready, "lastTransitionTime"), now);
            if (wide)
                table.Add(name, Replicas(o), StatusOf(o), age, $"{Num(o, "observedGeneration")}/{Num(o, "generation")}", Str(o, "source"), Message(o));
            else
                table.Add(name, Replicas(o), StatusOf(o), age);
        }
        return table;
    }

    public static Table Containers(IEnumerable<JsonElement> containers, DateTimeOffset now, bool wide, bool kindPrefix)
    {
        var table = wide
            ? new Table("NAME", "GROUP", "SERVICE", "STATE", "HEALTH", "PORTS", "AGE", "IMAGE", "ID", "STATUS")
            : new Table("NAME", "GROUP", "SERVICE", "STATE", "HEALTH", "PORTS", "AGE");
        foreach (var c in containers)
        {
            var name = (kindPrefix ? "container/" : "") + Str(c, "name");
            var age = Ages.Since(Time(c, "created"), now);
            string[] cells = [name, Str(c, "group"), Str(c, "service"), Str(c, "state"), Health(c), Ports(c), age];
            table.Add(wide ? [.. cells, Str(c, "image"), Str(c, "id") is { Length: > 12 } id ? id[..12] : Str(c, "id"), Str(c, "status")] : cells);
        }
        return table;
    }

    /// <summary>Events of every object, oldest first, like `kubectl get events`.</summary>
    public static Table Events(IEnumerable<(string Object, JsonElement Event)> events, DateTimeOffset now)
    {
        var table = new Table("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE");
        foreach (var (obj, e) in events) table.Add(Ages.Since(Time(e, "time"), now), Str(e, "type"), Str(e, "reason"), obj, Str(e, "message"));
        return table;
    }

    public static IEnumerable<(string Object, JsonElement Event)> EventsOf(IEnumerable<JsonElement> objects) =>
        objects.SelectMany(o => Array(o, "events").Select(e => ($"{Str(o, "kind").ToLowerInvariant()}/{Str(o, "name")}", e)))
            .OrderBy(x => Time(x.Item2, "time")).ThenBy(x => x.Item1, StringComparer.Ordinal);

    /// <summary>`kubectl describe`: the object's identity, conditions, services, containers with ports and health, errors, events.</summary>
    public static string Describe(JsonElement o, IEnumerable<JsonElement> containers, DateTimeOffset now, JsonElement? jobDetail = null)
    {
        var text = new StringBuilder();
        void Field(string label, string? value) => text.Append((label + ":").PadRight(14)).Append(string.IsNullOrEmpty(value) ? "<none>" : value).Append('\n');
        Field("Name", Str(o, "name"));
        Field("Kind", Str(o, "kind"));
        Field("Source", Str(o, "source"));
        Field("Generation", $"{Num(o, "generation")} (observed {Num(o, "observedGeneration")})");
        Field("Status", StatusOf(o));
        Field("Reconciled", Time(o, "lastReconcileTime") is { } t ? $"{Ages.Format(now - t)} ago" : null);
        Section(text, "Conditions", Array(o, "conditions").Aggregate(new Table("TYPE", "STATUS", "REASON", "AGE", "MESSAGE"), (table, c) =>
            table.Add(Str(c, "type"), Str(c, "status"), Str(c, "reason"), Ages.Since(Time(c, "lastTransitionTime"), now), Str(c, "message"))));
        if (Str(o, "kind") == GitRepositoryTables.Kind)
            GitRepositoryTables.AppendSource(text, o, now);
        else if (JobTables.HasOwnTable(Str(o, "kind")))
        {
            // CronJobs and Jobs: the schedule or the latest run, then the runs with their containers.
            JobTables.AppendSchedule(text, o, now, jobDetail);
            if (jobDetail is { } detail) JobTables.AppendRuns(text, detail, now);
        }
        else
        {
            Section(text, "Services", Array(o, "services").Aggregate(new Table("NAME", "READY", "CONTAINERS"), (table, s) =>
                table.Add(Str(s, "name"), $"{Num(s, "readyReplicas")}/{Num(s, "desiredReplicas")}",
                    string.Join(", ", Array(s, "containers").Select(c => Str(c, "name"))))));
            // STATUS: why, when the agent knows it (Stopped by user, CrashLoopBackOff: exit code and failures), else the
            // engine's own words with the exit code (Restarting (3) 2 seconds ago), as kubectl describe shows Last State.
            var why = Array(o, "services").SelectMany(s => Array(s, "containers"))
                .Where(c => Str(c, "message") is { Length: > 0 }).GroupBy(c => Str(c, "name")).ToDictionary(g => g.Key, g => Str(g.First(), "message"));
            Section(text, "Containers", containers.Aggregate(new Table("NAME", "SERVICE", "STATE", "HEALTH", "PORTS", "AGE", "STATUS"), (table, c) =>
                table.Add(Str(c, "name"), Str(c, "service"), Str(c, "state"), Health(c), Ports(c), Ages.Since(Time(c, "created"), now),
                    why.GetValueOrDefault(Str(c, "name")) ?? Str(c, "status"))));
        }
        if (Str(o, "lastError") is { Length: > 0 } error) text.Append("Last Error:\n  ").Append(error).Append('\n');
        if (Array(o, "manifestErrors").ToList() is { Count: > 0 } errors)
        {
            text.Append("Manifest Errors:\n");
            foreach (var e in errors) text.Append("  ").Append(e.GetString()).Append('\n');
        }
        Section(text, "Events", Array(o, "events").Aggregate(new Table("TYPE", "REASON", "AGE", "MESSAGE"), (table, e) =>
            table.Add(Str(e, "type"), Str(e, "reason"), Ages.Since(Time(e, "time"), now), Str(e, "message"))));
        return text.ToString();
    }

    private static void Section(StringBuilder text, string title, Table table)
    {
        text.Append(title).Append(':');
        if (table.Count == 0) text.Append(" <none>\n");
        else text.Append('\n').Append(table.Render("  "));
    }

    /// <summary>The hold of a suspended object (the Suspended condition's reason: Stopped, Down, Suspended), PruneBlocked
    /// (its removal waits for an admin), Ready, or the Ready condition's reason (Progressing, CrashLoopBackOff, InvalidManifest...).</summary>
    public static string StatusOf(JsonElement o)
    {
        // Stopped, down or suspended: "Stopping" while a container of it still runs (probe-26 F4: "1/1 Stopped" with it running).
        if (Condition(o, "Suspended") is { } s && Str(s, "status") == "True")
            return RunningContainers(o).Count > 0 ? "Stopping" : Str(s, "reason") is { Length: > 0 } hold ? hold : "Suspended";
        if (Condition(o, "PruneBlocked") is { } held && Str(held, "status") == "True") return "PruneBlocked";
        var ready = Condition(o, "Ready");
        // Held without a Ready of its own (kept since the agent started while the folder cannot be read): the hold's reason.
        if (ready is null) return Array(o, "manifestErrors").Any() ? "InvalidManifest" : Degraded(o) ?? "Unknown";
        if (Str(ready.Value, "status") != "True")
        {
            var reason = Str(ready.Value, "reason") is { Length: > 0 } r ? r : "NotReady";
            // A replica in a crash loop is what a kubectl user looks for first (probe-63: "1/2 ReplicasNotReady").
            if (reason == "ReplicasNotReady" && Degraded(o) == CrashLoopBackOff) reason = CrashLoopBackOff;
            // The folder or repository cannot be read: said on every object, not only on Ready ones (probe-34: "0/1 Exited" had no mark).
            return Degraded(o) == SourceUnavailable && reason != SourceUnavailable ? $"{reason},{SourceUnavailable}" : reason;
        }
        // A one-shot ran to its end: Completed, like kubectl's completed pod, while nothing else serves; beside replicas that
        // serve (db and app running, migrate done) the object is Ready, not "finished" (probe-26: "2/3 Completed").
        var served = Array(o, "services").Sum(s => Num(s, "readyReplicas")) > 0;
        if (Str(ready.Value, "reason") == "Completed" && !served) return Degraded(o) is { } degradedWhy ? $"Completed,{degradedWhy}" : "Completed";
        // Ready while Degraded (an update rolled back, a held spec): both, as kubectl shows a cordoned node "Ready,SchedulingDisabled".
        return Degraded(o) is { } why ? $"Ready,{why}" : "Ready";
    }

    /// <summary>The names of an object's containers that still run (running, restarting or paused), from its status.</summary>
    public static List<string> RunningContainers(JsonElement o) =>
        Array(o, "services").SelectMany(s => Array(s, "containers"))
            .Where(c => Str(c, "state") is "running" or "restarting" or "paused").Select(c => Str(c, "name")).ToList();

    /// <summary>The reason every object shows while the manifests folder or repository cannot be read.</summary>
    internal const string SourceUnavailable = "SourceUnavailable";
    private const string CrashLoopBackOff = "CrashLoopBackOff";

    private static string? Degraded(JsonElement o) =>
        Condition(o, "Degraded") is { } d && Str(d, "status") == "True" && Str(d, "reason") is { Length: > 0 } why ? why : null;

    private static string Replicas(JsonElement o)
    {
        var services = Array(o, "services").ToList();
        if (services.Count == 0) return "-";
        return $"{services.Sum(s => Num(s, "readyReplicas"))}/{services.Sum(s => Num(s, "desiredReplicas"))}";
    }

    private static string Message(JsonElement o) =>
        Str(o, "lastError") is { Length: > 0 } e ? e
        : Condition(o, "Ready") is { } r && Str(r, "status") != "True" ? Str(r, "message")
        : Degraded(o) is not null ? Str(Condition(o, "Degraded")!.Value, "message") : "";

    /// <summary>docker ps style: 127.0.0.1:49153->8080/tcp, 9000/tcp (not published).</summary>
    public static string Ports(JsonElement c) => string.Join(", ", Array(c, "ports").Select(p =>
    {
        var inner = $"{Num(p, "containerPort")}/{(Str(p, "protocol") is { Length: > 0 } proto ? proto : "tcp")}";
        if (!p.TryGetProperty("hostPort", out var hp) || hp.ValueKind != JsonValueKind.Number) return inner;
        var ip = Str(p, "hostIp");
        return $"{(string.IsNullOrEmpty(ip) ? "" : ip.Contains(':') ? $"[{ip}]:" : ip + ":")}{hp.GetInt32()}->{inner}";
    }).Distinct());

    private static string Health(JsonElement c) => Str(c, "health") is { Length: > 0 } h && h != "none" ? h : "-";

    public static JsonElement? Condition(JsonElement o, string type) =>
        Array(o, "conditions").Where(c => Str(c, "type") == type).Select(c => (JsonElement?)c).FirstOrDefault();

    public static IEnumerable<JsonElement> Array(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : [];

    /// <summary>The replica number from the agent's replica label (PREFIX.replica, the prefix being that of PREFIX.kind).</summary>
    public static int? Replica(JsonElement container)
    {
        if (!container.TryGetProperty("labels", out var labels) || labels.ValueKind != JsonValueKind.Object) return null;
        var kind = ResourceViews.Str(container, "kind");
        foreach (var label in labels.EnumerateObject())
        {
            if (!label.Name.EndsWith(".kind", StringComparison.Ordinal) || label.Value.GetString() != kind) continue;
            var prefix = label.Name[..^".kind".Length];
            if (labels.TryGetProperty(prefix + ".replica", out var value)
                && int.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
        }
        return null;
    }

    /// <summary>A list in one table cell: the first few names, then how many more, as kubectl prints endpoints
    /// ("a,b,c + 147 more..."), so one network of 150 containers does not widen every row to 150 names.</summary>
    public static string FirstFew(IEnumerable<string> names, int shown = 3)
    {
        var all = names.ToList();
        return all.Count <= shown ? string.Join(",", all) : $"{string.Join(",", all.Take(shown))} + {all.Count - shown} more...";
    }

    public static string Str(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString() ?? "",
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
                _ => "",
            }
            : "";

    private static long Num(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;

    private static DateTimeOffset? Time(JsonElement? o, string name) =>
        o is { } e && Str(e, name) is { Length: > 0 } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}
