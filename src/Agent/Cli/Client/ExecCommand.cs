using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Agent.Cli.Client;

/// <summary>`agent exec TARGET [--service S] [--replica N] -- COMMAND ARGS...`: runs a command in one of the agent's
/// running containers (POST /api/v1/containers/{id}/exec), like kubectl exec deploy/x or docker exec. TARGET is a
/// container name or id, or KIND/NAME (servicegroup/web, composeproject/shop, cronjob/backup, job/migrate), of which
/// the running container of --service (needed when the object has several) and --replica (default: the lowest running)
/// is taken. The command's output is printed (stdout to stdout, stderr to stderr) and its exit code is agent exec's.</summary>
public static class ExecCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("target") { Description = "A container name or id, or KIND/NAME (e.g. servicegroup/web) to run in one of its running containers" };
        var command = new Argument<string[]>("command") { Description = "The command and its arguments, after -- (e.g. -- ls -la /)", Arity = ArgumentArity.OneOrMore };
        var service = new Option<string?>("--service") { Description = "With KIND/NAME: the service whose container to use (needed when the object has several)" };
        var replica = new Option<int?>("--replica") { Description = "With KIND/NAME: the replica number (default: the lowest one running)" };
        var env = new Option<string[]>("--env", "-e") { Description = "KEY=VALUE for the command's environment (repeatable)", AllowMultipleArgumentsPerToken = false };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "The command's working folder inside the container" };
        var user = new Option<string?>("--user", "-u") { Description = "Run as this user (only where Agent:Security:AllowExecUser allows it)" };
        var timeout = DurationOption.Create("--timeout", "Kill the command after this long (1s to the agent's Agent:Exec:MaxTimeoutSeconds)", TimeSpan.FromSeconds(30));
        var exec = new Command("exec", "Run a command in one of the agent's running containers, like kubectl exec / docker exec; exits with the command's exit code.")
        {
            target, command, service, replica, env, workdir, user, timeout,
        };
        exec.SetAction((parse, ct) => ClientCommand.RunAsync(parse, ct, async client =>
        {
            var container = await ResolveAsync(client, parse.GetValue(target)!, parse.GetValue(service), parse.GetValue(replica), ct);
            var seconds = parse.GetValue(timeout).TotalSeconds;
            if (seconds < 1 || seconds != Math.Floor(seconds))
                throw new AgentApiException($"--timeout {Core.Manifests.Durations.Format(parse.GetValue(timeout))}: give whole seconds, 1s or more");
            var body = Body(parse.GetValue(command)!, parse.GetValue(env) ?? [], parse.GetValue(workdir), parse.GetValue(user), (int)Math.Min(seconds, int.MaxValue));
            var result = await client.SendAsync(HttpMethod.Post, ClientVerbs.Path("containers", container, "exec"),
                new StringContent(body, Encoding.UTF8, "application/json"), ct);
            await using (var stdout = Console.OpenStandardOutput())
                await stdout.WriteAsync(Encoding.UTF8.GetBytes(ResourceViews.Str(result, "stdout")), ct);
            await using (var stderr = Console.OpenStandardError())
                await stderr.WriteAsync(Encoding.UTF8.GetBytes(ResourceViews.Str(result, "stderr")), ct);
            foreach (var stream in new[] { "stdout", "stderr" })
                if (result.TryGetProperty(stream + "Truncated", out var cut) && cut.ValueKind == JsonValueKind.True)
                    Console.Error.WriteLine($"agent exec: {stream} cut at Agent:Exec:MaxOutputBytes ({Long(result, stream + "Bytes")} bytes written in all): write large output to a file and read it with `agent files cat`");
            var exit = result.TryGetProperty("exitCode", out var code) && code.TryGetInt32(out var n) ? n : 1;
            if (result.TryGetProperty("timedOut", out var timedOut) && timedOut.ValueKind == JsonValueKind.True && exit == 0) exit = 137;
            return exit;
        }));
        return exec;
    }

    /// <summary>The exec body, written by hand (the CLI's JSON context knows no request types).</summary>
    public static string Body(IReadOnlyList<string> command, IReadOnlyList<string> env, string? workdir, string? user, int timeoutSeconds)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("command");
            foreach (var word in command) json.WriteStringValue(word);
            json.WriteEndArray();
            if (env.Count > 0)
            {
                json.WriteStartObject("env");
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var pair in env)
                {
                    var eq = pair.IndexOf('=');
                    if (eq <= 0) throw new AgentApiException($"--env \"{Core.TerminalText.Escape(pair)}\": give KEY=VALUE");
                    if (!seen.Add(pair[..eq])) throw new AgentApiException($"--env {Core.TerminalText.Escape(pair[..eq])} is given twice");
                    json.WriteString(pair[..eq], pair[(eq + 1)..]);
                }
                json.WriteEndObject();
            }
            if (workdir is not null) json.WriteString("workingDir", workdir);
            if (user is not null) json.WriteString("user", user);
            json.WriteNumber("timeoutSeconds", timeoutSeconds);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The container to run in: TARGET itself, or for KIND/NAME the running container of the service and replica.</summary>
    private static async Task<string> ResolveAsync(AgentClient client, string target, string? service, int? replica, CancellationToken ct)
    {
        if (ResourceKinds.SplitReference(target) is not var (typed, name))
        {
            if (service is not null || replica is not null)
                throw new AgentApiException($"--service and --replica choose a container of an object: give it as KIND/NAME (e.g. servicegroup/web), not the container \"{Core.TerminalText.Escape(target)}\"");
            return target;
        }
        var kind = ResourceKinds.Resolve(typed, []);
        if (kind is null or ResourceKinds.Containers or ResourceKinds.All)
            throw new AgentApiException($"\"{Core.TerminalText.Escape(typed)}\" is not a kind: give servicegroup/NAME, composeproject/NAME, cronjob/NAME, job/NAME or a container name");
        var shown = $"{kind.ToLowerInvariant()}/{name}";
        var list = await client.GetAsync("api/v1/containers", ct);
        var candidates = new List<Candidate>();
        foreach (var c in list.ValueKind == JsonValueKind.Array ? list.EnumerateArray() : Enumerable.Empty<JsonElement>())
        {
            if (!string.Equals(ResourceViews.Str(c, "kind"), kind, StringComparison.OrdinalIgnoreCase) || ResourceViews.Str(c, "group") != name) continue;
            candidates.Add(new Candidate(ResourceViews.Str(c, "name"), ResourceViews.Str(c, "service"), ResourceViews.Replica(c), ResourceViews.Str(c, "state"),
                c.TryGetProperty("created", out var created) && created.TryGetDateTimeOffset(out var at) ? at : DateTimeOffset.MinValue));
        }
        if (candidates.Count == 0) throw new AgentApiException($"{shown} has no containers (agent get {shown} shows its state)");
        var services = candidates.Select(c => c.Service).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (service is not null)
        {
            candidates = candidates.Where(c => c.Service == service).ToList();
            if (candidates.Count == 0)
                throw new AgentApiException($"{shown} has no container of service \"{Core.TerminalText.Escape(service)}\" (its services: {string.Join(", ", services)})");
        }
        else if (services.Count > 1)
            throw new AgentApiException($"{shown} has several services: choose one with --service ({string.Join(", ", services)})");
        if (replica is { } r)
        {
            candidates = candidates.Where(c => c.Replica == r).ToList();
            if (candidates.Count == 0)
                throw new AgentApiException($"{shown} has no replica {r}{(service is null ? "" : $" of service {service}")}");
        }
        var running = candidates.Where(c => c.State == "running")
            .OrderBy(c => c.Replica ?? int.MaxValue).ThenByDescending(c => c.Created).ThenBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault();
        return running?.Name ?? throw new AgentApiException(
            $"no container of {shown}{(service is null ? "" : $" service {service}")}{(replica is null ? "" : $" replica {replica}")} is running ({string.Join(", ", candidates.Select(c => $"{c.Name} {c.State}"))}): exec runs a command in a running container");
    }

    private sealed record Candidate(string Name, string Service, int? Replica, string State, DateTimeOffset Created);

    private static long Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : 0;
}
