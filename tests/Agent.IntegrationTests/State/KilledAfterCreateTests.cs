using System.Net.Http.Json;
using Agent.IntegrationTests.Infrastructure;
using Agent.Reconciliation;

namespace Agent.IntegrationTests.State;

/// <summary>
/// kill -9 of the real `agent run` right after it created a container, before it started or recorded it (the test hook
/// AGENT_TEST_KILL_AFTER_CREATE makes the agent kill itself there). The next agent finishes or undoes the operation:
/// a job attempt's container is adopted and run once (never a second container for the same run and attempt); a
/// POST /run container is removed; a POST /containers container (made to stay created) stays. Checked through the docker CLI.
/// </summary>
public sealed class KilledAfterCreateTests() : AgentProcessScenario("killcreate")
{
    /// <summary>Starts the agent that kills itself after creating a container with <paramref name="label"/>; waits until it has.</summary>
    private AgentProcess StartKilledAfterCreate(string label) =>
        StartAgent(new Dictionary<string, string> { [OwnCreates.KillAfterCreateVariable] = label });

    private async Task WaitKilledAsync()
    {
        await Eventually.TrueAsync(() => Task.FromResult(Agent!.HasExited), Within, "the agent killed itself after the create");
        await EndAgentAsync();
    }

    /// <summary>Name, state, exit code, run and attempt of the instance's containers with this label, by the docker CLI.</summary>
    private async Task<IReadOnlyList<string[]>> ContainersAsync(string label) =>
        (await DockerCli.RunAsync("ps", "-a", "--filter", $"label={Instance.InstanceLabel}", "--filter", $"label={label}", "--format",
            "{{.Names}} {{.State}} {{.Label \"agent.job-run\"}} {{.Label \"agent.job-attempt\"}} {{.Status}}"))
        .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToList();

    private static string Describe(IEnumerable<string[]> rows) => string.Join("; ", rows.Select(r => string.Join(' ', r)));

