using Agent.Core.Jobs;
using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using Agent.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.IntegrationTests.Jobs;

/// <summary>probe-19 A: an agent started while the engine is down (dockerd killed) said "step failed" for every Job and
/// CronJob every 2 s, showed the CronJob Ready with no next schedule time. On a private dockerd of the test's own.</summary>
public sealed class JobEngineDownTests : PrivateEngineScenario
{
    private JobRunner Runner => Agent.Services.GetRequiredService<JobRunner>();

    [Fact]
    public async Task An_agent_started_with_the_engine_down_says_so_once_backs_off_shows_the_next_schedule_and_the_cronjob_not_ready_then_schedules_again()
    {
        var (job, cron) = (Instance.Name("edjob"), Instance.Name("edcron"));
        Agent.Settings["Agent:JobSettle"] = "00:00:00";
        Agent.Write("jobs.yaml", JobContainers.Job(job, "echo done") + "---\n" + JobContainers.CronJob(cron, "@every 20s", "echo tick"));
        await Agent.StartAsync();
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.JobStatus(job)), s => s?.Phase == "Succeeded", TimeSpan.FromSeconds(90), "the Job done");
        await Agent.StopAsync();

        await Engine.KillAsync();
        var from = Agent.Logs.Lines.Count;
        await Agent.StartAsync();
        var cronKey = new ObjectKey(CronJob.KindName, cron);
        var down = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(cronKey)),
            s => s?.Condition(ConditionTypes.Ready) is { Status: "False", Reason: JobConditions.EngineUnavailable }, TimeSpan.FromSeconds(60), "the CronJob EngineUnavailable");
        Assert.Equal("True", down!.Condition(ConditionTypes.Degraded)!.Status);
        Assert.NotNull(down.Job?.NextRunTime); // the schedule needs no engine
        Assert.Equal("Succeeded", Runner.JobStatus(job)!.Phase); // a finished Job's history needs no engine either

        var (exit, stdout, stderr) = await AgentCli.RunAsync(new Dictionary<string, string> { ["AGENT_TOKEN"] = Agent.GeneratedAdminToken },
            "get", "cronjobs", "-o", "wide", "--server", Agent.BaseAddress.ToString());
        Assert.True(exit == 0, stderr);
        var row = Assert.Single(stdout.Split('\n'), l => l.StartsWith(cron + " ", StringComparison.Ordinal));
        Assert.Matches(@"\sin \d", row); // NEXT SCHEDULE
        Assert.Contains("EngineUnavailable", row);

        await Task.Delay(TimeSpan.FromSeconds(30)); // the window the count is over: each job would have logged 15 lines before
        var lines = Agent.Logs.Lines.Skip(from).Where(l => l.Contains("step failed", StringComparison.Ordinal) || l.Contains("Jobs: ", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count <= 3, $"{lines.Count} job lines while the engine was down:\n{string.Join("\n", lines)}");
        Assert.Equal(0, Agent.Logs.Lines.Skip(from).Count(l => l.Contains("step failed", StringComparison.Ordinal) && l.Contains(job, StringComparison.Ordinal)));
        Assert.Equal("EngineUnavailable", Agent.Status.Get(cronKey)!.Condition(ConditionTypes.Ready)!.Reason);

        var back = DateTimeOffset.UtcNow;
        await Engine.StartAsync();
        await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(cronKey)),
            s => s?.Condition(ConditionTypes.Ready) is { Status: "True" }, TimeSpan.FromSeconds(90), "the CronJob Ready again");
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.CronJobStatus(cron)), s => s?.History.Concat(s.Active).Any(r => r.Start > back) == true,
            TimeSpan.FromSeconds(120), "a run scheduled after the engine came back");
        Assert.Equal(1, Agent.Logs.Count("Jobs: the Docker engine answers again"));
        Assert.Equal("Succeeded", Runner.JobStatus(job)!.Phase);
    }

    /// <summary>probe-20 F3: with the engine killed under a running agent, each tick of an every-second CronJob recorded a
    /// failed run (StartFailed) with a warning, and the CronJob read Ready. Now at most the run in flight fails, the job
    /// loops ping with back-off, the CronJob reads EngineUnavailable, and runs go on once the engine is back.</summary>
    [Fact]
    public async Task An_engine_killed_under_an_every_second_cronjob_fails_at_most_the_run_in_flight_and_the_schedule_goes_on_after()
    {
        var cron = Instance.Name("kcron");
        Agent.Settings["Agent:JobSettle"] = "00:00:00";
        Agent.Settings["Agent:EngineHeartbeat"] = "00:00:02";
        Agent.Write("cron.yaml", JobContainers.CronJob(cron, "* * * * * *", "echo tick", "  successfulJobsHistoryLimit: 100\n  failedJobsHistoryLimit: 100\n"));
        await Agent.StartAsync();
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.CronJobStatus(cron)), s => s?.History.Count(r => r.Phase == "Succeeded") >= 2,
            TimeSpan.FromSeconds(90), "two runs done");

        await Engine.KillAsync();
        var killed = DateTimeOffset.UtcNow;
        var cronKey = new ObjectKey(CronJob.KindName, cron);
        await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(cronKey)),
            s => s?.Condition(ConditionTypes.Ready) is { Status: "False", Reason: JobConditions.EngineUnavailable }, TimeSpan.FromSeconds(60), "the CronJob EngineUnavailable");
        await Task.Delay(TimeSpan.FromSeconds(15)); // 15 ticks: each recorded a failed run before
        var status = Runner.CronJobStatus(cron)!;
        var failed = status.History.Where(r => r.Phase == "Failed" && r.Start >= killed.AddSeconds(-2)).ToList();
        Assert.True(failed.Count <= 2, $"{failed.Count} failed runs while the engine was away: " + string.Join("; ", failed.Select(r => $"{r.Id} {r.Reason}")));
        Assert.True(status.NextRunTime > DateTimeOffset.UtcNow.AddSeconds(-2), $"next schedule {status.NextRunTime:O} is in the past");

        await Task.Delay(TimeSpan.FromSeconds(20)); // the job loops' back-off grows to its 30 s cap
        var back = DateTimeOffset.UtcNow;
        await Engine.StartAsync();
        var answered = DateTimeOffset.UtcNow;
        var after = await Eventually.ReturnsAsync(() => Task.FromResult(Runner.CronJobStatus(cron)), s => s?.History.Any(r => r.Start > back && r.Phase == "Succeeded") == true,
            TimeSpan.FromSeconds(120), "a run done after the engine came back");
        // The heartbeat's finding that it answers wakes the job loops (probe-22 F3: they waited out their back-off, 28 s).
        var first = after!.History.Where(r => r.Start > back).Min(r => r.Start);
        Assert.True(first - answered < TimeSpan.FromSeconds(12), $"the first run after the engine came back started {(first - answered).TotalSeconds:0.#} s after it answered");
        Assert.True(Runner.CronJobStatus(cron)!.MissedRuns > 0, "the schedule times that passed while the engine was away count as missed");
    }

    /// <summary>probe-33 F4: a schedule time whose start found the engine gone (connection refused) was recorded as a failed
    /// run (StartFailed), taking a failed-history slot: an engine away says nothing about the job. The time is missed, as
    /// Kubernetes counts a time its controller was down for.</summary>
    [Fact]
    public async Task A_schedule_time_whose_start_finds_the_engine_gone_is_missed_not_a_failed_run() => await Agent.WithLogAsync(async () =>
    {
        var cron = Instance.Name("gonecron");
        Agent.Settings["Agent:JobSettle"] = "00:00:00";
        Agent.Settings["Agent:EngineHeartbeat"] = "00:05:00"; // the start finds the engine gone, not the heartbeat
        Agent.Write("cron.yaml", JobContainers.CronJob(cron, "*/5 * * * * *", "echo tick", "  failedJobsHistoryLimit: 100\n"));
        await Agent.StartAsync();
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.CronJobStatus(cron)), s => s?.History.Any(r => r.Phase == "Succeeded") == true,
            TimeSpan.FromSeconds(90), "a run done");

        // Killed between two schedule times (each is a multiple of 5 s) while no run is active, so no start is cut off
        // half-way and the job's first call to the gone engine is the next time's start (CI: a run started late still ran
        // at the kill; its end was the first call, the loop waited with back-off, and no start met the engine gone).
        while (DateTimeOffset.UtcNow.Second % 5 != 2 || Runner.CronJobStatus(cron)!.Active.Count > 0) await Task.Delay(100);
        await Engine.KillAsync();
        var killed = DateTimeOffset.UtcNow;
        var cronKey = new ObjectKey(CronJob.KindName, cron);
        await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(cronKey)),
            s => s?.Condition(ConditionTypes.Ready) is { Status: "False", Reason: JobConditions.EngineUnavailable }, TimeSpan.FromSeconds(60), "the CronJob EngineUnavailable");
        await Task.Delay(TimeSpan.FromSeconds(6)); // a schedule time or two while the engine is away

        // The run whose start found the engine gone is settled at the job's next step, once the engine answers again.
        await Engine.StartAsync();
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(90), "counted as missed", "the engine did not answer");
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.CronJobStatus(cron)), s => s?.History.Any(r => r.Start > killed && r.Phase == "Succeeded") == true,
            TimeSpan.FromSeconds(90), "a run done after the engine came back");

        var status = Runner.CronJobStatus(cron)!;
        Assert.DoesNotContain(status.History, r => r.Start > killed && r.Phase == "Failed");
        Assert.True(status.MissedRuns > 0, "the schedule time whose start found the engine gone counts as missed");
        Assert.Equal(0, Agent.Logs.Count("recorded failed (StartFailed)"));
    });
}
