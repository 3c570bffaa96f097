using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Agent.Cli.Client;

/// <summary>`agent logs TARGET [--service S] [-f] [--tail N] [-t]`, like kubectl logs and docker compose logs. TARGET is a
/// container name or id, or KIND/NAME: job/ID (the Job's latest run), cronjob/NAME (its most recent run, the active one
/// first), servicegroup/NAME or composeproject/NAME (every container of the object, each line prefixed with its
/// container's name like docker compose logs; --service keeps one service's).</summary>
public static class LogsCommand
{
    public static Command Create()
    {
        var container = new Argument<string>("target")
        {
            Description = "A container name or id (see `agent get containers`), or KIND/NAME: job/ID, cronjob/NAME (its latest run), servicegroup/NAME or composeproject/NAME (all its containers, prefixed)",
        };
        var service = new Option<string?>("--service") { Description = "With servicegroup/NAME or composeproject/NAME: only this service's containers" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep streaming new lines" };
        var tail = new Option<int?>("--tail")
        {
            Description = "Only the last N lines (of each container)",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
                result.AddError($"--tail \"{text}\" is not a number of lines: give a whole number, 0 or more (e.g. --tail 20)");
                return null;
            },
        };
        var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Prefix each line with its time" };
        var command = new Command("logs", "Print a container's logs, or those of job/ID, cronjob/NAME (latest run), servicegroup/NAME or composeproject/NAME (all containers, prefixed), like kubectl logs / docker compose logs.")
        {
            container, service, follow, tail, timestamps,
        };
        command.SetAction((parse, ct) => ClientCommand.RunAsync(parse, ct, async client =>
        {
            var query = new List<string>();
            if (parse.GetValue(tail) is { } n)
            {
                if (n < 0) throw new AgentApiException($"--tail {n}: give a number of lines, 0 or more");
                query.Add($"tail={n}");
            }
            if (parse.GetValue(follow)) query.Add("follow=true");
            if (parse.GetValue(timestamps)) query.Add("timestamps=true");
            var suffix = query.Count > 0 ? "?" + string.Join("&", query) : "";
            var target = LogsTarget.Parse(parse.GetValue(container)!);
            var only = parse.GetValue(service);
            if (only is not null && target.Kind is not LogsTargetKind.Group)
                throw new AgentApiException($"--service chooses containers of a servicegroup or composeproject: give servicegroup/NAME or composeproject/NAME, not \"{Core.TerminalText.Escape(target.Typed)}\"");
            switch (target.Kind)
            {
                case LogsTargetKind.Container:
                    await CopyAsync(client, target.Name, suffix, notFound: null, ct);
                    return 0;
                case LogsTargetKind.Job or LogsTargetKind.CronJob:
                    var (run, shown) = await LatestRunAsync(client, target, parse.GetValue(follow), ct);
                    await CopyAsync(client, run, suffix, notFound: $"the container {run} of {shown}'s latest run is gone (removed by the agent or by hand); agent describe {shown} shows its runs", ct);
                    return 0;
                default:
                    return await GroupAsync(client, target, only, suffix, parse.GetValue(follow), ct);
            }
        }));
        return command;
    }

    /// <summary>One container's logs copied to stdout as they come.</summary>
    private static async Task CopyAsync(AgentClient client, string container, string suffix, string? notFound, CancellationToken ct)
    {
        using var response = await OpenAsync(client, container, suffix, notFound, ct);
        await using var stdout = Console.OpenStandardOutput();
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[8192];
        var last = new List<byte>(); // the line being written: the agent's last line says when the engine broke the stream off
        int read;
        try
        {
            while ((read = await body.ReadAsync(buffer, ct)) > 0)
            {
                await stdout.WriteAsync(buffer.AsMemory(0, read), ct);
                await stdout.FlushAsync(ct);
                LastLine(last, buffer.AsSpan(0, read));
            }
        }
        catch (IOException e) when (!ct.IsCancellationRequested)
        {
            throw BrokeOff(container, e.Message);
        }
        if (EndedWhy(Encoding.UTF8.GetString(last.ToArray()).TrimEnd('\n')) is not null) throw BrokeOff(container, why: null);
    }

