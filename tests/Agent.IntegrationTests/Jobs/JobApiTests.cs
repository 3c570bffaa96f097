using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Jobs.JobContainers;

namespace Agent.IntegrationTests.Jobs;

/// <summary>The CronJob and Job routes end to end: imperative jobs stream their output and exit code, under the policy and roles.</summary>
public sealed class JobApiTests : AgentScenario, IAsyncLifetime
{
    private const string Operator = "operator-token-jobs-0123456789";
    private const string Admin = "admin-token-jobs-0123456789abc";
    private readonly string tokens = Path.GetTempFileName();

    public JobApiTests() : base(new Dictionary<string, string?> { ["Agent:JobBackoffBase"] = "00:00:01" })
    {
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await File.WriteAllTextAsync(tokens, $"operator:{Operator}\nadmin:{Admin}\n");
        Agent.Settings["Agent:Auth:TokensFile"] = tokens;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        File.Delete(tokens);
    }

    private HttpClient Client(string token)
    {
        var client = Agent.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Starts the agent over one CronJob manifest and waits until an operator sees it listed.</summary>
    private async Task<(HttpClient Client, JsonElement List)> StartWithCronJobAsync(string manifest)
    {
        Agent.Write("cron.yaml", manifest);
        await Agent.StartAsync();
        var client = Client(Operator);
        var list = await Eventually.ReturnsAsync(async () => await client.GetFromJsonAsync<JsonElement>("/api/v1/cronjobs"),
            l => l.GetArrayLength() == 1, TimeSpan.FromSeconds(120), "the cronjob listed");
        return (client, list);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>A job request whose container runs <paramref name="script"/> with sh -c; <paramref name="fields"/>: more of
    /// the request's fields, each followed by a comma.</summary>
    private static StringContent JobBody(string script, string fields = "") =>
        Json($"{{{fields}\"container\": {{\"image\": \"{TestEngine.Image}\", \"command\": [\"sh\", \"-c\", \"{script}\"]}}}}");

    /// <summary>Creates a job that runs <paramref name="script"/> without waiting for it (201) and answers its id.</summary>
    private static async Task<string> CreateJobAsync(HttpClient client, string script)
    {
        using var created = await client.PostAsync("/api/v1/jobs", JobBody(script));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task An_imperative_job_streams_its_output_and_ends_with_its_exit_code()
    {
        await Agent.StartAsync();
        using var client = Client(Admin);
        var name = Instance.Name("api");
        using var response = await client.PostAsync("/api/v1/jobs?wait=true&follow=true", JobBody("echo one; echo two; exit 7", $"\"name\": \"{name}\", \"backoffLimit\": 0, "));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = response.Headers.GetValues("X-Job-Id").Single();
        Assert.Equal($"/api/v1/jobs/{id}", response.Headers.Location!.ToString());
        Assert.Contains("one\ntwo\n", text);
        Assert.EndsWith("failed: exit code 7 (BackoffLimitExceeded)\n", text);

        var container = Assert.Single(await ListAsync(Instance, id));
        Assert.Equal(7, container.ExitCode); // checked on the engine itself
        using var job = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/jobs/{id}"));
        Assert.Equal("Failed", job.RootElement.GetProperty("phase").GetString());
        Assert.Equal(7, job.RootElement.GetProperty("history")[0].GetProperty("exitCode").GetInt32());
        Assert.Equal("one\ntwo\n", await client.GetStringAsync($"/api/v1/jobs/{id}/logs"));
    }

    [Fact]
    public async Task An_imperative_job_without_wait_answers_201_with_its_id_and_wait_returns_the_exit_code()
    {
        await Agent.StartAsync();
        using var client = Client(Admin);
        var id = await CreateJobAsync(client, "true");
        await Eventually.ReturnsAsync(async () => JsonDocument.Parse(await client.GetStringAsync($"/api/v1/jobs/{id}")).RootElement.GetProperty("phase").GetString(),
            p => p == "Succeeded", TimeSpan.FromSeconds(120), "the job succeeded");

        using var waited = await client.PostAsync("/api/v1/jobs?wait=true", JobBody("exit 0"));
        var body = await waited.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Created, waited.StatusCode);
        Assert.Equal(0, body.GetProperty("exitCode").GetInt32());
        Assert.Equal("Succeeded", body.GetProperty("phase").GetString());
    }

    /// <summary>Posts a job with ttlAfterFinished 0s and waits for it (201), then until the engine shows
    /// its run's container removed: its id and the wait's answer.</summary>
    private async Task<(string Id, JsonElement Body)> WaitedTtlZeroJobAsync(HttpClient client, string prefix, string extraSpec, string command)
    {
        client.Timeout = TimeSpan.FromMinutes(3);
        using var response = await client.PostAsync("/api/v1/jobs?wait=true", JobBody(command, $"\"name\": \"{Instance.Name(prefix)}\", {extraSpec}\"ttlAfterFinished\": \"0s\", "));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = body.GetProperty("id").GetString()!;
        await Eventually.ReturnsAsync(() => ListAsync(Instance, id), c => c.Count == 0, TimeSpan.FromSeconds(60), "ttlAfterFinished removed the run's container"); // on the engine
        return (id, body);
    }

    [Fact]
    public async Task A_waited_job_whose_failed_run_ttl_after_finished_removes_at_once_answers_failed()
    {
        // Before, a run removed by its TTL between two polls of the wait left it waiting forever (no run, the job still
        // there), and the job read "Pending, waiting for the first run" although it had failed and never runs again.
        await Agent.StartAsync();
        using var client = Client(Admin);
        var (id, body) = await WaitedTtlZeroJobAsync(client, "ttl", "\"backoffLimit\": 0, ", "exit 3");
        Assert.Equal(("Failed", 3), (body.GetProperty("phase").GetString(), body.GetProperty("exitCode").GetInt32()));

        using var job = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/jobs/{id}"));
        Assert.Equal("Failed", job.RootElement.GetProperty("phase").GetString());
        using var logs = await client.GetAsync($"/api/v1/jobs/{id}/logs");
        Assert.Equal(HttpStatusCode.Gone, logs.StatusCode);
        Assert.Contains("removed after ttlAfterFinished", await logs.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_job_whose_run_ttl_after_finished_removed_reads_the_same_through_the_wait_the_api_and_the_cli()
    {
        // probe-19 A: with ttlAfterFinished 0s the wait answered "attempts": 0 and no container for a run that succeeded;
        // agent logs said "has no run with a container yet" while the API answered 410; agent describe said
        // "Runs Kept: 0 succeeded / 1 failed" beside "Runs: <none>".
        await Agent.StartAsync();
        using var client = Client(Admin);
        var (id, body) = await WaitedTtlZeroJobAsync(client, "ttl0", "", "echo done");
        var run = body.GetProperty("run");
        Assert.Equal(("Succeeded", 0), (body.GetProperty("phase").GetString(), body.GetProperty("exitCode").GetInt32()));
        Assert.Equal(1, run.GetProperty("attempts").GetInt32());
        var container = run.GetProperty("container").GetString();
        Assert.False(string.IsNullOrEmpty(container));

        Assert.False(await DockerCli.ExistsAsync("container", container!)); // the container the wait named is gone
        using var job = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/jobs/{id}"));
        var removed = Assert.Single(job.RootElement.GetProperty("history").EnumerateArray());
        Assert.True(removed.GetProperty("removed").GetBoolean());
        Assert.Equal(container, removed.GetProperty("container").GetString());
        using var logs = await client.GetAsync($"/api/v1/jobs/{id}/logs");
        Assert.Equal(HttpStatusCode.Gone, logs.StatusCode);

        var cli = new Dictionary<string, string> { ["AGENT_Urls"] = Agent.BaseAddress.ToString(), ["AGENT_TOKEN"] = Admin };
        var (exit, stdout, stderr) = await AgentCli.RunAsync(cli, "logs", $"job/{id}");
        Assert.NotEqual(0, exit);
        Assert.Contains("removed after ttlAfterFinished", stderr + stdout);
        Assert.DoesNotContain("no run with a container", stderr + stdout);
        var described = await AgentCli.RunAsync(cli, "describe", $"job/{id}");
        Assert.True(described.Exit == 0, described.Stderr);
        Assert.Contains("0 succeeded / 0 failed", described.Stdout);
        Assert.Contains("after ttlAfterFinished", described.Stdout);
        Assert.DoesNotContain("Runs: <none>", described.Stdout);
    }

    [Fact]
    public async Task Oversized_job_and_run_bodies_are_413_naming_the_limit_and_relative_binds_are_refused_as_relative()
    {
        // probe-19 B: a /jobs body over 64 KiB was a 400 while /run answered 413; "../m:/x" read "bind mount of /nonexistent/m".
        await Agent.StartAsync();
        using var client = Client(Admin);
        var padding = new string('x', 70 * 1024);
        foreach (var (path, field) in new[] { ("/api/v1/jobs", "container"), ("/api/v1/run", "service") })
        {
            using var large = await client.PostAsync(path, Json($"{{\"{field}\": {{\"image\": \"{TestEngine.Image}\", \"command\": [\"{padding}\"]}}}}"));
            var problem = await large.Content.ReadAsStringAsync();
            Assert.True(large.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{path}: {(int)large.StatusCode} {problem}");
            Assert.Contains("65536 bytes", problem);
            using var relative = await client.PostAsync(path, Json($"{{\"{field}\": {{\"image\": \"{TestEngine.Image}\", \"volumes\": [\"../m:/x\"]}}}}"));
            var refusal = await relative.Content.ReadAsStringAsync();
            Assert.True((int)relative.StatusCode is 400 or 422, $"{path}: {(int)relative.StatusCode} {refusal}");
            Assert.Contains("bind sources must be absolute", refusal);
            Assert.DoesNotContain("/nonexistent", refusal);
        }
        Assert.Empty(await DockerCli.ContainerIdsAsync(Instance.InstanceLabel)); // nothing reached the engine
    }

    [Fact]
    public async Task An_imperative_job_is_refused_when_the_policy_forbids_it_or_the_role_is_too_low()
    {
        await Agent.StartAsync();
        using var admin = Client(Admin);
        using var forbidden = await admin.PostAsync("/api/v1/jobs", Json($"{{\"container\": {{\"image\": \"{TestEngine.Image}\", \"privileged\": true, \"volumes\": [\"/var/run/docker.sock:/s\"]}}}}"));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType!.MediaType);
        var problem = await forbidden.Content.ReadFromJsonAsync<JsonElement>();
        var fields = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToList();
        Assert.Contains("container.privileged", fields);
        Assert.Contains("container.volumes[0]", fields);

        using var invalid = await admin.PostAsync("/api/v1/jobs", Json($"{{\"container\": {{\"image\": \"{TestEngine.Image}\", \"replicas\": 3}}}}"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        using var op = Client(Operator);
        using var tooLow = await op.PostAsync("/api/v1/jobs", Json($"{{\"container\": {{\"image\": \"{TestEngine.Image}\"}}}}"));
        Assert.Equal(HttpStatusCode.Forbidden, tooLow.StatusCode);
        Assert.Empty(await DockerCli.ContainerIdsAsync(Instance.InstanceLabel));
    }

    [Fact]
    public async Task A_cronjob_is_listed_triggered_suspended_and_resumed_through_the_api()
    {
        var name = Instance.Name("api-cron");
        var (client, list) = await StartWithCronJobAsync(CronJob(name, "0 0 1 1 *", "echo manual", "  timeZone: Europe/Berlin\n"));
        using var _ = client;
        Assert.Equal(name, list[0].GetProperty("name").GetString());
        Assert.Equal("Europe/Berlin", list[0].GetProperty("timeZone").GetString());
        Assert.StartsWith($"{DateTime.UtcNow.Year + 1}-01-01T00:00:00+01:00", list[0].GetProperty("nextRunTime").GetString());

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/cronjobs/{name}/trigger", null)).StatusCode);
        var status = await Eventually.ReturnsAsync(async () => await client.GetFromJsonAsync<JsonElement>($"/api/v1/cronjobs/{name}"),
            s => s.GetProperty("history").GetArrayLength() == 1, TimeSpan.FromSeconds(120), "the triggered run finished");
        var run = status.GetProperty("history")[0];
        Assert.Equal("manual", run.GetProperty("trigger").GetString());
        Assert.Equal(0, run.GetProperty("exitCode").GetInt32());
        Assert.True(run.GetProperty("durationSeconds").GetDouble() >= 0);
        Assert.Single(await ListAsync(Instance, name));

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/cronjobs/{name}/suspend", null)).StatusCode);
        var suspended = await client.GetFromJsonAsync<JsonElement>($"/api/v1/cronjobs/{name}");
        Assert.True(suspended.GetProperty("suspended").GetBoolean());
        Assert.Equal("api", suspended.GetProperty("suspendedBy").GetString());
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/cronjobs/{name}/resume", null)).StatusCode);
        Assert.False((await client.GetFromJsonAsync<JsonElement>($"/api/v1/cronjobs/{name}")).GetProperty("suspended").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/api/v1/cronjobs/nope/trigger", null)).StatusCode);
    }

    /// <summary>probe-39 F7: a CronJob's name given to the Job logs route was refused to a scoped token as "Job/NAME is
    /// outside" its scope (and answered 404 to others): it is no Job, so every token gets the 404, which says where a
    /// CronJob's runs are. A Job in scope is read; one outside is refused, naming it.</summary>
    [Fact]
    public async Task A_cronjob_name_on_the_job_logs_route_is_a_404_that_points_to_its_runs_for_scoped_tokens_too()
    {
        var (cron, job) = (Instance.Name("logs-cron"), Instance.Name("logs-job"));
        const string inScope = "operator-jobs-scoped-to-the-job-01";
        const string outOfScope = "operator-jobs-scoped-elsewhere-001";
        await File.WriteAllTextAsync(tokens, $"operator:{Operator}\nadmin:{Admin}\noperator:{inScope} groups={job}\noperator:{outOfScope} groups={cron}\n");
        var (client, _) = await StartWithCronJobAsync(CronJob(cron, "0 0 1 1 *", "echo never") + "---\n" + Job(job, "echo done"));
        using var __ = client;
        using var scoped = Client(inScope);
        using var elsewhere = Client(outOfScope);

        foreach (var c in new[] { client, scoped, elsewhere })
        {
            var answer = await ReadProblemAsync(await c.GetAsync($"/api/v1/jobs/{cron}/logs"), HttpStatusCode.NotFound);
            Assert.Contains($"CronJob/{cron} is a CronJob", answer);
            Assert.Contains($"GET /api/v1/cronjobs/{cron}", answer);
            await ReadProblemAsync(await c.GetAsync("/api/v1/jobs/no-such-job/logs"), HttpStatusCode.NotFound);
        }
        Assert.Contains($"CronJob/{cron} is a CronJob", await ReadProblemAsync(await client.GetAsync($"/api/v1/jobs/{cron}"), HttpStatusCode.NotFound));

        var output = await Eventually.ReturnsAsync(async () =>
        {
            using var logs = await scoped.GetAsync($"/api/v1/jobs/{job}/logs");
            return logs.StatusCode == HttpStatusCode.OK ? await logs.Content.ReadAsStringAsync() : "";
        }, o => o == "done\n", TimeSpan.FromSeconds(120), "the Job's output read with a token scoped to it");
        Assert.Equal("done\n", output);
        var refused = await ReadProblemAsync(await elsewhere.GetAsync($"/api/v1/jobs/{job}/logs"), HttpStatusCode.Forbidden);
        Assert.Contains($"Job/{job} (no phase) is outside it", refused);
    }

    /// <summary>Tester finding: logs?follow=true right after POST /jobs answered 409 "has no run with a container yet";
    /// as kubectl logs -f job/NAME waits for its pod, it waits for the run's container and streams it.</summary>
    [Fact]
    public async Task Following_the_logs_of_a_job_just_created_waits_for_its_container()
    {
        await Agent.StartAsync();
        using var client = Client(Admin);
        var id = await CreateJobAsync(client, "sleep 1; echo late");
        using var logs = await client.GetAsync($"/api/v1/jobs/{id}/logs?follow=true");
        var text = await logs.Content.ReadAsStringAsync();
        Assert.True(logs.StatusCode == HttpStatusCode.OK, $"{(int)logs.StatusCode}: {text}");
        Assert.Equal("late\n", text);
    }

    /// <summary>Tester finding: `agent logs -f cronjob/NAME` before its first run exited 1 ("no run with a container
    /// yet"); following, it waits for a run's container as kubectl logs -f job/NAME waits for its pod.</summary>
    [Fact]
    public async Task Following_a_cronjobs_logs_before_its_first_run_waits_for_it()
    {
        var name = Instance.Name("tick");
        var (client, _) = await StartWithCronJobAsync(CronJob(name, "0 0 1 1 *", "echo triggered"));
        using var __ = client;
        var following = AgentCli.RunAsync(CliEnvironment, "logs", "-f", $"cronjob/{name}");
        await Task.Delay(TimeSpan.FromSeconds(4)); // the CLI asked before any run
        using (var trigger = await client.PostAsync($"/api/v1/cronjobs/{name}/trigger", null)) Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
        var (exit, stdout, stderr) = await following;
        Assert.True(exit == 0, stderr);
        Assert.Equal("triggered\n", stdout);
    }

    private Dictionary<string, string> CliEnvironment => new() { ["AGENT_Urls"] = Agent.BaseAddress.ToString(), ["AGENT_TOKEN"] = Admin };

    /// <summary>Tester findings: job/NAME for a CronJob said only "no Job" in `agent logs` and `agent describe` (the API's
    /// hint dropped); a CronJob run's id on the Job routes was a plain "No Job", and `agent logs job/RUN` dropped the API's
    /// pointer for it; a 5,000-character id was echoed whole.</summary>
    [Fact]
    public async Task A_cronjob_or_its_run_named_as_a_job_is_pointed_to_and_a_long_id_is_not_echoed_whole()
    {
        var name = Instance.Name("tock");
        var (client, _) = await StartWithCronJobAsync(CronJob(name, "0 0 1 1 *", "echo triggered"));
        using var __ = client;
        var logs = await AgentCli.RunAsync(CliEnvironment, "logs", $"job/{name}");
        Assert.NotEqual(0, logs.Exit);
        Assert.Contains($"{name} is a CronJob (agent logs cronjob/{name})", logs.Stderr);
        var described = await AgentCli.RunAsync(CliEnvironment, "describe", $"job/{name}");
        Assert.NotEqual(0, described.Exit);
        Assert.Contains($"{name} is a CronJob (agent describe cronjob/{name})", described.Stderr);

        using (var trigger = await client.PostAsync($"/api/v1/cronjobs/{name}/trigger", null)) Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
        var run = (await Eventually.ReturnsAsync(async () => await client.GetFromJsonAsync<JsonElement>($"/api/v1/cronjobs/{name}"),
            c => c.GetProperty("history").GetArrayLength() == 1, TimeSpan.FromSeconds(60), "the run in the history")).GetProperty("history")[0];
        var (runId, container) = (run.GetProperty("id").GetString()!, run.GetProperty("container").GetString()!);
        var pointer = $"\"{runId}\" is a run of CronJob/{name}: its output is at GET /api/v1/containers/{container}/logs";
        foreach (var path in new[] { $"/api/v1/jobs/{runId}/logs", $"/api/v1/jobs/{runId}" })
            Assert.Contains(pointer, await ReadProblemAsync(await client.GetAsync(path), HttpStatusCode.NotFound));
        var runLogs = await AgentCli.RunAsync(CliEnvironment, "logs", $"job/{runId}"); // said only "no Job ... (agent get jobs lists them)"
        Assert.NotEqual(0, runLogs.Exit);
        Assert.Contains(pointer, runLogs.Stderr);
        var runDescribed = await AgentCli.RunAsync(CliEnvironment, "describe", $"job/{runId}"); // said only "Job ... not found"
        Assert.NotEqual(0, runDescribed.Exit);
        Assert.Contains(pointer, runDescribed.Stderr);
        var detail = await ReadProblemAsync(await client.GetAsync($"/api/v1/jobs/{new string('x', 5000)}"), HttpStatusCode.NotFound);
        Assert.True(detail.Length < 400, detail);
    }

    /// <summary>Routing leaves %2F encoded in a path segment (it would end the segment decoded), so the id reached the 404
    /// as "a%2Fb" and was echoed so; the answer names the id meant.</summary>
    [Fact]
    public async Task An_id_with_an_encoded_slash_is_echoed_decoded_in_the_404()
    {
        await Agent.StartAsync();
        using var client = Client(Operator);
        foreach (var path in new[] { "/api/v1/jobs/a%2Fb/logs", "/api/v1/jobs/a%2Fb" })
        {
            var detail = await ReadProblemAsync(await client.GetAsync(path), HttpStatusCode.NotFound);
            Assert.Contains("No Job \"a/b\"", detail);
            Assert.DoesNotContain("%2F", detail, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static async Task<string> ReadProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {body}");
            return JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
        }
    }

    [Fact]
    public async Task A_trigger_follows_concurrency_policy_forbid()
    {
        var name = Instance.Name("forbid-trig");
        var (client, _) = await StartWithCronJobAsync(CronJob(name, "0 0 1 1 *", "sleep 60", "  concurrencyPolicy: Forbid\n"));
        using var __ = client;
        // probe-15c G10: 15 triggers in a second made 15 concurrent runs of a Forbid CronJob.
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
            using (var trigger = await client.PostAsync($"/api/v1/cronjobs/{name}/trigger", null)) answers.Add(trigger.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, answers[0]);
        Assert.All(answers.Skip(1), a => Assert.Equal(HttpStatusCode.Conflict, a));
        await Eventually.ReturnsAsync(() => ListAsync(Instance, name), l => l.Count == 1, TimeSpan.FromSeconds(60), "one run");
        using var again = await client.PostAsync($"/api/v1/cronjobs/{name}/trigger", null);
        var detail = await again.Content.ReadAsStringAsync();
        Assert.True(again.StatusCode == HttpStatusCode.Conflict, detail);
        Assert.Contains("concurrencyPolicy is Forbid", detail);
        Assert.Single(await ListAsync(Instance, name));
    }
}
