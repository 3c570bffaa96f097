using Agent.Core.Jobs;
using Agent.IntegrationTests.Infrastructure;
using Agent.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.IntegrationTests.Jobs;

/// <summary>probe-34: the engine killed mid-start (the create landed, the start's connection broke off) left the run
/// active while the engine was away, then failed it (StartFailed) though it never ran; and a start the engine carried out
/// whose answer was lost was failed too, its container running unrecorded. Whether a run started is now asked of the
/// engine once it answers again. The proxy drops each container start's connection, before or after the engine; the
/// docker CLI is the oracle.</summary>
public sealed class JobStartBrokenOffTests() : FreezableEngineScenario(new Dictionary<string, string?>
{
    ["Agent:JobSettle"] = "00:00:00",
    ["Agent:EngineHeartbeat"] = "00:05:00", // only the start finds the engine gone
})
{
    private JobRunner Runner => Agent.Services.GetRequiredService<JobRunner>();

    private static readonly System.Text.RegularExpressions.Regex DroppedRun = new(@"run (\S+) replaced before it started");

    /// <summary>Cuts the next <paramref name="count"/> container starts (or all, for <paramref name="longer"/>) until the
    /// agent has met one cut and said the engine is away.</summary>
    private async Task CutStartsUntilMetAsync(bool afterTheEngine, int count = int.MaxValue, TimeSpan? longer = null)
    {
        var from = Agent.Logs.Lines.Count;
        try
        {
            await Proxy.CutStarts(afterTheEngine, count).WaitAsync(TimeSpan.FromSeconds(90));
            await Agent.Logs.WaitForAsync(from, TimeSpan.FromSeconds(60), "job steps wait with back-off"); // the agent met a start cut off
            if (longer is { } wait) await Task.Delay(wait);
        }
        finally
        {
            Proxy.RestoreStarts();
        }
    }

    [Fact]
    public async Task A_job_whose_start_broke_off_before_the_engine_starts_again_once_and_succeeds() => await Agent.WithLogAsync(async () =>
    {
        var job = Instance.Name("cutjob");
        await Agent.StartAsync();
        var cut = CutStartsUntilMetAsync(afterTheEngine: false, count: 1);
        Agent.Write("job.yaml", JobContainers.Job(job, "echo done"));
        await cut;

        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.JobStatus(job)), s => s?.Phase is "Succeeded" or "Failed", TimeSpan.FromSeconds(90), "the Job done");
        Assert.Equal("Succeeded", Runner.JobStatus(job)!.Phase);
        Assert.Equal(1, Proxy.StartsCut);
        Assert.Equal(1, Agent.Logs.Count("its start broke off", "it starts again"));
        var containers = await JobContainers.ListAsync(Instance, job);
        var ran = Assert.Single(containers); // the created one is removed, never started; one run
        Assert.Equal("exited", ran.Status);
        Assert.Equal(0, ran.ExitCode);
    });

    [Fact]
    public async Task A_job_whose_start_the_engine_carried_out_but_whose_answer_was_lost_is_followed_not_failed_or_run_twice() => await Agent.WithLogAsync(async () =>
    {
        var job = Instance.Name("lostjob");
        await Agent.StartAsync();
        var cut = CutStartsUntilMetAsync(afterTheEngine: true, count: 1);
        Agent.Write("job.yaml", JobContainers.Job(job, "sleep 3; echo done"));
        await cut;

        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.JobStatus(job)), s => s?.Phase is "Succeeded" or "Failed", TimeSpan.FromSeconds(90), "the Job done");
        Assert.Equal("Succeeded", Runner.JobStatus(job)!.Phase);
        Assert.Equal(1, Proxy.StartsCut);
        Assert.Equal(1, Agent.Logs.Count("its start broke off", "had started: the run goes on"));
        var ran = Assert.Single(await JobContainers.ListAsync(Instance, job));
        Assert.Equal(0, ran.ExitCode);
    });

    [Fact]
    public async Task A_scheduled_run_whose_start_broke_off_until_a_later_time_came_is_missed_not_failed_and_leaves_no_container() => await Agent.WithLogAsync(async () =>
    {
        var cron = Instance.Name("cutcron");
        Agent.Write("cron.yaml", JobContainers.CronJob(cron, "*/4 * * * * *", "echo tick", "  failedJobsHistoryLimit: 100\n  successfulJobsHistoryLimit: 100\n"));
        await Agent.StartAsync();
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.CronJobStatus(cron)), s => s?.History.Any(r => r.Phase == "Succeeded") == true,
            TimeSpan.FromSeconds(90), "a run done");

        var cutAt = DateTimeOffset.UtcNow;
        await CutStartsUntilMetAsync(afterTheEngine: false, longer: TimeSpan.FromSeconds(9)); // two later schedule times come meanwhile
        Assert.True(Proxy.StartsCut >= 2, $"{Proxy.StartsCut} starts cut");
        var restored = DateTimeOffset.UtcNow;
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(60), "the engine did not answer its start", "counted as missed");
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.CronJobStatus(cron)), s => s?.History.Any(r => r.Start > restored && r.Phase == "Succeeded") == true,
            TimeSpan.FromSeconds(90), "a run done after the starts went through again");

        var status = Runner.CronJobStatus(cron)!;
        Assert.DoesNotContain(status.History, r => r.Phase == "Failed");
        Assert.True(Proxy.StartsCut < 20, $"{Proxy.StartsCut} starts cut: a run whose start broke off is started again once, not at every step");
        Assert.True(status.MissedRuns > 0, "the run whose start broke off counts as missed");
        await Eventually.TrueAsync(async () => (await JobContainers.ListAsync(Instance, cron)).All(c => c.Status != "created"), TimeSpan.FromSeconds(30),
            "no container of a run left created, never started");
        // Every container the CLI sees ran and belongs to a run the history holds: none ran unrecorded. The status is
        // read after the listing, as runs go on starting every 4 s and a run is recorded before its container exists.
        var containers = await JobContainers.ListAsync(Instance, cron);
        var now = Runner.CronJobStatus(cron)!;
        var runs = now.History.Concat(now.Active).Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var c in containers)
            Assert.True(runs.Contains(c.Run), $"{c.Name} ({c.Status}, due {c.Scheduled:O}) belongs to no run in the history (cut at {cutAt:O})");
    });

    /// <summary>probe-32 F6: a run that Replace ended before anything of it started (its start held by a hung engine) was
    /// kept as a failed run (Replaced), taking a failed-history slot. Nothing of it ran: it leaves the history.</summary>
    [Fact]
    public async Task A_run_replaced_before_it_started_leaves_no_failed_run_behind() => await Agent.WithLogAsync(async () =>
    {
        var cron = Instance.Name("replcron");
        Agent.Write("cron.yaml", JobContainers.CronJob(cron, "*/2 * * * * *", "sleep 600", "  concurrencyPolicy: Replace\n  failedJobsHistoryLimit: 100\n"));
        await Agent.StartAsync();
        // Read from the log, not the status: on a loaded engine a start can take longer than the 2 s schedule, and the
        // run it started is replaced at once, never seen active with an attempt between two reads of the status.
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(90), cron, "attempt 1 started");

        // Each start now hangs in the engine; the next schedule time (2 s later, before a start waiting 5 s makes the
        // engine count as away) replaces the run whose start hangs. On a loaded machine the loop can be inside another
        // engine call for the whole freeze (CI, session 60: no run was due while frozen), so the freeze is tried again.
        for (var round = 1; round <= 4 && Agent.Logs.Count("replaced before it started") == 0; round++)
        {
            Proxy.Freeze();
            int thawedAt;
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(8));
            }
            finally
            {
                thawedAt = Agent.Logs.Lines.Count;
                Proxy.Thaw();
            }
            await Agent.Logs.WaitForAsync(thawedAt, TimeSpan.FromSeconds(90), cron, "attempt 1 started");
        }
        var status = Runner.CronJobStatus(cron)!;
        Assert.DoesNotContain(status.History, r => r.Attempts == 0);
        Assert.True(Agent.Logs.Count("replaced before it started") > 0, "no run was replaced before it started: the test did not test it");
        Assert.All(status.History, r => Assert.Equal(RunReasons.Replaced, r.Reason)); // the run(s) that did run, each replaced
        // The docker CLI as the oracle: nothing of a dropped run is left (its create, carried out at the thaw, is removed;
        // a start the engine answered after the drop is killed and removed). The dropped runs are those the log names: a
        // status read once would miss the runs that go on starting every 2 s (CI, stop 47: each later run counted as dropped).
        var dropped = Agent.Logs.Lines.Select(l => DroppedRun.Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(dropped);
        Assert.DoesNotContain(status.History.Concat(status.Active), r => dropped.Contains(r.Id));
        await Eventually.TrueAsync(async () => !(await JobContainers.ListAsync(Instance, cron)).Any(c => dropped.Contains(c.Run)),
            TimeSpan.FromSeconds(60), "no container of a dropped run left");
    });

    /// <summary>probe-35: a triggered run of a Forbid CronJob whose start broke off was started again, but the step first
    /// adopted the container just removed (the cache still listed it) as its attempt, which then "failed": BackoffLimitExceeded,
    /// though nothing of it ran.</summary>
    [Fact]
    public async Task A_triggered_run_whose_start_broke_off_runs_once_and_uses_no_retry() => await Agent.WithLogAsync(async () =>
    {
        var cron = Instance.Name("trigcron");
        Agent.Write("cron.yaml", JobContainers.CronJob(cron, "0 0 1 1 *", "echo once", "  concurrencyPolicy: Forbid\n", "    backoffLimit: 0\n"));
        await Agent.StartAsync();
        await Eventually.TrueAsync(() => Task.FromResult(Runner.CronJobStatus(cron) is not null), TimeSpan.FromSeconds(60), "the CronJob known");

        using var client = Agent.Client(Agent.GeneratedAdminToken);
        // The removal of the container the broken start left is held back from the agent's events, as after an engine
        // restart its listing can still hold it.
        Proxy.HoldEvents("destroy");
        try
        {
            var cut = CutStartsUntilMetAsync(afterTheEngine: false, count: 1);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/cronjobs/{cron}/trigger", null)).StatusCode);
            await cut;
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
        finally
        {
            Proxy.ReleaseEvents();
        }

        var done = await Eventually.ReturnsAsync(() => Task.FromResult(Runner.CronJobStatus(cron)), s => s?.History.Count > 0, TimeSpan.FromSeconds(90), "the triggered run done");
        var run = Assert.Single(done!.History);
        Assert.True((run.Phase, run.Attempts) == ("Succeeded", 1), $"{run.Id}: {run.Phase} ({run.Reason}), {run.Attempts} attempt(s)");
        var ran = Assert.Single(await JobContainers.ListAsync(Instance, cron));
        Assert.Equal((0, "exited"), (ran.ExitCode, ran.Status));
    });
}
