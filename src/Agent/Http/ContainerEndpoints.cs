using System.Text.Json;
using Agent.Admission;
using Agent.Engine;
using Agent.Auth;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Hosting;
using Microsoft.Extensions.Options;
using Agent.Core.Security;
using Agent.Reconciliation;

namespace Agent.Http;

/// <summary>Imperative verbs on the agent's own containers. Any other container answers 404, as if it did not exist.</summary>
public static class ContainerEndpoints
{
    /// <summary>The engine's container states, as `?state=` takes them (docker ps --filter status=...).</summary>
    private static readonly string[] States = [.. Enum.GetNames<ContainerState>().Where(n => n != nameof(ContainerState.Unknown)).Select(n => n.ToLowerInvariant())];

    public static RouteGroupBuilder MapContainerEndpoints(this RouteGroupBuilder api)
    {
        var containers = api.MapGroup("/containers").AddEndpointFilter(RequestValidation.ContainerId);
        containers.MapGet("/", async (HttpContext http, string? group, string? service, string? state, ContainerListBodies bodies,
                IOptions<AgentOptions> options, CancellationToken ct) =>
        {
            if (!string.IsNullOrEmpty(state) && !States.Contains(state, StringComparer.OrdinalIgnoreCase))
                return ApiProblems.BadRequest($"state=\"{state}\" is not a container state: use one of {string.Join(", ", States)}",
                    new Dictionary<string, object?> { ["allowed"] = States });
            var body = await bodies.GetAsync(group, service, state, SeesEnv(http, options), ct);
            http.Response.Headers.ETag = body.ETag;
            return ETags.Match(http.Request.Headers.IfNoneMatch, body.ETag)
                ? Results.StatusCode(StatusCodes.Status304NotModified)
                : Results.Bytes(body.Json, "application/json; charset=utf-8");
        })
            .Produces<IEnumerable<ContainerListItem>>()
            .WithSummary("List the agent's containers with their group, service and published ports; filter by group, service or state (running, exited, ...). " +
                         "The answer carries an ETag: send it back in If-None-Match for a 304 while nothing changed.");

        containers.MapGet("/{id}", async (HttpContext http, string id, OwnedContainers owned, AgentLabels labels, IOptions<AgentOptions> options, CancellationToken ct) =>
            owned.LastObserved(id, withSpec: SeesEnv(http, options)) is { } last ? JsonAnswer.Ok(last)
            : await owned.FindAsync(id, ct) is { } c
                ? JsonAnswer.Ok(SeesEnv(http, options) ? c : c with { Env = RedactedEnv(c.Env), Labels = ContainerListItem.WithoutSpec(c.Labels, labels) })
                : ApiProblems.ContainerNotFound(id))
            .WithSummary("Inspect one container. For the viewer role, environment values are redacted unless Agent:Auth:ViewerSeesEnv is true. " +
                         "While the engine is known unreachable: the container as last observed (the list's fields, lastObserved: true, engineUnreachableSince).");

        containers.MapPost("/{id}/start", async (string id, OwnedContainers owned, IContainerEngine engine, BindMountGuard binds, UserStops stops, StartRules rules, CancellationToken ct) =>
            // The engine refuses to start a paused container; the user asked for it to run, so a start unpauses it.
            await owned.FindAsync(id, ct) is { State: ContainerState.Paused }
                ? await Act(id, owned, ct, async c => { await engine.UnpauseContainerAsync(c, ct); return null; }, "unpaused", rules.Refusal)
                : await Act(id, owned, ct, c => { stops.Clear(c); return binds.StartAsync(c, () => engine.StartContainerAsync(c, ct), ct); }, "started", rules.Refusal))
            .RequireAuthorization(Roles.Operator).ScopedToContainer().WithSummary("Start a container (a paused one is unpaused: the answer says \"unpaused\"); clears a stop made through the API.");
        containers.MapPost("/{id}/stop", (string id, string? timeout, OwnedContainers owned, IContainerEngine engine, UserStops stops, CancellationToken ct) =>
            Grace(timeout, out var grace) is { } bad ? Task.FromResult(bad)
                : Act(id, owned, ct, async c => { stops.RecordApiStop(c); await engine.StopAndHoldAsync(c, grace, ct); }, "stopped"))
            .RequireAuthorization(Roles.Operator).ScopedToContainer()
            .WithSummary("Stop a container (timeout: grace before SIGKILL, 10s, 1m or seconds). It stays stopped, whatever its restart policy, until started again (persisted).");
        containers.MapPost("/{id}/restart", (string id, string? timeout, OwnedContainers owned, IContainerEngine engine, BindMountGuard binds, UserStops stops, StartRules rules, CancellationToken ct) =>
            Grace(timeout, out var grace) is { } bad ? Task.FromResult(bad)
                : Act(id, owned, ct, c => { stops.MarkOwn(c, grace); stops.Clear(c); return binds.StartAsync(c, () => engine.RestartContainerAsync(c, grace, ct), ct); }, "restarted", rules.Refusal))
            .RequireAuthorization(Roles.Operator).ScopedToContainer().WithSummary("Restart a container (timeout: grace before SIGKILL, 10s, 1m or seconds).");
        containers.MapDelete("/{id}", (string id, bool? force, OwnedContainers owned, IContainerEngine engine, CancellationToken ct) =>
            Act(id, owned, ct, c => engine.RemoveContainerAsync(c, force ?? false, ct), "removed"))
            .RequireAuthorization(Roles.Admin).ScopedToContainer().WithSummary("Remove a container (force: also when running). The reconciler recreates it if a manifest wants it.");

        containers.MapGet("/{id}/logs", Logs).RequireAuthorization(Roles.Operator).ScopedToContainer()
            .WithSummary("Logs as text (tail: last N lines; since: RFC 3339, Unix seconds or a duration back like 5m; timestamps); follow=true streams until the client goes away.");
        containers.MapGet("/{id}/stats", Stats).RequireAuthorization(Roles.Operator).ScopedToContainer()
            .WithSummary("CPU, memory, pids and network: one sample, or stream=true for newline-delimited JSON until the client goes away.");
        containers.MapPost("/{id}/exec", Exec).RequireAuthorization(Roles.Operator).ScopedToContainer().Accepts<ExecBody>("application/json")
            .WithSummary("Run a command in a container: returns stdout, stderr and the exit code. Never privileged.");
        return api;
    }