    /// <summary>Why the engine broke the stream off, when <paramref name="lastLine"/> is the agent's line saying so
    /// (<see cref="Http.ContainerEndpoints.LogsEnded"/>); null for a stream that ended with its container.</summary>
    private static string? EndedWhy(string lastLine) =>
        lastLine.StartsWith(Http.ContainerEndpoints.LogsEnded, StringComparison.Ordinal) ? lastLine[Http.ContainerEndpoints.LogsEnded.Length..] : null;

    /// <param name="why">Null when the stream's last line (printed already) says why: it is not repeated (probe-22 F10).</param>
    private static AgentApiException BrokeOff(string container, string? why) =>
        new($"the logs of {Core.TerminalText.Escape(container)} broke off before the container stopped" +
            (why is null ? $" (the \"{Http.ContainerEndpoints.LogsEnded.Trim()}\" line above says why)" : $": {why}"));

    /// <summary>Keeps the last line of what was read, its newline included (at most 4 KiB of it).</summary>
    private static void LastLine(List<byte> last, ReadOnlySpan<byte> chunk)
    {
        var cut = chunk[..^1].LastIndexOf((byte)'\n'); // a newline before the chunk's last byte starts a new line
        if (cut >= 0 || (last.Count > 0 && last[^1] == (byte)'\n')) last.Clear();
        foreach (var b in chunk[(cut + 1)..])
        {
            if (last.Count >= 4096) break;
            last.Add(b);
        }
    }

    private static async Task<HttpResponseMessage> OpenAsync(AgentClient client, string container, string suffix, string? notFound, CancellationToken ct)
    {
        try
        {
            return await client.StreamAsync($"api/v1/containers/{Uri.EscapeDataString(container)}/logs{suffix}", ct);
        }
        catch (AgentApiException e) when (e.Status == 404)
        {
            throw new AgentApiException(notFound ?? NoContainer(container), 404);
        }
    }

    /// <summary>The CLI's words for a container the agent does not manage: the name as typed, and the command that lists them.</summary>
    public static string NoContainer(string name) =>
        $"No container \"{Core.TerminalText.Escape(name)}\" managed by this agent (agent get containers lists them; objects are named KIND/NAME, e.g. servicegroup/web, job/migrate)";

    /// <summary>The container of a Job's or CronJob's most recent run: the active one started last, else the newest ended
    /// one. Following, a run without a container yet is waited for (as kubectl logs -f job/NAME waits for its pod), up to
    /// <see cref="Http.JobEndpoints.ContainerWait"/>, as the API's logs?follow=true waits.</summary>
    internal static async Task<(string Container, string Shown)> LatestRunAsync(AgentClient client, LogsTarget target, bool follow, CancellationToken ct)
    {
        var cron = target.Kind == LogsTargetKind.CronJob;
        var shown = $"{(cron ? "cronjob" : "job")}/{target.Name}";
        var until = DateTimeOffset.UtcNow + Http.JobEndpoints.ContainerWait;
        while (true)
        {
            var view = await StatusAsync(client, target, ct);
            if (!cron && LatestRunRemoved(view))
            {
                // Its run removed after ttlAfterFinished: the API's own answer (410, naming the removal) is the message.
                using var gone = await client.StreamAsync($"api/v1/jobs/{Uri.EscapeDataString(target.Name)}/logs", ct);
                throw new AgentApiException($"{shown}'s latest run was removed after ttlAfterFinished, with its containers and their logs", 410);
            }
            if (LatestRunContainer(view) is { } container) return (container, shown);
            if (!follow || (!cron && EndedWithoutContainer(view)) || DateTimeOffset.UtcNow >= until)
                throw new AgentApiException(
                    $"{shown} has no run with a container yet{(cron ? $" (agent describe {shown} shows its schedule; a run can be started now through POST /api/v1/cronjobs/{target.Name}/trigger)" : $" (agent describe {shown} shows its state)")}");
            await Task.Delay(500, ct);
        }
    }

