using Agent.Core.Jobs;
using Agent.Core.Model;

namespace Agent.UnitTests.Jobs;

/// <summary>`agent diff` for CronJobs and Jobs: the manifest against the history the runner last worked from.</summary>
public sealed class JobChangeTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly ObjectKey Cron = new(CronJob.KindName, "nightly");
    private static readonly ObjectKey OneOff = new(Job.KindName, "migrate");

    private static JobWanted Wanted(string spec = "s1", string template = "t1") => new(spec, template, "0 2 * * *", T0.AddHours(14));

    private static JobHistory Ran(string spec = "s1", string template = "t1", RunPhase phase = RunPhase.Succeeded) => new()
    {
        SpecHash = spec, TemplateHash = template,
        Runs = [new JobRun { Id = "migrate-m1", Trigger = RunTriggers.Manifest, Start = T0, Phase = phase, TemplateHash = template }],
    };

    private static string Text(IReadOnlyList<Agent.Core.Planning.Change> changes) => string.Join("\n", changes);

    [Fact]
    public void A_new_cronjob_is_scheduled_and_names_its_first_time() =>
        Assert.Equal("schedule  CronJob/nightly: new CronJob: \"0 2 * * *\", first run at 2026-03-02T02:00:00Z", Text(JobChanges.Describe(Cron, Wanted(), null, false)));

    [Fact]
    public void A_new_job_runs_once() =>
        Assert.Equal("run       Job/migrate: new Job: runs once", Text(JobChanges.Describe(OneOff, Wanted(), null, false)));

    [Fact]
    public void A_job_held_by_a_lost_history_is_held_not_new()
    {
        Assert.Equal("held      Job/migrate: HistoryLost: Until jobs/Job-migrate.json.lost is deleted Job migrate starts no run",
            Text(JobChanges.Describe(OneOff, Wanted(), null, false, historyLost: "Until jobs/Job-migrate.json.lost is deleted Job migrate starts no run")));
        // Its containers are left: the runner rebuilds the history from their labels, nothing is held.
        Assert.StartsWith("adopt", Text(JobChanges.Describe(OneOff, Wanted(), null, true, historyLost: "x")));
    }

    [Fact]
    public void An_unchanged_job_or_cronjob_is_in_sync()
    {
        Assert.Empty(JobChanges.Describe(OneOff, Wanted(), Ran(), false));
        Assert.Empty(JobChanges.Describe(Cron, Wanted(), Ran(), false));
    }

    [Fact]
    public void A_changed_job_runs_again_and_says_how_the_last_run_ended() =>
        Assert.Equal("run       Job/migrate: Job changed: runs again (last run migrate-m1 Failed)",
            Text(JobChanges.Describe(OneOff, Wanted("s2", "t2"), Ran(phase: RunPhase.Failed), false)));

    [Fact]
    public void A_changed_cronjob_is_updated_and_says_what_changed()
    {
        Assert.Equal("update    CronJob/nightly: schedule, policy or limits changed: used from the next schedule time",
            Text(JobChanges.Describe(Cron, Wanted("s2"), Ran(), false)));
        Assert.Equal("update    CronJob/nightly: container template changed: used from the next schedule time; active runs continue as they are",
            Text(JobChanges.Describe(Cron, Wanted("s2", "t2"), Ran(phase: RunPhase.Running), false)));
    }

    [Fact]
    public void A_deleted_job_is_removed_with_its_runs_and_one_never_seen_is_nothing()
    {
        Assert.StartsWith("remove    Job/migrate: manifest deleted: 1 run(s)", Text(JobChanges.Describe(OneOff, null, Ran(), false)));
        Assert.StartsWith("remove    Job/migrate: manifest deleted", Text(JobChanges.Describe(OneOff, null, null, hasContainers: true)));
        Assert.Empty(JobChanges.Describe(OneOff, null, null, false));
    }

    [Fact]
    public void A_job_with_containers_but_no_history_in_this_state_dir_is_adopted_not_a_crash()
    {
        Assert.StartsWith("adopt     Job/migrate: no history in this state dir", Text(JobChanges.Describe(OneOff, Wanted(), null, hasContainers: true)));
        Assert.StartsWith("adopt     CronJob/nightly: no history in this state dir", Text(JobChanges.Describe(Cron, Wanted(), null, hasContainers: true)));
    }
}