    /// <summary>The leftover of the killed agent is one created container; the next agent runs it to its end, and it stays
    /// the only container of its run and attempt.</summary>
    private async Task AssertAttemptRunsOnceAsync(string label)
    {
        var left = await ContainersAsync(label);
        Assert.True(left.Count == 1 && left[0][1] == "created", $"the killed agent left: {Describe(left)}");
        await StartAgent().WaitReadyAsync(Within);
        var rows = await Eventually.ReturnsAsync(() => ContainersAsync(label), r => r.Count > 1 || r.All(c => c[1] == "exited"), Within,
            () => $"the attempt's container ran to its end; agent output:\n{Agent!.Output(30)}");
        Assert.True(rows.Count == 1, $"one container per run and attempt, found: {Describe(rows)}");
        Assert.Equal((left[0][0], left[0][2], "1"), (rows[0][0], rows[0][2], rows[0][3]));
        Assert.Contains("Exited (0)", string.Join(' ', rows[0][4..]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_attempt_created_by_a_killed_agent_is_adopted_and_runs_once()
    {
        var name = Instance.Name("job");
        File.WriteAllText(Path.Combine(Manifests, "job.yaml"), $$"""
            apiVersion: agent/v1
            kind: Job
            metadata: { name: {{name}} }
            spec:
              backoffLimit: 0
              container: { image: {{TestEngine.Image}}, command: ["sh", "-c", "sleep 1"] }
            """);
        StartKilledAfterCreate("agent.kind=Job");
        await WaitKilledAsync();
        await AssertAttemptRunsOnceAsync($"agent.object={name}");
    }

    /// <summary>probe-35: a scheduled run whose container a killed agent created, found by the next agent after a later
    /// schedule time had come, was a failed run (StartFailed) though nothing of it ran; the same without a restart is a
    /// missed time. Now it is missed either way, and its container removed, never started.</summary>
    [Fact]
    public async Task A_scheduled_run_created_by_a_killed_agent_and_found_too_late_is_a_missed_time_not_a_failed_run()
    {
        var name = Instance.Name("cron");
        File.WriteAllText(Path.Combine(Manifests, "cron.yaml"), $$"""
            apiVersion: agent/v1
            kind: CronJob
            metadata: { name: {{name}} }
            spec:
              schedule: "*/2 * * * * *"
              jobTemplate:
                backoffLimit: 0
                container: { image: {{TestEngine.Image}}, command: ["sh", "-c", "echo tick"] }
            """);
        StartKilledAfterCreate("agent.kind=CronJob");
        await WaitKilledAsync();
        var label = $"agent.object={name}";
        var left = await ContainersAsync(label);
        Assert.True(left.Count == 1 && left[0][1] == "created", $"the killed agent left: {Describe(left)}");
        await Task.Delay(TimeSpan.FromSeconds(3)); // a later schedule time comes: the run is too late to start

        await StartAgent().WaitReadyAsync(Within);
        using var http = Agent!.Client();
        var status = await Eventually.ReturnsAsync(async () => await http.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/cronjobs/{name}"),
            s => s.GetProperty("missedRuns").GetInt64() > 0 && s.GetProperty("history").EnumerateArray().Any(r => r.GetProperty("phase").GetString() == "Succeeded"),
            Within, () => $"the late run missed and a later one done; agent output:\n{Agent.Output(30)}");
        Assert.DoesNotContain(status.GetProperty("history").EnumerateArray(), r => r.GetProperty("id").GetString() == left[0][2]);
        Assert.DoesNotContain(status.GetProperty("history").EnumerateArray(), r => r.GetProperty("phase").GetString() == "Failed");
        Assert.DoesNotContain(await ContainersAsync(label), r => r[0] == left[0][0]); // removed, never started
    }

    [Fact]
    public async Task An_api_job_attempt_created_by_a_killed_agent_is_adopted_and_runs_once()
    {
        StartKilledAfterCreate("agent.kind=ApiJob");
        await Agent!.WaitReadyAsync(Within);
        using (var http = Agent.Client())
        {
            try
            {
                await http.PostAsJsonAsync("/api/v1/jobs", new { name = "kj", backoffLimit = 0, container = new { image = TestEngine.Image, command = new[] { "sh", "-c", "sleep 1" } } }); // answered, or not: the job's loop creates the container beside the request
            }
            catch (HttpRequestException)
            {
                // killed inside the request
            }
        }
        await WaitKilledAsync();
        await AssertAttemptRunsOnceAsync("agent.kind=ApiJob");
    }

    [Fact]
    public async Task A_run_created_by_a_killed_agent_is_removed_at_the_next_start_and_a_created_container_stays()
    {
        StartKilledAfterCreate("killcreate=run");
        await Agent!.WaitReadyAsync(Within);
        var created = Instance.Name("made");
        var run = Instance.Name("run");
        using (var http = Agent.Client())
        {
            var made = await http.PostAsJsonAsync("/api/v1/containers", new { service = new { name = created, image = TestEngine.Image, command = new[] { "sleep", "60" } } });
            Assert.Equal(System.Net.HttpStatusCode.Created, made.StatusCode);
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.PostAsJsonAsync("/api/v1/run",
                new { service = new { name = run, image = TestEngine.Image, command = new[] { "sleep", "60" }, labels = new Dictionary<string, string> { ["killcreate"] = "run" } } }));
        }
        await WaitKilledAsync();
        Assert.Equal("created", await DockerCli.InspectAsync(run, "{{.State.Status}}"));

        await StartAgent().WaitReadyAsync(Within);
        await Eventually.TrueAsync(async () => !await DockerCli.ExistsAsync("container", run), Within, () => $"the interrupted run {run} is removed; agent output:\n{Agent!.Output(30)}");
        Assert.Equal("created", await DockerCli.InspectAsync(created, "{{.State.Status}}"));
    }
}
