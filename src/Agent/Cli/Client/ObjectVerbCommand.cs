using System.CommandLine;
using System.Text.Json;

namespace Agent.Cli.Client;

/// <summary>
/// `agent stop|start|restart servicegroup/NAME|composeproject/NAME`, `agent down|up composeproject/NAME`: the verbs of
/// the API (stop and down persist, start and up clear them; a compose project's stop keeps its containers, stopped, like
/// docker compose stop, its down removes them). Like
/// `docker compose stop`, `stop` returns once the object's containers are stopped (`--wait=false`: once the stop is
/// requested), and fails at `--timeout` naming the containers still running. `restart` returns when it is done;
/// `start` once requested (`agent wait KIND/NAME --for=condition=Ready` waits for readiness).
/// </summary>
public static class ObjectVerbCommand
{
    public static Command Create(string verb, string description)
    {
        var reference = new Argument<string>("object") { Description = verb is "down" or "up" ? "composeproject/NAME" : "KIND/NAME, e.g. servicegroup/core" };
        var command = new Command(verb, description) { reference };
        Option<bool>? wait = null;
        Option<TimeSpan>? timeout = null;
        if (verb is "stop" or "down")
        {
            wait = new Option<bool>("--wait") { Description = $"Wait until the containers are {(verb == "stop" ? "stopped" : "removed")} (--wait=false: return once it is requested)", DefaultValueFactory = _ => true };
            timeout = DurationOption.Create("--timeout", "How long to wait for the containers to stop", TimeSpan.FromMinutes(2));
            command.Options.Add(wait);
            command.Options.Add(timeout);
        }
        Option<string?>? service = null;
        if (verb is "stop" or "start")
        {
            service = new Option<string?>("--service") { Description = $"With composeproject/NAME: {verb} only this service's containers, like docker compose {verb} SERVICE" };
            command.Options.Add(service);
        }
        command.SetAction((parse, ct) => ClientCommand.RunAsync(parse, ct, async client =>
        {
            var (typed, name) = ObjectReference.Parse(parse.GetValue(reference)!, null);
            var kind = ResourceKinds.Resolve(typed, []) ?? typed;
            if (kind is ResourceKinds.Containers or ResourceKinds.All)
                throw new AgentApiException($"{verb} takes an object such as servicegroup/NAME");
            var path = $"api/v1/{ResourceKinds.Plural(kind)}/{Uri.EscapeDataString(name)}";
            if (Refusal(verb, kind, name) is { } refusal) throw new AgentApiException(refusal);
            var shown = $"{kind.ToLowerInvariant()}/{name}";
            if (service is not null && parse.GetValue(service) is { } only)
            {
                if (kind != Core.Model.ServiceGroup.ComposeKindName)
                    throw new AgentApiException($"--service takes a composeproject/NAME, not {shown}");
                var requestOnly = verb == "stop" && wait is not null && !parse.GetValue(wait);
                var answered = await client.PostAsync($"{path}/{verb}?service={Uri.EscapeDataString(only)}" + (requestOnly ? "&wait=false" : ""), ct);
                Console.WriteLine(requestOnly ? ServiceStopRequested(shown, only, answered) : ServiceDone(verb, shown, only, answered));
                return 0;
            }
            var answer = await client.PostAsync($"{path}/{verb}", ct);
            if (verb is "start" or "up" or "restart")
            {
                Console.WriteLine(Done(verb, shown, answer));
                return 0;
            }
            if (wait is not null && !parse.GetValue(wait))
            {
                Console.WriteLine($"{shown} {verb} requested (agent get {shown} shows when its containers are {(verb == "stop" ? "stopped" : "removed")})");
                return 0;
            }
            if (wait is not null) await WaitStoppedAsync(client, path, shown, verb, parse.GetValue(timeout!), ct);
            Console.WriteLine($"{shown} {Past(verb)}");
            return 0;
        }));
        return command;
    }