    internal static bool SeesEnv(HttpContext http, IOptions<AgentOptions> options) =>
        http.User.IsInRole(Roles.Operator) || http.User.IsInRole(Roles.Admin) || options.Value.Auth.ViewerSeesEnv;

    /// <summary>KEY=<redacted>: a viewer sees which variables are set, not their values (they can hold envFrom secrets).</summary>
    internal static IReadOnlyList<string> RedactedEnv(IReadOnlyList<string> env) =>
        env.Select(e => e.IndexOf('=') is var eq and > 0 ? e[..eq] + "=<redacted>" : e).ToList();

    /// <summary>The stop grace from ?timeout= (a duration, or seconds), at most an hour; a problem when it is not one.</summary>
    private static IResult? Grace(string? text, out TimeSpan? grace)
    {
        grace = null;
        if (text is null) return null;
        if (!Durations.TryParse(text, out var d) || d > TimeSpan.FromHours(1))
            return ApiProblems.BadRequest($"timeout=\"{text}\" is not a duration of at most 1h: {Durations.Hint}, or seconds");
        grace = d;
        return null;
    }

    private static Task<IResult> Act(string id, OwnedContainers owned, CancellationToken ct, Func<string, Task> action, string done) =>
        Act(id, owned, ct, async c => { await action(c); return null; }, done);

