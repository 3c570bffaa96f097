using Agent.Core.Jobs;
using Agent.IntegrationTests.Infrastructure;
using Agent.Jobs;
using Microsoft.Extensions.DependencyInjection;
using static Agent.IntegrationTests.Jobs.JobContainers;

namespace Agent.IntegrationTests.Jobs;

/// <summary>
/// probe-21 #4: on a busy engine a CronJob run logged as started was removed as "created and never started" and recorded
/// Failed/StartFailed: the cache the runner reads had the container's create event and not yet its start's. Here the
/// events stream is held at the start event (<see cref="FreezableEngineProxy.HoldStartEvents"/>), which is that lag made
/// long; the runner must ask the engine before removing anything.
/// </summary>
public sealed class LaggingEventsJobTests() : FreezableEngineScenario(new Dictionary<string, string?> { ["Agent:JobBackoffBase"] = "00:00:01" })
{
    private JobRunner Runner => Agent.Services.GetRequiredService<JobRunner>();

    [Fact]
    public async Task A_run_whose_start_event_lags_behind_is_left_running_not_removed_as_never_started()
    {
        var cron = Instance.Name("lagcron");
        Agent.Write("cron.yaml", CronJob(cron, "* * * * * *", "sleep 20", "  concurrencyPolicy: Forbid\n"));
        Proxy.HoldStartEvents();
        await Agent.StartAsync();
        try
        {
            // The run sleeps 20 s: long enough that it still runs 4 s after it was seen running on a loaded machine (a 6 s run
            // had exited, normally, by the time a slow docker CLI listed it again).
            var running = await Eventually.ReturnsAsync(async () => (await ListAsync(Instance, cron)).FirstOrDefault(c => c.Status == "running"),
                c => c is not null, TimeSpan.FromSeconds(60), "the first run's container running (per the docker CLI)");
            // Several schedule times pass while the cache still holds the container as created (its start event held).
            await Task.Delay(TimeSpan.FromSeconds(4));
            var now = await ListAsync(Instance, cron);
            Assert.Contains(now, c => c.Id == running!.Id && c.Status == "running");
            Assert.DoesNotContain(Runner.CronJobStatus(cron)!.History, r => r.Reason == RunReasons.StartFailed);
        }
        finally
        {
            Proxy.ReleaseEvents();
        }
        var finished = await Eventually.ReturnsAsync(() => Task.FromResult(Runner.CronJobStatus(cron)), s => s?.History.Count > 0,
            TimeSpan.FromSeconds(60), "the first run finished");
        Assert.Equal(nameof(RunPhase.Succeeded), finished!.History.OrderBy(r => r.Start).First().Phase);
        Assert.DoesNotContain(Agent.Status.Get(new Core.Model.ObjectKey(Core.Model.CronJob.KindName, cron))!.Events, e => e.Reason == "NeverStartedRemoved");
    }
}
