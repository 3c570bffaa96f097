using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using Agent.IntegrationTests.Jobs;
using Agent.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.IntegrationTests.Sources;

/// <summary>probe-16 F6 and F2: CronJobs and Jobs held like groups. An agent started without its manifests folder lists
/// every object of the last run (groups, compose projects, CronJobs, Jobs) as SourceUnavailable and removes nothing; a
/// CronJob whose deletion the mass-prune guard holds keeps its schedule until an admin confirms.</summary>
public sealed class HeldJobsTests() : SourceScenario(new Dictionary<string, string?>
{
    ["Agent:Auth:TokensFile"] = TokensFile,
    ["Agent:JobSettle"] = "00:00:00",
    ["Agent:JobBackoffBase"] = "00:00:01",
})
{
    private const string AdminToken = "admin-token-heldjobs-0123456789";
    private static readonly string TokensFile = WriteTokens();

    private static string WriteTokens()
    {
        var file = Path.Combine(Path.GetTempPath(), $"agent-it-heldjobs-tokens-{Environment.ProcessId}");
        File.WriteAllText(file, $"admin:{AdminToken}\n");
        return file;
    }

    private JobRunner Runner => Agent.Services.GetRequiredService<JobRunner>();

    [Fact]
    public async Task An_agent_started_without_its_manifests_folder_lists_every_kind_as_SourceUnavailable_removes_nothing_and_applies_it_once_back()
    {
        var (group, project, cron, job) = (Instance.Name("hsu-g"), Instance.Name("hsu-p"), Instance.Name("hsu-c"), Instance.Name("hsu-j"));
        Agent.Write("g.yaml", Sleepy(group));
        Agent.Write($"{project}/compose.yaml", $"services:\n  web:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n");
        Agent.Write("jobs.yaml", JobContainers.CronJob(cron, "*/2 * * * * *", "echo tick", "  successfulJobsHistoryLimit: 2\n") + "---\n"
                                 + JobContainers.Job(job, "echo done"));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(group);
        await Agent.WaitProjectReadyAsync(project);
        await Agent.WaitForConditionAsync(job, ConditionTypes.Ready, "True", JobConditionsComplete, TimeSpan.FromSeconds(120), Job.KindName);
        await Eventually.ReturnsAsync(() => JobContainers.ListAsync(Instance, cron), l => l.Count(c => c.Status == "exited") >= 1,
            TimeSpan.FromSeconds(120), "a finished run of the CronJob");
        await Agent.StopAsync();
        var before = await AllContainersAsync(); // every container of the instance, as the docker CLI sees it
        Assert.Contains(before, c => c.EndsWith($" {group}-s-1", StringComparison.Ordinal));
        Assert.Single(await JobContainers.ListAsync(Instance, job));

        var away = Agent.Manifests + "-away";
        Directory.Move(Agent.Manifests, away); // a mount not there yet at boot, a typo in --manifests
        try
        {
            await Agent.StartAsync();
            var objects = new[] { (ServiceGroup.KindName, group), (ServiceGroup.ComposeKindName, project), (CronJob.KindName, cron), (Job.KindName, job) };
            foreach (var (kind, name) in objects)
                await Agent.WaitForConditionAsync(name, ConditionTypes.Degraded, "True", "SourceUnavailable", TimeSpan.FromSeconds(90), kind);

            // The status API lists every kind, each Degraded=True SourceUnavailable.
            using var admin = Client(AdminToken);
            var listed = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/objects")).RootElement.EnumerateArray().ToList();
            foreach (var (kind, name) in objects)
            {
                var o = listed.Single(e => e.GetProperty("kind").GetString() == kind && e.GetProperty("name").GetString() == name);
                var degraded = o.GetProperty("conditions").EnumerateArray().Single(c => c.GetProperty("type").GetString() == ConditionTypes.Degraded);
                Assert.Equal("SourceUnavailable", degraded.GetProperty("reason").GetString());
            }
            // describe's sources answer (no 404), with the history kept and why it is held.
            var cronView = JsonDocument.Parse(await admin.GetStringAsync($"/api/v1/cronjobs/{cron}")).RootElement;
            Assert.Contains("does not exist", cronView.GetProperty("held").GetString());
            // Its runs are kept as the last run recorded them (one whose end it had not seen yet is still listed active).
            Assert.True(cronView.GetProperty("history").GetArrayLength() + cronView.GetProperty("active").GetArrayLength() >= 1, cronView.ToString());
            var jobView = JsonDocument.Parse(await admin.GetStringAsync($"/api/v1/jobs/{job}")).RootElement;
            Assert.Equal("Succeeded", jobView.GetProperty("phase").GetString());
            Assert.Contains(JsonDocument.Parse(await admin.GetStringAsync("/api/v1/cronjobs")).RootElement.EnumerateArray(), c => c.GetProperty("name").GetString() == cron);
            Assert.Contains(JsonDocument.Parse(await admin.GetStringAsync("/api/v1/jobs")).RootElement.EnumerateArray(), j => j.GetProperty("id").GetString() == job);

            // agent get all (the CLI) names every one with SourceUnavailable.
            var (exit, stdout, stderr) = await AgentCli.RunAsync(new Dictionary<string, string> { ["AGENT_TOKEN"] = AdminToken },
                "get", "all", "--server", Agent.BaseAddress.ToString());
            Assert.True(exit == 0, stderr);
            foreach (var (_, name) in objects)
                Assert.True(stdout.Split('\n').Any(l => l.Contains(name + " ", StringComparison.Ordinal) && l.Contains("SourceUnavailable", StringComparison.Ordinal)), stdout);

            // /readyz?verbose fails the manifests check and names every held object.
            var readyz = await admin.GetAsync("/readyz?verbose");
            var text = await readyz.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
            foreach (var (kind, name) in objects) Assert.Contains($"{kind}/{name}", text);

            // Nothing was removed or started: the same containers, over a few resyncs (the every-2s CronJob starts nothing
            // without its spec).
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(before, await AllContainersAsync());
                Assert.Equal("running", (await Containers.OfAsync(Instance, group)).Single().State);
                Assert.Equal("running", (await Containers.OfAsync(Instance, project)).Single().State);
                await Task.Delay(1000);
            }
        }
        finally
        {
            if (!Directory.Exists(Agent.Manifests)) Directory.Move(away, Agent.Manifests);
        }

        // The folder is back: everything reconciles; the CronJob runs again, the Job does not run again.
        var runsBefore = (await JobContainers.ListAsync(Instance, cron)).Select(c => c.Run).ToHashSet();
        await Agent.WaitReadyAsync(group);
        await Agent.WaitProjectReadyAsync(project);
        await Agent.WaitForConditionAsync(cron, ConditionTypes.Degraded, "False", within: TimeSpan.FromSeconds(60), kind: CronJob.KindName);
        await Eventually.ReturnsAsync(() => JobContainers.ListAsync(Instance, cron), l => l.Any(c => !runsBefore.Contains(c.Run) && c.Status == "exited"),
            TimeSpan.FromSeconds(120), "a new run of the CronJob once its manifest reads again");
        await Agent.WaitForConditionAsync(job, ConditionTypes.Ready, "True", JobConditionsComplete, TimeSpan.FromSeconds(60), Job.KindName);
        Assert.Single(await JobContainers.ListAsync(Instance, job)); // its one run, not run again
        Assert.Equal(before.Single(c => c.EndsWith($" {group}-s-1", StringComparison.Ordinal)),
            (await AllContainersAsync()).Single(c => c.EndsWith($" {group}-s-1", StringComparison.Ordinal))); // the same container throughout
    }

    [Fact]
    public async Task A_CronJob_whose_deletion_the_mass_prune_guard_holds_keeps_its_schedule_until_an_admin_confirms()
    {
        var (group, cron, job) = (Instance.Name("hpg-g"), Instance.Name("hpg-c"), Instance.Name("hpg-j"));
        Agent.Write("a.yaml", Sleepy(group));
        Agent.Write("jobs.yaml", JobContainers.CronJob(cron, "*/2 * * * * *", "echo tick", "  successfulJobsHistoryLimit: 2\n") + "---\n"
                                 + JobContainers.Job(job, "echo done"));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(group);
        await Eventually.ReturnsAsync(() => JobContainers.ListAsync(Instance, cron), l => l.Count(c => c.Status == "exited") >= 1,
            TimeSpan.FromSeconds(120), "a finished run of the CronJob");

        // One read drops both jobs: 2 of the 3 managed objects, held by the guard.
        Agent.Delete("jobs.yaml");
        await Agent.WaitForConditionAsync(cron, ConditionTypes.PruneBlocked, "True", within: TimeSpan.FromSeconds(60), kind: CronJob.KindName);
        await AssertKeepsRunningAsync(cron, "held by the mass-prune guard");
        var held = Agent.Status.Get(new ObjectKey(CronJob.KindName, cron))!;
        Assert.Equal(ConditionTypes.PruneBlocked, held.Condition(ConditionTypes.Degraded)!.Reason);
        Assert.Equal("False", held.Condition(ConditionTypes.Progressing)!.Status);
        Assert.NotNull(Runner.CronJobStatus(cron)?.Held);
        var (exit, stdout, stderr) = await AgentCli.RunAsync(new Dictionary<string, string> { ["AGENT_TOKEN"] = AdminToken },
            "get", "cronjobs", "--server", Agent.BaseAddress.ToString());
        Assert.True(exit == 0, stderr);
        Assert.Contains(stdout.Split('\n'), l => l.Contains(cron + " ", StringComparison.Ordinal) && l.Contains("PruneBlocked", StringComparison.Ordinal));
        // Its history limit still applies while held (2 kept; one more may be on its way out).
        await Eventually.ReturnsAsync(() => JobContainers.ListAsync(Instance, cron), l => l.Count(c => c.Status == "exited") <= 3, TimeSpan.FromSeconds(30), "at most 3 finished runs kept");

        // The files come back: nothing was lost, it runs on.
        Agent.Write("jobs.yaml", JobContainers.CronJob(cron, "*/2 * * * * *", "echo tick", "  successfulJobsHistoryLimit: 2\n") + "---\n"
                                 + JobContainers.Job(job, "echo done"));
        await Agent.WaitForConditionAsync(cron, ConditionTypes.Degraded, "False", within: TimeSpan.FromSeconds(60), kind: CronJob.KindName);
        Assert.Null(Agent.Status.Get(new ObjectKey(CronJob.KindName, cron))!.Condition(ConditionTypes.PruneBlocked));
        await AssertKeepsRunningAsync(cron, "its manifest back");
        Assert.Single(await JobContainers.ListAsync(Instance, job)); // the Job's one run was kept, not run again

        // Dropped again, and this time confirmed: the schedule stops and its runs are removed with its history.
        Agent.Delete("jobs.yaml");
        await Agent.WaitForConditionAsync(cron, ConditionTypes.PruneBlocked, "True", within: TimeSpan.FromSeconds(60), kind: CronJob.KindName);
        await AssertKeepsRunningAsync(cron, "held again");
        using var admin = Client(AdminToken);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/v1/prune/confirm", null)).StatusCode);
        await Eventually.ReturnsAsync(() => JobContainers.ListAsync(Instance, cron), l => l.Count == 0, TimeSpan.FromSeconds(60), "the CronJob's runs removed after the confirmation");
        await Eventually.TrueAsync(() => Task.FromResult(Runner.History(new ObjectKey(CronJob.KindName, cron)) is null), TimeSpan.FromSeconds(30), "its history forgotten");
        await Task.Delay(TimeSpan.FromSeconds(5)); // two schedule times and more: no run starts any more
        Assert.Empty(await JobContainers.ListAsync(Instance, cron));
        Assert.Null(Agent.Status.Get(new ObjectKey(CronJob.KindName, cron)));
        await Agent.WaitReadyAsync(group);
    }

    private const string JobConditionsComplete = Core.Jobs.JobConditions.Complete;

    /// <summary>New runs keep starting on the every-2s schedule: two more runs than before, each started by the engine.</summary>
    private async Task AssertKeepsRunningAsync(string cron, string why)
    {
        var seen = (await JobContainers.ListAsync(Instance, cron)).Select(c => c.Run).ToHashSet();
        await Eventually.ReturnsAsync(() => JobContainers.ListAsync(Instance, cron), l => l.Count(c => !seen.Contains(c.Run) && c.Started is not null) >= 2,
            TimeSpan.FromSeconds(60), $"two new runs of the CronJob while {why}");
    }

    private async Task<List<string>> AllContainersAsync() =>
        (await DockerCli.RunAsync("ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}", "--filter", $"label={Instance.InstanceLabel}"))
        .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();

    private HttpClient Client(string token)
    {
        var client = Agent.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
