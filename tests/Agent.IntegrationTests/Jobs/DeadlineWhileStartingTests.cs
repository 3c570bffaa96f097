using Agent.Core.Jobs;
using Agent.IntegrationTests.Infrastructure;
using Agent.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.IntegrationTests.Jobs;

/// <summary>probe-36 2: on a slow engine a run's activeDeadline passed while its first container was still being made.
/// The run was recorded failed (DeadlineExceeded, "before a retry"), and then its container was started all the same: it
/// ran for a second and was killed. A run the agent reported failed never runs later: the start the engine holds is not
/// sent, and what was made of it is removed. The proxy freezes the engine so each create hangs; the docker CLI is the oracle.</summary>
public sealed class DeadlineWhileStartingTests() : FreezableEngineScenario(new Dictionary<string, string?>
{
    ["Agent:JobSettle"] = "00:00:00",
    ["Agent:EngineHeartbeat"] = "00:05:00", // only the job loop's own steps see the freeze
})
{
    private JobRunner Runner => Agent.Services.GetRequiredService<JobRunner>();

    [Fact]
    public async Task A_run_whose_deadline_passed_before_its_container_was_made_never_starts() => await Agent.WithLogAsync(async () =>
    {
        var cron = Instance.Name("dlcron");
        Agent.Write("cron.yaml", JobContainers.CronJob(cron, "*/3 * * * * *", "echo ran",
            "  concurrencyPolicy: Forbid\n  failedJobsHistoryLimit: 100\n  successfulJobsHistoryLimit: 100\n", "    activeDeadline: 2s\n"));
        await Agent.StartAsync();
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.CronJobStatus(cron)), s => s?.History.Any(r => r.Phase == "Succeeded") == true,
            TimeSpan.FromSeconds(90), "a run done");

        // The next run's create hangs in the frozen engine; the schedule time after it (Forbid: skipped) wakes the loop
        // past the run's 2 s deadline.
        var from = Agent.Logs.Lines.Count;
        Proxy.Freeze();
        try
        {
            await Agent.Logs.WaitForAsync(from, TimeSpan.FromSeconds(60), cron, $"({RunReasons.DeadlineExceeded})", "before its container started");
        }
        finally
        {
            Proxy.Thaw();
        }
        await Agent.Logs.WaitForAsync(from, TimeSpan.FromSeconds(60), cron, "not started: it was ended while its start was under way");

        var failed = Runner.CronJobStatus(cron)!.History.Where(r => r is { Reason: RunReasons.DeadlineExceeded, Attempts: 0 }).Select(r => r.Id).ToHashSet();
        Assert.NotEmpty(failed);
        // The CLI: no container of such a run ever started, and what was made of it is removed.
        foreach (var c in await JobContainers.ListAsync(Instance, cron))
            Assert.False(failed.Contains(c.Run) && c.Started is not null, $"{c.Name} of run {c.Run}, failed before it started, started at {c.Started:O}");
        await Eventually.TrueAsync(async () => (await JobContainers.ListAsync(Instance, cron)).All(c => !failed.Contains(c.Run)), TimeSpan.FromSeconds(30),
            "the containers made for the failed runs removed");
    });
}
