using Agent.Core.Jobs;
using Agent.IntegrationTests.Infrastructure;
using Agent.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.IntegrationTests.Jobs;

/// <summary>probe-35 (MEDIUM): with Replace, a run whose container had exited 0 was killed from a view a step behind (a
/// hung engine's frozen list) and recorded failed (Replaced), exit code 0. Here the proxy holds the event stream at the
/// run's exit, so the agent's cache still has it running when the next schedule time replaces it. The docker CLI is the
/// oracle for how the container ended.</summary>
public sealed class KilledAfterExitTests() : FreezableEngineScenario(new Dictionary<string, string?> { ["Agent:JobSettle"] = "00:00:00" })
{
    private JobRunner Runner => Agent.Services.GetRequiredService<JobRunner>();

    [Fact]
    public async Task A_run_that_completed_before_Replace_killed_it_is_recorded_succeeded_not_replaced() => await Agent.WithLogAsync(async () =>
    {
        var cron = Instance.Name("behind");
        Agent.Write("cron.yaml", JobContainers.CronJob(cron, "*/6 * * * * *", "sleep 1", "  concurrencyPolicy: Replace\n  failedJobsHistoryLimit: 100\n  successfulJobsHistoryLimit: 100\n"));
        await Agent.StartAsync();
        // Held once the agent is ready: a run that ends while its cache is not current yet (a slow start on a loaded
        // machine, CI stop 47) is seen through a fresh list, and so is every later one, its create held too.
        Proxy.HoldEvents("die"); // the next run's exit, and every event after it, waits: the cache has that run running
        try
        {
            await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(90), "killed (Replaced)");
            await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(60), "had completed before it was killed (Replaced)");
        }
        finally
        {
            Proxy.ReleaseEvents();
        }

        var status = Runner.CronJobStatus(cron)!;
        Assert.DoesNotContain(status.History, r => r.Reason == RunReasons.Replaced && r.ExitCode == 0);
        var completed = status.History.First(r => r.Phase == "Succeeded");
        Assert.Equal((RunReasons.Completed, 0), (completed.Reason, completed.ExitCode));
        Assert.True(status.LastSuccessfulTime >= completed.End, $"last successful {status.LastSuccessfulTime:O}, run ended {completed.End:O}");
        var container = Assert.Single(await JobContainers.ListAsync(Instance, cron), c => c.Run == completed.Id);
        Assert.Equal(0, container.ExitCode);
        // Ended when the engine says it exited, before the kill.
        Assert.True((container.Finished - completed.End)?.Duration() < TimeSpan.FromMilliseconds(1), $"container finished {container.Finished:O}, run ended {completed.End:O}");
    });
}