    /// <summary>Why <paramref name="verb"/> does not apply to an object of <paramref name="kind"/>, naming the verb that
    /// does (before: the API's raw "No route POST ... (HTTP 404)"); null when it applies.</summary>
    public static string? Refusal(string verb, string kind, string name)
    {
        var shown = $"{kind.ToLowerInvariant()}/{name}";
        if (kind == Core.Model.ServiceGroup.KindName && verb is "down" or "up")
            return $"a ServiceGroup is stopped and started, not taken down and brought up: agent {(verb == "down" ? "stop" : "start")} {shown}";
        if (kind is not (Core.Model.ServiceGroup.KindName or Core.Model.ServiceGroup.ComposeKindName))
            return $"{verb} takes servicegroup/NAME or composeproject/NAME, not {shown}" +
                   (kind == Core.Model.CronJob.KindName ? $" (a CronJob is suspended and resumed: POST /api/v1/cronjobs/{name}/suspend, /resume)" : "");
        return null;
    }

    /// <summary>Polls the object's status until it is suspended and none of its containers runs. The request was taken
    /// already: an agent that goes away meanwhile (probe-27: "cannot reach the agent", as if nothing was asked) is said to
    /// have taken it, and an engine that does not answer is said at once, not only at the end of the wait.</summary>
    private static async Task WaitStoppedAsync(AgentClient client, string path, string shown, string verb, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var engineSaid = false;
        while (true)
        {
            JsonElement status;
            try
            {
                status = await client.GetAsync(path, ct);
            }
            catch (AgentApiException e) when (e.Unreachable)
            {
                throw new AgentApiException($"the agent went away while waiting for {shown} to {verb}: the {verb} was taken before (it is kept in its state dir and " +
                                            $"finished when the agent runs again; agent get {shown} shows it then). {e.Message.Split(". Is ")[0]}") { Unreachable = true };
            }
            var suspendedCondition = ResourceViews.Condition(status, "Suspended");
            var suspended = suspendedCondition is { } c && ResourceViews.Str(c, "status") == "True";
            var running = ResourceViews.RunningContainers(status);
            if (suspended && running.Count == 0) return;
            // The stop set Suspended before it was answered: False now is a start or up that lifted it (probe-33 F5: the
            // wait went on for its whole timeout, then said "the stop stays requested").
            if (suspendedCondition is not null && !suspended)
                throw new AgentApiException($"{shown} is not stopping anymore: a start (or up) lifted the {verb} while it was waiting" +
                                            (running.Count > 0 ? $"; running: {string.Join(", ", running)}" : ""));
            if (!engineSaid && WhyNotStopped(status, running) is var why && why.StartsWith("the Docker engine", StringComparison.Ordinal))
            {
                engineSaid = true;
                Console.Error.WriteLine($"waiting for {shown}: {why}; waiting up to {Core.Manifests.Durations.Format(timeout)} (Ctrl-C leaves the {verb} requested)");
            }
            if (DateTimeOffset.UtcNow >= deadline)
                throw new AgentApiException($"timed out after {Core.Manifests.Durations.Format(timeout)} waiting for {shown} to stop: " + WhyNotStopped(status, running) +
                    "; the stop stays requested (agent get " + shown + " shows its progress)");
            await Task.Delay(TimeSpan.FromMilliseconds(300), ct);
        }
    }

    /// <summary>Why the object is not stopped yet: the engine not answering (then its containers' states are only the last
    /// seen, probe-22 F10), else the containers that still run.</summary>
    internal static string WhyNotStopped(JsonElement status, IReadOnlyList<string> running)
    {
        // Ready says so, or Degraded once the stop's own Ready (Stopped) replaced it (probe-26 F4: "still running" blamed the container).
        if (new[] { "Ready", "Degraded" }.Select(t => ResourceViews.Condition(status, t)).FirstOrDefault(c => c is { } d && ResourceViews.Str(d, "reason") == "EngineUnavailable") is { } away)
            return $"the Docker engine is not answering ({ResourceViews.Str(away, "message")}), so the stop cannot be applied yet" +
                   (running.Count > 0 ? $"; last seen running: {string.Join(", ", running)}" : "") + "; it is applied once the engine answers";
        return running.Count > 0 ? $"still running: {string.Join(", ", running)}" : "the stop is not applied yet";
    }

