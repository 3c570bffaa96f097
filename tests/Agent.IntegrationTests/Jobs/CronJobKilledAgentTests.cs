using System.Globalization;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Jobs.JobContainers;

namespace Agent.IntegrationTests.Jobs;

/// <summary>CronJobs across a kill -9 of the real `agent run` (<see cref="AgentProcess"/>), checked through the docker CLI.</summary>
public sealed class CronJobKilledAgentTests() : AgentProcessScenario("cronkill")
{
    // probe-15l M1: the run that ended while the agent was down was still "active" when the restart decided the missed
    // time, so Forbid skipped the one catch-up the docs promise (logged as a concurrency skip, not as missed).
    [Fact]
    public async Task A_forbid_cronjob_runs_its_catch_up_after_a_restart_when_its_run_ended_while_the_agent_was_down()
    {
        var name = Instance.Name("catchup");
        File.WriteAllText(Path.Combine(Manifests, "cron.yaml"), CronJob(name, "*/20 * * * * *", "sleep 3", "  concurrencyPolicy: Forbid\n  successfulJobsHistoryLimit: 5\n"));
        StartAgent();
        var running = await Eventually.ReturnsAsync(() => ListAsync(Instance, name), l => l.Any(c => c.Status == "running"), Within,
            () => $"a run is running; agent output:\n{Agent?.Output(20)}");
        await Agent!.KillAsync();
        var run = running.Single(c => c.Status == "running");
        var ended = (await Eventually.ReturnsAsync(() => ListAsync(Instance, name), l => l.Any(c => c.Id == run.Id && c.Status == "exited"), Within, "the run ended"))
            .Single(c => c.Id == run.Id).Finished!.Value;
        var missed = DateTimeOffset.FromUnixTimeSeconds((ended.ToUnixTimeSeconds() / 20 + 1) * 20); // the first due time after the run ended
        var wait = missed.AddSeconds(1) - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        await EndAgentAsync();

        StartAgent();
        var catchUp = await Eventually.ReturnsAsync(() => ListAsync(Instance, name), l => l.Any(c => c.Scheduled == missed) || l.Any(c => c.Scheduled > missed),
            Within, () => $"the catch-up of {missed:HH:mm:ss} or a later run; agent output:\n{Agent?.Output(30)}");
        // The catch-up runs the most recent due time at the restart (Kubernetes' rule): the missed one, or on a loaded machine
        // whose agent took longer than a period to start, a later one, logged as the most recent after a missed time.
        Assert.True(catchUp.Any(c => c.Scheduled == missed)
                || Agent!.Lines.Any(l => l.Contains("earlier schedule time(s) missed; running only the most recent", StringComparison.Ordinal)),
            $"no run for {missed:HH:mm:ss}: " + string.Join(", ", catchUp.Select(c => $"{c.Scheduled:HH:mm:ss} {c.Status}")) + $"\nagent output:\n{Agent!.Output(30)}");
        Assert.Equal(catchUp.Count, catchUp.Select(c => c.Scheduled).Distinct().Count()); // no time ran twice
        Assert.DoesNotContain(Agent!.Lines, l => l.Contains("is still active and concurrencyPolicy is Forbid", StringComparison.Ordinal));
    }
}