    /// <summary>As above, for an action that may refuse (a start whose bind source moved): 409 with its reason.</summary>
    private static async Task<IResult> Act(string id, OwnedContainers owned, CancellationToken ct, Func<string, Task<string?>> action, string done,
        Func<ContainerDetails, string?>? refusal = null)
    {
        if (await owned.FindAsync(id, ct) is not { } c) return ApiProblems.ContainerNotFound(id);
        if (refusal?.Invoke(c) is { } refused409) return Results.Problem(statusCode: 409, title: "Conflict", detail: refused409);
        if (await action(c.Id) is { } refused) return Results.Problem(statusCode: 409, title: "Conflict", detail: refused);
        return JsonAnswer.Ok(new ResourceActed(c.Id, c.Name, done));
    }

    private static async Task Logs(HttpContext http, string id, int? tail, string? since, bool? timestamps, bool? follow,
        OwnedContainers owned, IContainerEngine engine, CancellationToken ct)
    {
        if (await owned.FindAsync(id, ct) is not { } c)
        {
            await ApiProblems.ContainerNotFound(id).ExecuteAsync(http);
            return;
        }
        if (tail < 0)
        {
            await ApiProblems.BadRequest($"tail={tail}: give a number of lines, 0 or more").ExecuteAsync(http);
            return;
        }
        DateTimeOffset? sinceTime = null;
        if (since is not null)
        {
            if (long.TryParse(since, out var unix) && unix >= 0 && unix <= DateTimeOffset.MaxValue.ToUnixTimeSeconds()) sinceTime = DateTimeOffset.FromUnixTimeSeconds(unix);
            else if (!long.TryParse(since, out _) && Durations.TryParse(since, out var ago) && ago < TimeSpan.FromDays(3650)) sinceTime = DateTimeOffset.UtcNow - ago;
            else if (!long.TryParse(since, out _) && DateTimeOffset.TryParse(since, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t)) sinceTime = t;
            else
            {
                await ApiProblems.BadRequest($"since=\"{since}\" is none of: RFC 3339 (2026-01-02T15:04:05Z), Unix seconds (0 to 253402300799), a duration back from now (5m, 1h30m)").ExecuteAsync(http);
                return;
            }
        }
        http.Response.ContentType = "text/plain; charset=utf-8";
        var options = new LogOptions(tail, sinceTime, timestamps ?? false, follow ?? false);
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(ct, owned.EngineAnswering);
        try
        {
            await foreach (var entry in engine.GetLogsAsync(c.Id, options, reading.Token))
            {
                await http.Response.WriteAsync(entry.Text + "\n", ct);
                if (options.Follow) await http.Response.Body.FlushAsync(ct);
            }
            // A followed stream ends when the container stops (docker logs -f ends so too), or when the engine went away
            // under it (probe-19: the CLI then exited 0 as if the container had stopped): only the engine tells which.
            if (options.Follow && await EngineGoneAsync(engine, ct) is { } gone) await EndBrokenAsync(http, gone);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away: the engine stream was closed with it.
        }
        catch (Exception e) when (e is OperationCanceledException or EngineException && reading.IsCancellationRequested)
        {
            // The heartbeat found the engine not answering while its stream was read (frozen under it): said now, with the
            // 503 a call made after the finding gets, not after the engine's request timeout.
            if (http.Response.HasStarted) await EndBrokenAsync(http, owned.AwayNow().Message);
            else throw owned.AwayNow();
        }
        catch (EngineException e) when (http.Response.HasStarted)
        {
            // Lines were sent already (no status can follow): the text ends with why; before that, the problem filter answers 503.
            await EndBrokenAsync(http, e.Message);
        }
    }