    /// <summary>What start, up or restart did, from the API's answer: the containers it started or restarted, never a
    /// bare "started" when nothing ran (probe-16 F3).</summary>
    internal static string Done(string verb, string shown, JsonElement answer)
    {
        List<string> Names(string field) => answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty(field, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(n => n.GetString() ?? "").ToList()
            : [];
        bool Flag(string field) => answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty(field, out var f) && f.ValueKind == JsonValueKind.True;
        static string Listed(List<string> names) => $"{names.Count} container(s) ({string.Join(", ", names)})";
        if (verb == "restart")
        {
            var restarted = Names("restarted");
            if (restarted.Count > 0) return $"{shown} restarted: {Listed(restarted)}";
            if (Flag("specSuspended")) return $"{shown}: nothing restarted: spec.suspend is true in its manifest, which keeps it stopped (set it to false to run it)";
            return Flag("suspended")
                ? $"{shown}: nothing restarted: it is {(Flag("down") ? "down (agent up" : "stopped (agent start")} {shown} starts it)"
                : $"{shown}: nothing restarted: it has no container yet (agent get {shown} shows what it runs)";
        }
        var started = Names("started");
        var what = started.Count > 0 ? $"{Listed(started)} started" : "no stopped container to start";
        if (Flag("specSuspended")) return $"{shown}: spec.suspend is true in its manifest, which keeps it stopped: nothing started";
        if (Flag("wasSuspended") && started.Count == 0)
            return $"{shown} {Past(verb)}: {what}; the agent {(verb == "up" ? "creates and starts its containers" : "starts its containers")} now (agent get {shown} shows when they run)";
        return $"{shown} {Past(verb)}: {what}";
    }

    /// <summary>What stop or start of one service did: the containers it stopped or started.</summary>
    internal static string ServiceDone(string verb, string shown, string service, JsonElement answer)
    {
        var field = verb == "stop" ? "stopped" : "started";
        var names = Names(answer, field);
        if (names.Count == 0) return $"{shown}: service {service}: no {(verb == "stop" ? "running" : "stopped")} container to {verb}";
        // A start brings up what the service depends on first, a stop what depends on it: named apart from the service's own
        // (probe-28 F10: `start --service app` printed "service app started: db-1, migrate-1" while app was still being made).
        var suffix = new System.Text.RegularExpressions.Regex($"-{System.Text.RegularExpressions.Regex.Escape(service)}-[0-9]+$");
        var own = names.Where(n => suffix.IsMatch(n)).ToList();
        var others = names.Except(own).ToList();
        static string Listed(List<string> list) => $"{list.Count} container(s) ({string.Join(", ", list)})";
        var related = verb == "stop" ? "what depends on it" : "what it depends on";
        if (own.Count == 0)
            return $"{shown}: service {service}: {field} {related}: {Listed(others)}; no {(verb == "stop" ? "running" : "stopped")} container of {service} itself" +
                   (verb == "stop" ? "" : $" (one that is missing is made by the agent: agent get {shown} shows when it runs)");
        return $"{shown}: service {service} {field}: {Listed(own)}" + (others.Count > 0 ? $", after {related}: {Listed(others)}" : "");
    }

    /// <summary>stop --service S --wait=false (probe-31 F2: it waited the whole grace period).</summary>
    internal static string ServiceStopRequested(string shown, string service, JsonElement answer)
    {
        var names = Names(answer, "stopped");
        return names.Count == 0
            ? $"{shown}: service {service}: no running container to stop"
            : $"{shown}: service {service} stop requested: {names.Count} container(s) ({string.Join(", ", names)}) (agent get {shown} shows when they are stopped)";
    }

    private static List<string> Names(JsonElement answer, string field) =>
        answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty(field, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(n => n.GetString() ?? "").ToList()
            : [];

    private static string Past(string verb) => verb switch { "stop" => "stopped", "start" => "is started", "restart" => "restarted", "down" => "is down", "up" => "is up", _ => verb };
}
