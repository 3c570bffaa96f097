using Agent.Auth;
using Agent.Core.Jobs;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Engine;
using Agent.Jobs;
using Agent.Reconciliation;
using Agent.Sources;

namespace Agent.Http;

/// <summary>CronJobs (status, trigger, suspend, resume) and Jobs (status, logs, and imperative jobs from a request body).</summary>
public static class JobEndpoints
{
    private const long MaxBody = 64 * 1024;

    // Jobs from the API have no manifests folder: relative binds resolve under this path and are refused.
    private const string NoManifestFolder = "/nonexistent/agent-run";

    public static RouteGroupBuilder MapJobEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/cronjobs", (JobRunner runner) => JsonAnswer.Ok(runner.CronJobStatuses()))
            .WithSummary("List CronJobs with schedule, last and next run times and active runs (kubectl get cronjobs).");
        api.MapGet("/cronjobs/{name}", (string name, JobRunner runner) =>
                runner.CronJobStatus(name) is { } s ? JsonAnswer.Ok(s) : NoCronJob(name))
            .WithSummary("One CronJob with its run history: start, end, duration, exit code, reason (kubectl describe cronjob).");
        var cron = api.MapGroup("/cronjobs/{name}").RequireAuthorization(Roles.Operator).ScopedToObject(CronJob.KindName);
        cron.MapPost("/trigger", (string name, JobRunner runner) =>
        {
            if (runner.CronJobStatus(name) is not { } status || runner.Get(new ObjectKey(CronJob.KindName, name)) is not { } loop) return NoCronJob(name);
            if (status.ConcurrencyPolicy == nameof(ConcurrencyPolicy.Forbid) && status.Active.Count > 0)
                return Results.Problem(statusCode: 409, title: "Conflict",
                    detail: $"CronJob/{name} has run {status.Active[0].Id} active and its concurrencyPolicy is Forbid: wait until it ends (GET /api/v1/cronjobs/{name})");
            if (!loop.Trigger(exclusive: status.ConcurrencyPolicy != nameof(ConcurrencyPolicy.Allow)))
                return Results.Problem(statusCode: 409, title: "Conflict",
                    detail: $"CronJob/{name} already has a triggered run waiting to start and its concurrencyPolicy is {status.ConcurrencyPolicy}: one run at a time");
            return JsonAnswer.Accepted($"/api/v1/cronjobs/{name}", new CronJobAnswer(name, Triggered: true));
        }).WithSummary("Run the CronJob's template once now, whatever its schedule (kubectl create job --from=cronjob/NAME); concurrencyPolicy holds as for a scheduled run: Forbid is 409 while a run is active, Replace replaces it.");
        cron.MapPost("/suspend", (string name, JobRunner runner, RuntimeOverrides overrides) => Suspend(name, true, runner, overrides))
            .WithSummary("Suspend the CronJob: no scheduled runs until resumed (survives restarts; running runs continue).");
        cron.MapPost("/resume", (string name, JobRunner runner, RuntimeOverrides overrides) => Suspend(name, false, runner, overrides))
            .WithSummary("Clear a suspend made through the API; as in Kubernetes, the most recent missed time may run once if within startingDeadline.");