    private static async Task<JsonElement> StatusAsync(AgentClient client, LogsTarget target, CancellationToken ct)
    {
        var cron = target.Kind == LogsTargetKind.CronJob;
        try
        {
            return await client.GetAsync($"api/v1/{(cron ? "cronjobs" : "jobs")}/{Uri.EscapeDataString(target.Name)}", ct);
        }
        catch (AgentApiException e) when (e.Status == 404)
        {
            var name = Core.TerminalText.Escape(target.Name);
            if (!cron && await ObjectReference.IsCronJobAsync(client, target.Name, ct))
                throw new AgentApiException($"no Job \"{name}\": {name} is a CronJob (agent logs cronjob/{name})", 404);
            // A CronJob run's id: the agent's answer says whose run it is and where its output is.
            if (!cron && await ObjectReference.IsCronJobRunAsync(client, target.Name, ct))
                throw new AgentApiException(Core.TerminalText.Escape(e.Message), 404);
            throw new AgentApiException($"no {(cron ? "CronJob" : "Job")} \"{name}\" (agent get {(cron ? "cronjobs" : "jobs")} lists them)", 404);
        }
    }

    /// <summary>From a Job's status: no run is active and one has ended (without a container, when none names one).</summary>
    private static bool EndedWithoutContainer(JsonElement view) => !Runs(view, "active").Any() && Runs(view, "history").Any();

    /// <summary>From a CronJob's or Job's status (GET /cronjobs/NAME, /jobs/ID): the container of its active run started
    /// last, else of its newest ended run; null when no run has a container.</summary>
    public static string? LatestRunContainer(JsonElement view)
    {
        static DateTimeOffset Start(JsonElement run) => run.TryGetProperty("start", out var s) && s.TryGetDateTimeOffset(out var at) ? at : DateTimeOffset.MinValue;
        return Runs(view, "active").OrderByDescending(Start).Concat(Runs(view, "history").OrderByDescending(Start))
            .Select(r => ResourceViews.Str(r, "container")).FirstOrDefault(c => c.Length > 0);
    }

    /// <summary>From the CronJob list (GET /cronjobs): one of them has a run, active or kept, of that id.</summary>
    internal static bool IsCronJobRun(JsonElement cronJobs, string id) =>
        cronJobs.ValueKind == JsonValueKind.Array
        && cronJobs.EnumerateArray().Any(c => Runs(c, "active").Concat(Runs(c, "history")).Any(r => ResourceViews.Str(r, "id") == id));