    /// <summary>Why the engine does not answer a _ping within a few seconds; null when it does.</summary>
    private static async Task<string?> EngineGoneAsync(IContainerEngine engine, CancellationToken ct)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await engine.PingAsync(bounded.Token);
            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return "the Docker engine stopped answering (_ping: no answer within 5s)";
        }
        catch (EngineException e)
        {
            return e.Message;
        }
    }

    /// <summary>Ends a stream whose status was sent already: the text ends with why, a line `agent logs` tells from a
    /// container that stopped (it then exits 1).</summary>
    private static Task EndBrokenAsync(HttpContext http, string why) =>
        http.Response.WriteAsync($"{LogsEnded}{why}\n", CancellationToken.None);

    /// <summary>How the last line of a log stream that the engine broke off begins.</summary>
    public const string LogsEnded = "--- logs ended: ";

    private static async Task Stats(HttpContext http, string id, bool? stream, OwnedContainers owned, IContainerEngine engine, CancellationToken ct)
    {
        if (await owned.FindAsync(id, ct) is not { } c)
        {
            await ApiProblems.ContainerNotFound(id).ExecuteAsync(http);
            return;
        }
        if (stream != true)
        {
            await JsonAnswer.Ok(await owned.WhileAnsweringAsync(t => engine.GetStatsAsync(c.Id, t), ct)).ExecuteAsync(http);
            return;
        }
        http.Response.ContentType = "application/x-ndjson";
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(ct, owned.EngineAnswering);
        try
        {
            await foreach (var sample in engine.StreamStatsAsync(c.Id, reading.Token))
            {
                await http.Response.WriteAsync(JsonSerializer.Serialize(sample, ApiJson.Info<ContainerStats>()) + "\n", ct);
                await http.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is OperationCanceledException or EngineException && reading.IsCancellationRequested && !http.Response.HasStarted)
        {
            throw owned.AwayNow(); // the engine froze before the first sample; after one, the stream just ends
        }
        catch (OperationCanceledException) when (reading.IsCancellationRequested)
        {
        }
    }

    private static async Task<IResult> Exec(HttpContext http, string id, OwnedContainers owned, IContainerEngine engine, SecurityPolicy policy,
        IOptions<ExecOptions> options, ExecSlots slots, StartRules rules, CancellationToken ct)
    {
        var body = await StrictJson.ReadAsync<ExecBody>(http, ct);
        if (body.Error is { } error) return ApiProblems.BadBody(error);
        var request = body.Value!;
        if (request.Command is not { Count: > 0 }) return ApiProblems.BadRequest("command is required: a list like [\"sh\", \"-c\", \"echo hi\"]");
        var maxTimeout = Math.Max(1, options.Value.MaxTimeoutSeconds);
        if (request.TimeoutSeconds is { } timeout && (timeout < 1 || timeout > maxTimeout))
            return ApiProblems.BadRequest($"timeoutSeconds={timeout}: give 1 to {maxTimeout} seconds (Agent:Exec:MaxTimeoutSeconds)");
        if (await owned.FindAsync(id, ct) is not { } c) return ApiProblems.ContainerNotFound(id);
        if (c.State != ContainerState.Running)
            return Results.Problem(statusCode: 409, title: "Conflict",
                detail: $"Container {c.Name} is {c.State.ToString().ToLowerInvariant()}, not running: exec runs a command in a running container. {rules.StartHint(c)}.");
        var violations = policy.CheckExec(new ExecSpec(request.Command, request.Env, request.WorkingDir, request.User), c.User);
        if (violations.Count > 0) return ApiProblems.Refused(violations.Select(v => (v.Field, v.Message)));
        using var slot = slots.TryTake(RateLimitClient.Of(http) ?? "", out var busy);
        if (slot is null)
        {
            http.Response.Headers.RetryAfter = "1";
            return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too Many Requests",
                detail: $"{busy}; retry when one has ended (after the Retry-After header's seconds)");
        }
        var result = await owned.WhileAnsweringAsync(t => engine.ExecAsync(c.Id, new ExecRequest(request.Command, request.Env, request.WorkingDir, request.User,
            TimeSpan.FromSeconds(Math.Min(request.TimeoutSeconds ?? 30, maxTimeout)), Math.Max(0, options.Value.MaxOutputBytes)), t), ct);
        return JsonAnswer.Ok(result);
    }

    /// <summary>An exec request. There is no privileged field: a body that asks for it is refused as an unknown field.</summary>
    public sealed record ExecBody(IReadOnlyList<string>? Command, IReadOnlyDictionary<string, string>? Env, string? WorkingDir, string? User, int? TimeoutSeconds);
}
