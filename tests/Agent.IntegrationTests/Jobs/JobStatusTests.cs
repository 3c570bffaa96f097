using System.Net.Http.Headers;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Jobs.JobContainers;

namespace Agent.IntegrationTests.Jobs;

/// <summary>CronJobs and Jobs in GET /objects (conditions, kubectl's fields) and in `agent get` / `agent describe`, run as
/// a program against a running agent; exit codes and container names checked with the docker CLI.</summary>
public sealed class JobStatusTests : AgentScenario, IAsyncLifetime
{
    private const string Admin = "admin-token-jobstatus-0123456789";
    private readonly string tokens = Path.GetTempFileName();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await File.WriteAllTextAsync(tokens, $"admin:{Admin}\n");
        Agent.Settings["Agent:Auth:TokensFile"] = tokens;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        File.Delete(tokens);
    }

    private Dictionary<string, string> Env => new() { ["AGENT_Urls"] = Agent.BaseAddress.ToString(), ["AGENT_TOKEN"] = Admin };

    private async Task<string> Cli(params string[] args)
    {
        var (exit, stdout, stderr) = await AgentCli.RunAsync(Env, args);
        Assert.True(exit == 0, $"agent {string.Join(' ', args)} exited {exit}\n{stdout}\n{stderr}");
        return stdout;
    }

    private async Task<JsonElement?> ObjectAsync(string kind, string name)
    {
        using var client = Agent.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Admin);
        var all = JsonDocument.Parse(await client.GetStringAsync("/api/v1/objects")).RootElement;
        return all.EnumerateArray().Where(o => o.GetProperty("kind").GetString() == kind && o.GetProperty("name").GetString() == name)
            .Select(o => (JsonElement?)o.Clone()).FirstOrDefault();
    }

    private static JsonElement? Condition(JsonElement? o, string type) =>
        o?.GetProperty("conditions").EnumerateArray().Where(c => c.GetProperty("type").GetString() == type).Select(c => (JsonElement?)c).FirstOrDefault();

    private static string? Reason(JsonElement? o, string type) => Condition(o, type)?.GetProperty("reason").GetString();

    [Fact]
    public async Task Cronjobs_and_jobs_are_objects_with_conditions_and_kubectl_columns()
    {
        var cron = Instance.Name("every2");
        var job = Instance.Name("fails");
        Agent.Write("cron.yaml", CronJob(cron, "*/2 * * * * *", "echo tick", "  concurrencyPolicy: Forbid\n  timeZone: Europe/Berlin\n"));
        Agent.Write("job.yaml", Job(job, "echo failing; exit 3", "  backoffLimit: 0\n"));
        await Agent.StartAsync();

        // The Job failed: Ready=False and Kubernetes' Failed condition, both with the reason; the exit code is the engine's.
        var failed = await Eventually.ReturnsAsync(() => ObjectAsync("Job", job), o => Reason(o, "Failed") == "BackoffLimitExceeded", TimeSpan.FromSeconds(120), "the Job failed");
        Assert.Equal(("False", "BackoffLimitExceeded"), (Condition(failed, "Ready")!.Value.GetProperty("status").GetString(), Reason(failed, "Ready")));
        var engineExit = Assert.Single(await ListAsync(Instance, job)).ExitCode;
        Assert.Equal(3, engineExit);
        Assert.Equal(engineExit, failed!.Value.GetProperty("job").GetProperty("exitCode").GetInt32());
        Assert.Equal("job.yaml:1:1", failed.Value.GetProperty("source").GetString());

        // The CronJob: Ready=True (Scheduled or Running), not suspended, with its schedule and last schedule time.
        var scheduled = await Eventually.ReturnsAsync(() => ObjectAsync("CronJob", cron),
            o => o?.GetProperty("job").TryGetProperty("lastScheduleTime", out _) == true // a run is started beside the loop: its event follows
                && o.Value.GetProperty("events").EnumerateArray().Any(e => e.GetProperty("reason").GetString() == "Started"),
            TimeSpan.FromSeconds(120), "a scheduled run and its Started event");
        Assert.Equal("True", Condition(scheduled, "Ready")!.Value.GetProperty("status").GetString());
        Assert.Contains(Reason(scheduled, "Ready"), new[] { "Scheduled", "Running" });
        Assert.Equal("False", Condition(scheduled, "Suspended")!.Value.GetProperty("status").GetString());
        Assert.Equal("*/2 * * * * *", scheduled!.Value.GetProperty("job").GetProperty("schedule").GetString());
        Assert.Contains(scheduled.Value.GetProperty("events").EnumerateArray(), e => e.GetProperty("reason").GetString() == "Started");

        var cronjobs = (await Cli("get", "cronjobs")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$", cronjobs[0]);
        Assert.Matches($@"^{cron}\s+\*/2 \* \* \* \* \*\s+Europe/Berlin\s+False\s+[01]\s+\d+s\s+\d+s$", Assert.Single(cronjobs, l => l.StartsWith(cron + " ", StringComparison.Ordinal)));
        var jobs = await Cli("get", "jobs");
        Assert.Matches(@"^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE", jobs);
        Assert.Matches($@"(?m)^{job}\s+Failed\s+0/1\s+\d+s\s+\d+s$", jobs);
        var all = await Cli("get", "all");
        Assert.Contains($"cronjob/{cron} ", all);
        Assert.Contains($"job/{job} ", all);

        // describe: the schedule, the conditions and the runs, each with a container the engine has.
        var container = (await ListAsync(Instance, cron)).First();
        var describe = await Cli("describe", $"cronjob/{cron}");
        Assert.Contains("Schedule:           */2 * * * * *", describe);
        Assert.Contains("Concurrency Policy: Forbid", describe);
        Assert.Matches(@"(?m)^  Ready\s+True\s+(Scheduled|Running)", describe);
        Assert.Contains(container.Run, describe);
        Assert.Matches($@"(?m)^  {job}-\S+\s+Failed\s+BackoffLimitExceeded\s+3\s+1\s", await Cli("describe", "job", job));

        // Suspended through the API: SUSPEND True, Ready=False/Suspended.
        using (var client = Agent.Client())
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Admin);
            (await client.PostAsync($"/api/v1/cronjobs/{cron}/suspend", null)).EnsureSuccessStatusCode();
        }
        var suspended = await Eventually.ReturnsAsync(() => ObjectAsync("CronJob", cron), o => Reason(o, "Ready") == "Suspended", TimeSpan.FromSeconds(120), "suspended");
        Assert.Equal("True", Condition(suspended, "Suspended")!.Value.GetProperty("status").GetString());
        Assert.Matches($@"(?m)^{cron}\s+\S+ \S+ \S+ \S+ \S+ \S+\s+Europe/Berlin\s+True\s", await Cli("get", "cj"));
    }
}