    /// <summary>A status's list of runs (<c>active</c>, <c>history</c>); none when it has no such list.</summary>
    private static IEnumerable<JsonElement> Runs(JsonElement view, string field) =>
        view.ValueKind == JsonValueKind.Object && view.TryGetProperty(field, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray()
            : [];

    /// <summary>From a Job's status (GET /jobs/ID): its newest run is the one ttlAfterFinished removed (removed: true).</summary>
    public static bool LatestRunRemoved(JsonElement view) =>
        !Runs(view, "active").Any()
        && Runs(view, "history").FirstOrDefault() is { ValueKind: JsonValueKind.Object } newest
        && newest.TryGetProperty("removed", out var removed) && removed.ValueKind == JsonValueKind.True;

    /// <summary>Every container of a ServiceGroup or ComposeProject, each line prefixed "NAME | " (docker compose logs):
    /// in service then replica order one after the other; with -f all at once, lines as they come.</summary>
    private static async Task<int> GroupAsync(AgentClient client, LogsTarget target, string? service, string suffix, bool follow, CancellationToken ct)
    {
        var shown = $"{target.Typed.ToLowerInvariant()}/{target.Name}";
        var list = await client.GetAsync("api/v1/containers", ct);
        var all = (list.ValueKind == JsonValueKind.Array ? list.EnumerateArray() : Enumerable.Empty<JsonElement>())
            .Where(c => string.Equals(ResourceViews.Str(c, "kind"), target.ObjectKind, StringComparison.OrdinalIgnoreCase) && ResourceViews.Str(c, "group") == target.Name)
            .ToList();
        if (all.Count == 0) throw new AgentApiException($"{shown} has no containers (agent get {shown} shows its state)");
        var chosen = Containers(all, service);
        if (chosen.Count == 0)
            throw new AgentApiException($"{shown} has no container of service \"{Core.TerminalText.Escape(service!)}\" (its services: {string.Join(", ", all.Select(c => ResourceViews.Str(c, "service")).Distinct().Order(StringComparer.Ordinal))})");
        var width = chosen.Max(c => c.Length);
        var output = new Lock();
        var failed = 0;
        async Task One(string name)
        {
            try
            {
                using var response = await OpenAsync(client, name, suffix, $"the container {name} of {shown} is gone (removed meanwhile)", ct);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct), Encoding.UTF8);
                var last = "";
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    last = line;
                    lock (output) Console.Out.WriteLine(Prefixed(name, width, line));
                }
                // The agent's last line says the engine broke the stream off: an error, as for one container's logs.
                if (EndedWhy(last) is not null) throw BrokeOff(name, why: null);
            }
            catch (AgentApiException e)
            {
                Interlocked.Increment(ref failed);
                lock (output) Console.Error.WriteLine($"error: {e.Message}");
            }
        }
        if (follow) await Task.WhenAll(chosen.Select(One));
        else foreach (var name in chosen) await One(name);
        Console.Out.Flush();
        return failed > 0 ? 1 : 0;
    }

    /// <summary>The containers whose logs `agent logs GROUP` prints, in order: service by name, then replica, then name;
    /// only <paramref name="service"/>'s when given.</summary>
    public static List<string> Containers(IEnumerable<JsonElement> containers, string? service) =>
        containers.Where(c => service is null || ResourceViews.Str(c, "service") == service)
            .OrderBy(c => ResourceViews.Str(c, "service"), StringComparer.Ordinal)
            .ThenBy(c => ResourceViews.Replica(c) ?? int.MaxValue)
            .ThenBy(c => ResourceViews.Str(c, "name"), StringComparer.Ordinal)
            .Select(c => ResourceViews.Str(c, "name")).ToList();

    /// <summary>"name-1  | line", the name padded to the widest, as docker compose logs prints.</summary>
    public static string Prefixed(string container, int width, string line) => $"{container.PadRight(width)} | {line}";
}

public enum LogsTargetKind { Container, Job, CronJob, Group }

/// <summary>What `agent logs TARGET` names: a container (no slash, or container/NAME), job/ID, cronjob/NAME, or a
/// ServiceGroup or ComposeProject (servicegroup/NAME, sg/NAME, composeproject/NAME, cp/NAME).</summary>
public sealed record LogsTarget(LogsTargetKind Kind, string Typed, string Name, string ObjectKind)
{
    public static LogsTarget Parse(string target)
    {
        if (ResourceKinds.SplitReference(target) is not var (typed, name)) return new(LogsTargetKind.Container, target, target, "");
        return ResourceKinds.Resolve(typed, []) switch
        {
            ResourceKinds.Containers => new(LogsTargetKind.Container, typed, name, ""),
            ResourceKinds.JobKind => new(LogsTargetKind.Job, "job", name, ResourceKinds.JobKind),
            Core.Model.CronJob.KindName => new(LogsTargetKind.CronJob, "cronjob", name, Core.Model.CronJob.KindName),
            Core.Model.ServiceGroup.KindName => new(LogsTargetKind.Group, "servicegroup", name, Core.Model.ServiceGroup.KindName),
            Core.Model.ServiceGroup.ComposeKindName => new(LogsTargetKind.Group, "composeproject", name, Core.Model.ServiceGroup.ComposeKindName),
            _ => throw new AgentApiException(
                $"\"{Core.TerminalText.Escape(typed)}/\" names no kind with logs: give a container name (agent get containers lists them), job/ID, cronjob/NAME, servicegroup/NAME or composeproject/NAME"),
        };
    }
}
