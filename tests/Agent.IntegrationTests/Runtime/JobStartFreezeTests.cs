using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Runtime;

/// <summary>probe-24: as the engine froze, an every-second CronJob went on starting runs until the heartbeat found the
/// freeze (20-30 s): ACTIVE climbed to 13, each run's create hanging, and all of them ran at once at the thaw. A start that
/// waits on the engine is now how the job loop finds a freeze itself: a _ping a busy engine would answer at once is not
/// answered, the CronJob reads EngineUnavailable, and no run starts until the engine answers. The heartbeat is set to a
/// minute here, so only the job loop can have found it. probe-25: the runs whose creates were queued in the frozen engine
/// all started at the thaw, up to 60 s late; such a late run is now judged as a container found never started is (only
/// the most recent due time, within startingDeadline), so none starts long after its schedule time.</summary>
public sealed class JobStartFreezeTests() : FreezableEngineScenario(new Dictionary<string, string?>
{
    ["Agent:EngineRequestTimeout"] = "00:01:30",
    ["Agent:EngineHeartbeat"] = "00:01:00",
})
{
    [Fact]
    public async Task A_start_the_engine_does_not_answer_makes_the_cronjob_engine_unavailable_and_no_more_runs_pile_up()
    {
        var cron = Instance.Name("freezestart");
        Agent.Write("cron.yaml", global::Agent.IntegrationTests.Jobs.JobContainers.CronJob(cron, "*/3 * * * * *", "sleep 600", "  concurrencyPolicy: Allow\n"));
        await Agent.StartAsync();
        var key = new ObjectKey(CronJob.KindName, cron);
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(key)?.Job?.Active > 0), TimeSpan.FromSeconds(60), "a run active");

        var frozen = DateTimeOffset.UtcNow;
        Proxy.Freeze();
        try
        {
            // The heartbeat (a ping a minute, two missed) cannot find it before 2 minutes: within 90 s it is the job loop's
            // finding (about 12 s on an idle machine; a loaded CI machine took over 40 s once).
            await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(key)?.Condition(ConditionTypes.Ready) is { Status: "False", Reason: "EngineUnavailable" }),
                TimeSpan.FromSeconds(90), "the CronJob Ready=False EngineUnavailable before the heartbeat (1 min, two missed pings) could find the freeze");
            var active = Agent.Status.Get(key)!.Job!.Active;
            await Task.Delay(TimeSpan.FromSeconds(10));
            Assert.Equal(active, Agent.Status.Get(key)!.Job!.Active); // no run started into the frozen engine meanwhile
            Assert.True(active < 40, $"{active} runs active");
        }
        finally
        {
            Proxy.Thaw();
        }
        var thawed = DateTimeOffset.UtcNow;
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(key)?.Condition(ConditionTypes.Ready) is { Status: "True" }),
            TimeSpan.FromSeconds(120), "the CronJob Ready again after the thaw");
        await Task.Delay(TimeSpan.FromSeconds(5));
        // The docker CLI as the oracle: no run due well before the thaw (every 3 s; the catch-up is the most recent time)
        // was started after it. A run due before the freeze began is left out: its start may have been on its way to the
        // engine as it froze, and a call already sent is carried out at the thaw (CI: the run due as the freeze began started 1 s
        // after the thaw).
        var runs = await global::Agent.IntegrationTests.Jobs.JobContainers.ListAsync(Instance, cron);
        Assert.NotEmpty(runs);
        foreach (var run in runs.Where(r => r is { Scheduled: not null, Started: not null } && r.Scheduled > frozen))
            Assert.False(run.Started >= thawed && run.Scheduled < thawed.AddSeconds(-10),
                $"{run.Name}: due at {run.Scheduled:O}, started at {run.Started:O}, after the thaw at {thawed:O}\n"
                + string.Join("\n", runs.Select(r => $"{r.Name} {r.Scheduled:O} {r.Started:O} {r.Status}")));
    }
}
