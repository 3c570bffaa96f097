using Agent.Core.Jobs;
using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using Agent.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.IntegrationTests.Jobs;

/// <summary>probe-36 7: with concurrencyPolicy Replace and container starts slower than the time between schedule times,
/// every run was replaced before its container started: nothing ran, and the CronJob read Ready "Running" all along. Now
/// from the third such run in a row it reads Ready=False and Degraded=True ReplacedBeforeStart with a Warning event, until
/// a run's container starts again. The proxy holds each container start 10 s (the engine answers everything else at once);
/// the docker CLI is the oracle that nothing of those runs kept running.</summary>
public sealed class ReplacedBeforeStartTests() : FreezableEngineScenario(new Dictionary<string, string?>
{
    ["Agent:JobSettle"] = "00:00:00",
})
{
    private JobRunner Runner => Agent.Services.GetRequiredService<JobRunner>();

    [Fact]
    public async Task A_CronJob_whose_runs_are_all_replaced_before_they_start_says_so_until_one_starts() => await Agent.WithLogAsync(async () =>
    {
        var cron = Instance.Name("slowstart");
        var key = new ObjectKey(CronJob.KindName, cron);
        Agent.Write("cron.yaml", JobContainers.CronJob(cron, "*/4 * * * * *", "sleep 60", "  concurrencyPolicy: Replace\n"));
        await Agent.StartAsync();
        await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(key)), s => s?.Condition(ConditionTypes.Ready) is { Status: "True", Reason: "Running" },
            TimeSpan.FromSeconds(120), "a run running");

        Proxy.DelayStarts(TimeSpan.FromSeconds(10));
        var slow = DateTimeOffset.UtcNow;
        var stuck = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(key)),
            s => s?.Condition(ConditionTypes.Ready) is { Status: "False", Reason: JobConditions.ReplacedBeforeStart }, TimeSpan.FromSeconds(120), "Ready=False ReplacedBeforeStart");
        Assert.Equal(("True", JobConditions.ReplacedBeforeStart), (stuck!.Condition(ConditionTypes.Degraded)!.Status, stuck.Condition(ConditionTypes.Degraded)!.Reason));
        Assert.Contains("before their container started", stuck.Condition(ConditionTypes.Ready)!.Message);
        Assert.Contains(stuck.Events, e => e.Type == "Warning" && e.Reason == JobConditions.ReplacedBeforeStart);
        Assert.True(Runner.CronJobStatus(cron)!.History.All(r => r.Start < slow || r.Attempts > 0), "a run replaced before it started left no run behind");
        // `agent get cronjobs` adds its STATUS column for it, without -o wide.
        var (exit, stdout, stderr) = await AgentCli.RunAsync(new Dictionary<string, string> { ["AGENT_TOKEN"] = Agent.GeneratedAdminToken },
            "get", "cronjobs", "--server", Agent.BaseAddress.ToString());
        Assert.True(exit == 0, stderr);
        Assert.Contains(JobConditions.ReplacedBeforeStart, Assert.Single(stdout.Split('\n'), l => l.StartsWith(cron + " ", StringComparison.Ordinal)));
        // The CLI: what was made for the replaced runs does not run on (each is removed once its late start lands). Those
        // seen now are followed; later runs make more meanwhile.
        var made = (await Eventually.ReturnsAsync(() => JobContainers.ListAsync(Instance, cron), list => list.Any(c => c.Created >= slow),
            TimeSpan.FromSeconds(60), "a container made since the starts slowed down"))!.Where(c => c.Created >= slow).Select(c => c.Id).ToHashSet();
        await Eventually.TrueAsync(async () => (await JobContainers.ListAsync(Instance, cron)).Where(c => made.Contains(c.Id)).All(c => c.Status != "running"),
            TimeSpan.FromSeconds(60), "nothing of the replaced runs running");

        Proxy.DelayStarts(TimeSpan.Zero);
        var fast = DateTimeOffset.UtcNow;
        await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(key)), s => s?.Condition(ConditionTypes.Ready) is { Status: "True" }
            && s.Condition(ConditionTypes.Degraded) is { Status: "False" }, TimeSpan.FromSeconds(180), "Ready again once a run starts");
        // Ready can come back through a run made before the starts sped up whose late start landed (CI, session 61):
        // a run made since is waited for.
        static bool StartedSince(RunView r, DateTimeOffset fast) => r.Start > fast && r.Attempts > 0;
        var now = (await Eventually.ReturnsAsync(() => Task.FromResult(Runner.CronJobStatus(cron)!),
            s => s.History.Concat(s.Active).Any(r => StartedSince(r, fast)), TimeSpan.FromSeconds(60), "a run made since the starts sped up started"))!;
        var started = now.History.Concat(now.Active).Where(r => StartedSince(r, fast)).Select(r => r.Container).ToHashSet();
        Assert.Contains(await JobContainers.ListAsync(Instance, cron), c => started.Contains(c.Name) && c.Started is not null);
    });
}