        api.MapGet("/jobs", (JobRunner runner) => JsonAnswer.Ok(runner.JobStatuses()))
            .WithSummary("List Jobs from manifests and from the API.");
        api.MapGet("/jobs/{id}", (string id, JobRunner runner) => runner.JobStatus(id) is { } s ? JsonAnswer.Ok(s) : NoJob(id, runner))
            .WithSummary("One Job: phase and runs with their exit codes.");
        api.MapGet("/jobs/{id}/logs", Logs).RequireAuthorization(Roles.Operator)
            .ScopedToFound(Job.KindName, "id", (http, id) => http.RequestServices.GetRequiredService<JobRunner>().JobKey(id))
            .WithSummary("Output of the job's latest run as text; follow=true streams it until the run ends, waiting up to 60 s for a run just started to have a container (409 without one).");
        api.MapPost("/jobs", Create).RequireAuthorization(Roles.Admin)
            .WithSummary("Run a job from a body with the fields of a Job's spec plus a name: {\"name\": \"x\", \"backoffLimit\": 0, \"activeDeadline\": \"5m\", \"container\": {\"image\": ..., \"command\": [...]}}. 201 with its id; wait=true waits for the exit code, wait=true&follow=true streams the output and ends with the exit code.");
        return api;
    }

    private static IResult Suspend(string name, bool suspended, JobRunner runner, RuntimeOverrides overrides)
    {
        var key = new ObjectKey(CronJob.KindName, name);
        if (runner.CronJobStatus(name) is null) return NoCronJob(name);
        overrides.SetSuspended(key, suspended);
        runner.Get(key)?.Wake();
        return JsonAnswer.Accepted($"/api/v1/cronjobs/{name}", new CronJobAnswer(name, Suspended: suspended));
    }

    private static async Task Create(HttpContext http, bool? wait, bool? follow, JobRunner runner, SecurityPolicy policy, OwnedContainers owned,
        ILogger<JobRunner> logger, CancellationToken ct)
    {
        if (http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            await ApiProblems.BadRequest("send the body as JSON with Content-Type: application/json").ExecuteAsync(http);
            return;
        }
        var (json, bodyProblem) = await ApiProblems.ReadJsonBodyAsync(http.Request, "A job request", MaxBody, ct);
        if (bodyProblem is not null)
        {
            await bodyProblem.ExecuteAsync(http);
            return;
        }
        var ownContainers = await owned.ListAsync(null, null, null, ct);
        var own = ownContainers.Select(c => c.Name).Concat(ownContainers.Select(c => c.Id)).ToHashSet(StringComparer.Ordinal);
        var files = new ManifestFolder(NoManifestFolder);
        var parsed = JobRequestParser.Parse(json!, files, policy, new AdmissionContext(files.ResolveLinks, own.Contains));
        if (parsed.Request is not { } request)
        {
            var (detail, extensions) = ApiProblems.FieldErrors(parsed.Errors);
            await Results.Problem(
                statusCode: parsed.Violations ? 403 : 422,
                title: parsed.Violations ? "Forbidden by the security policy" : "Unprocessable Entity",
                detail: detail, extensions: extensions)
                .ExecuteAsync(http);
            return;
        }

        var key = runner.Submit(request);
        logger.LogInformation("Job {Id} ({Image}) created through the API", key.Name, request.Template.Container.Image);
        var location = $"/api/v1/jobs/{key.Name}";
        if (wait != true)
        {
            await JsonAnswer.Created(location, new JobCreated(key.Name, "Pending")).ExecuteAsync(http);
            return;
        }
        if (follow == true)
        {
            http.Response.StatusCode = 201;
            http.Response.Headers.Location = location;
            http.Response.Headers["X-Job-Id"] = key.Name;
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.Body.FlushAsync(ct);
            var run = await StreamAsync(http, runner, key, ct);
            await http.Response.WriteAsync($"--- job {key.Name} {Describe(run)}\n", ct);
            return;
        }
        var finished = await WaitAsync(runner, key, ct);
        await JsonAnswer.Created(location, new JobCreated(key.Name, finished?.Phase.ToString(), finished?.ExitCode, finished?.Reason, finished is null ? null : RunView.Of(finished)))
            .ExecuteAsync(http);
    }

    private static string Describe(JobRun? run) =>
        run is null ? "ended without a run" : $"{run.Phase.ToString().ToLowerInvariant()}: exit code {run.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} ({run.Reason})";

    private static JobRun? Latest(JobRunner runner, ObjectKey key) => runner.History(key)?.Latest;

    private static async Task<JobRun?> WaitAsync(JobRunner runner, ObjectKey key, CancellationToken ct)
    {
        while (true)
        {
            if (Latest(runner, key) is { IsActive: false } run) return run;
            if (runner.Desired(key) is null) return Latest(runner, key);
            await Task.Delay(100, ct);
        }
    }

    /// <summary>Streams each attempt's output as it starts, then returns the finished run.</summary>
    private static async Task<JobRun?> StreamAsync(HttpContext http, JobRunner runner, ObjectKey key, CancellationToken ct)
    {
        var engine = http.RequestServices.GetRequiredService<JobEngine>();
        var streamed = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var run = Latest(runner, key);
            var next = run?.Attempts.FirstOrDefault(a => !streamed.Contains(a.ContainerId));
            if (next is not null)
            {
                streamed.Add(next.ContainerId);
                if (next.Number > 1) await http.Response.WriteAsync($"--- attempt {next.Number}\n", ct);
                try
                {
                    await foreach (var entry in engine.LogsAsync(next.ContainerId, follow: true, ct))
                    {
                        await http.Response.WriteAsync(entry.Text + "\n", ct);
                        await http.Response.Body.FlushAsync(ct);
                    }
                }
                catch (EngineNotFoundException)
                {
                    // Removed before its output could be read (a TTL of zero): nothing more to stream.
                }
                continue;
            }
            if (run is { IsActive: false } || runner.Desired(key) is null) return run;
            await Task.Delay(100, ct);
        }
    }

    private static async Task Logs(HttpContext http, string id, bool? follow, JobRunner runner, JobEngine engine, TimeProvider time, CancellationToken ct)
    {
        if (runner.JobKey(id) is not { } key)
        {
            await NoJob(id, runner).ExecuteAsync(http);
            return;
        }
        var history = runner.History(key); // one read: the runner may replace it meanwhile
        if (history is { Runs.Count: 0, LastRemoved: { } removed })
        {
            await Results.Problem(statusCode: 410, title: "Gone",
                detail: $"Job \"{id}\" run {removed.Id} ({removed.Phase}) was removed after ttlAfterFinished, with its containers and their logs.").ExecuteAsync(http);
            return;
        }
        var attempt = history?.Latest?.Current;
        try
        {
            // As kubectl logs -f job/NAME waits for its pod: a job just created has no container for a moment.
            if (attempt is null && follow == true) attempt = await FirstContainerAsync(() => runner.History(key), () => runner.Desired(key) is null, time, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        if (attempt is null)
        {
            await Results.Problem(statusCode: 409, title: "Conflict", detail: $"Job \"{ApiProblems.Shown(id)}\" has no run with a container yet.").ExecuteAsync(http);
            return;
        }
        http.Response.ContentType = "text/plain; charset=utf-8";
        try
        {
            await foreach (var entry in engine.LogsAsync(attempt.ContainerId, follow == true, ct))
            {
                await http.Response.WriteAsync(entry.Text + "\n", ct);
                if (follow == true) await http.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>How long logs?follow=true waits for a job's latest run to have a container before the 409; `agent logs -f
    /// job/ID` and `agent logs -f cronjob/NAME` wait as long.</summary>
    public static readonly TimeSpan ContainerWait = TimeSpan.FromSeconds(60);

    /// <summary>The latest run's container once <paramref name="history"/> shows one; null when the run ends without one,
    /// the job goes away (<paramref name="jobGone"/>) or <see cref="ContainerWait"/> passes on <paramref name="time"/>.</summary>
    internal static async Task<JobAttempt?> FirstContainerAsync(Func<JobHistory?> history, Func<bool> jobGone, TimeProvider time, CancellationToken ct)
    {
        var until = time.GetUtcNow() + ContainerWait;
        while (time.GetUtcNow() < until)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), time, ct);
            var read = history(); // one read: the runner may replace it meanwhile
            if (read is { LatestRemoved: true }) return null; // its container gone with it
            var run = read?.Latest;
            if (run?.Current is { } attempt) return attempt;
            if (run is { IsActive: false } || jobGone()) return null;
        }
        return null;
    }

    private static IResult NoCronJob(string name) => ApiProblems.NotFound($"No CronJob \"{ApiProblems.Shown(name)}\" in the manifests. List them with GET /api/v1/cronjobs.");
    /// <summary>No Job of that id; a CronJob's name is told where its runs are (kubectl logs job/NAME takes a Job, and a
    /// CronJob's runs are Jobs there, so users try its name), and so is the id of a CronJob's run (its history lists them).</summary>
    private static IResult NoJob(string id, JobRunner runner)
    {
        if (runner.CronJobStatus(id) is not null)
            return ApiProblems.NotFound($"No Job \"{id}\": CronJob/{id} is a CronJob. Its runs and their containers are in GET /api/v1/cronjobs/{id} (a run's output: GET /api/v1/containers/{{id}}/logs, or agent logs cronjob/{id}).");
        if (CronJobRun(id, runner) is var (cron, run))
            return ApiProblems.NotFound(run.Container is { Length: > 0 } container
                ? $"No Job \"{id}\": \"{id}\" is a run of CronJob/{cron}: its output is at GET /api/v1/containers/{container}/logs."
                : $"No Job \"{id}\": \"{id}\" is a run of CronJob/{cron}; the run has no container, so no output (GET /api/v1/cronjobs/{cron} shows the run).");
        return ApiProblems.NotFound($"No Job \"{ApiProblems.Shown(id)}\". List them with GET /api/v1/jobs.");
    }

    private static (string CronJob, RunView Run)? CronJobRun(string id, JobRunner runner) =>
        runner.CronJobStatuses().SelectMany(c => c.Active.Concat(c.History).Select(r => (c.Name, r))).FirstOrDefault(p => p.r.Id == id) is ({ } name, { } run)
            ? (name, run)
            : null;
}
