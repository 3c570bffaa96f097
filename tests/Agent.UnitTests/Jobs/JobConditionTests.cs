using Agent.Core.Jobs;
using Agent.Core.Model;
using Agent.Core.Status;

namespace Agent.UnitTests.Jobs;

/// <summary>The conditions GET /objects shows for CronJobs and Jobs, decided from a history.</summary>
public sealed class JobConditionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static JobRun Run(string id, RunPhase phase, string? reason = null, int? exit = null, int startSecond = 0) => new()
    {
        Id = id, Trigger = RunTriggers.Schedule, Start = T0.AddSeconds(startSecond), Phase = phase, Reason = reason,
        End = phase == RunPhase.Running ? null : T0.AddSeconds(startSecond + 5),
        Attempts = [new JobAttempt(1, "c-" + id, id + "-1-abcdef", T0.AddSeconds(startSecond)) { ExitCode = exit, End = exit is null ? null : T0.AddSeconds(startSecond + 5) }],
    };

    private static Dictionary<string, ConditionValue> Decide(string kind, params JobRun[] runs) => Decide(new JobStatusInput(kind, new JobHistory { Runs = runs }));

    private static Dictionary<string, ConditionValue> Decide(JobStatusInput input) => JobConditions.Decide(input).ToDictionary(c => c.Type);

    [Fact]
    public void A_held_CronJob_keeps_its_ready_and_says_why_and_one_held_by_the_guard_is_PruneBlocked()
    {
        var decided = JobConditions.Decide(new JobStatusInput(CronJob.KindName, new JobHistory()) { NextRun = T0 });
        var source = JobConditions.Held(decided, "SourceUnavailable", "manifests folder /m does not exist").ToDictionary(c => c.Type);
        Assert.Equal((true, "Scheduled"), (source["Ready"].Status, source["Ready"].Reason)); // it runs on at its last good spec
        Assert.Equal((true, "SourceUnavailable"), (source["Degraded"].Status, source["Degraded"].Reason));
        Assert.False(source.ContainsKey(ConditionTypes.PruneBlocked));
        var guard = JobConditions.Held(decided, ConditionTypes.PruneBlocked, "would remove 2 of 3").ToDictionary(c => c.Type);
        Assert.Equal((true, "would remove 2 of 3"), (guard[ConditionTypes.PruneBlocked].Status, guard[ConditionTypes.PruneBlocked].Message));
        Assert.Equal((false, ConditionTypes.PruneBlocked), (guard["Progressing"].Status, guard["Progressing"].Reason));
        Assert.Equal(1, guard.Values.Count(c => c.Type == "Progressing"));
    }

    [Fact]
    public void A_CronJob_or_Job_held_without_its_spec_is_not_ready_and_says_nothing_starts()
    {
        var cron = JobConditions.HeldWithoutSpec(CronJob.KindName, "SourceUnavailable", "manifests folder /m does not exist").ToDictionary(c => c.Type);
        Assert.Equal((false, "SourceUnavailable"), (cron["Ready"].Status, cron["Ready"].Reason));
        Assert.Contains("not scheduled", cron["Ready"].Message);
        Assert.Equal((true, "manifests folder /m does not exist"), (cron["Degraded"].Status, cron["Degraded"].Message));
        var job = JobConditions.HeldWithoutSpec(Job.KindName, ConditionTypes.PruneBlocked, "held").ToDictionary(c => c.Type);
        Assert.Contains("not run", job["Ready"].Message);
        Assert.True(job[ConditionTypes.PruneBlocked].Status);
    }

    [Fact]
    public void A_job_without_a_run_is_pending() =>
        Assert.Equal(("Pending", false, true), (Decide(Job.KindName)["Ready"].Reason, Decide(Job.KindName)["Ready"].Status, Decide(Job.KindName)["Progressing"].Status));

    [Fact]
    public void A_job_held_by_a_lost_history_says_so_and_how_to_release_it_not_pending()
    {
        const string lost = "Job-migrate.json could not be read (...). Until /state/jobs/Job-migrate.json.lost is deleted Job migrate starts no run";
        var c = Decide(new JobStatusInput(Job.KindName, new JobHistory()) { HistoryLost = lost });
        Assert.Equal((JobConditions.HistoryLost, false), (c["Ready"].Reason, c["Ready"].Status));
        Assert.Contains("held", c["Ready"].Message);
        Assert.Contains("Job-migrate.json.lost is deleted", c["Ready"].Message);
        Assert.Equal((JobConditions.HistoryLost, false), (c["Progressing"].Reason, c["Progressing"].Status));
        Assert.Equal((JobConditions.HistoryLost, true, lost), (c["Degraded"].Reason, c["Degraded"].Status, c["Degraded"].Message));
        Assert.Equal(JobConditions.HistoryLost, JobConditions.Summarize(new JobHistory(), historyLost: true).Phase);
        // A Job that runs again (the operator deleted the marker) is judged by its run, whatever a stale marker text says.
        Assert.Equal("Running", Decide(new JobStatusInput(Job.KindName, new JobHistory { Runs = [Run("j-1", RunPhase.Running)] }) { HistoryLost = lost })["Ready"].Reason);
    }

    [Fact]
    public void A_job_whose_failed_run_ttl_after_finished_removed_reads_failed_not_pending()
    {
        // Before, a failed run removed by its TTL left the Job "Pending, waiting for the first run" for good (it never
        // runs again: its template hash is recorded), and POST /jobs?wait=true or `agent wait` waited forever.
        var removed = Run("j-1", RunPhase.Failed, RunReasons.BackoffLimitExceeded, exit: 3) with { Attempts = [], ExitCode = 3 };
        var history = new JobHistory { TemplateHash = "h1", LastRemoved = removed };
        var c = Decide(new JobStatusInput(Job.KindName, history));
        Assert.Equal((RunReasons.BackoffLimitExceeded, false, false), (c["Ready"].Reason, c["Ready"].Status, c["Progressing"].Status));
        Assert.Contains("exit code 3", c["Ready"].Message);
        Assert.Contains("removed after ttlAfterFinished", c["Ready"].Message);
        Assert.True(c[JobConditions.Failed].Status);
        var summary = JobConditions.Summarize(history);
        Assert.Equal(("Failed", 0, 1, 3), (summary.Phase, summary.Succeeded, summary.Failed, summary.ExitCode));
        Assert.Same(removed, history.Latest);
        // A run kept is newer than any removed: it decides.
        Assert.Equal("Running", Decide(new JobStatusInput(Job.KindName, history with { Runs = [Run("j-2", RunPhase.Running, startSecond: 60)] }))["Ready"].Reason);
    }

    [Fact]
    public void A_job_whose_run_ttl_after_finished_removed_is_still_complete()
    {
        var history = new JobHistory { LastSuccessfulTime = T0, TemplateHash = "h1" };
        var c = Decide(new JobStatusInput(Job.KindName, history));
        Assert.Equal(("Complete", true, false), (c["Ready"].Reason, c["Ready"].Status, c["Progressing"].Status));
        Assert.Contains("removed after ttlAfterFinished", c["Ready"].Message);
        Assert.True(c[JobConditions.Complete].Status);
        var summary = JobConditions.Summarize(history);
        Assert.Equal(("Succeeded", 1, T0), (summary.Phase, summary.Succeeded, summary.CompletionTime));
    }

    [Fact]
    public void A_running_job_is_progressing_and_not_ready()
    {
        var c = Decide(Job.KindName, Run("j-1", RunPhase.Running));
        Assert.Equal(("Running", false, true), (c["Ready"].Reason, c["Ready"].Status, c["Progressing"].Status));
        Assert.DoesNotContain(JobConditions.Complete, c.Keys);
    }

    [Fact]
    public void A_completed_job_is_ready_with_kubernetes_complete_condition()
    {
        var c = Decide(Job.KindName, Run("j-1", RunPhase.Succeeded, RunReasons.Completed, 0));
        Assert.Equal(("Complete", true), (c["Ready"].Reason, c["Ready"].Status));
        Assert.True(c[JobConditions.Complete].Status);
        Assert.False(c["Degraded"].Status);
    }

    [Fact]
    public void A_failed_job_says_why_with_its_exit_code()
    {
        var c = Decide(Job.KindName, Run("j-1", RunPhase.Failed, RunReasons.BackoffLimitExceeded, 3));
        Assert.Equal((RunReasons.BackoffLimitExceeded, false), (c["Ready"].Reason, c["Ready"].Status));
        Assert.Equal((RunReasons.BackoffLimitExceeded, true), (c[JobConditions.Failed].Reason, c[JobConditions.Failed].Status));
        Assert.Equal((RunReasons.BackoffLimitExceeded, true), (c["Degraded"].Reason, c["Degraded"].Status));
        Assert.Contains("exit code 3", c["Ready"].Message);
    }

    [Fact]
    public void A_cronjob_waiting_for_its_next_time_is_ready_and_scheduled()
    {
        var c = Decide(new JobStatusInput(CronJob.KindName, new JobHistory { Runs = [Run("t-1", RunPhase.Succeeded, RunReasons.Completed, 0)] }) { NextRun = T0.AddHours(1) });
        Assert.Equal(("Scheduled", true), (c["Ready"].Reason, c["Ready"].Status));
        Assert.Contains("next run at 2026-03-01T13:00:00Z", c["Ready"].Message);
        Assert.False(c[ConditionTypes.Suspended].Status);
    }

    [Fact]
    public void A_cronjob_with_an_active_run_is_running()
    {
        var c = Decide(CronJob.KindName, Run("t-1", RunPhase.Running));
        Assert.Equal(("Running", true, true), (c["Ready"].Reason, c["Ready"].Status, c["Progressing"].Status));
    }

    [Fact]
    public void A_suspended_cronjob_is_not_ready_and_says_who_suspended_it()
    {
        var c = Decide(new JobStatusInput(CronJob.KindName, new JobHistory()) { SuspendedBy = "api" });
        Assert.Equal(("Suspended", false), (c["Ready"].Reason, c["Ready"].Status));
        Assert.True(c[ConditionTypes.Suspended].Status);
        Assert.Contains("api", c[ConditionTypes.Suspended].Message);
    }

    [Fact]
    public void A_cronjob_whose_latest_run_failed_is_degraded_but_one_replaced_is_not()
    {
        var failed = Decide(CronJob.KindName, Run("t-1", RunPhase.Failed, RunReasons.DeadlineExceeded, 137));
        Assert.Equal((RunReasons.DeadlineExceeded, true), (failed["Degraded"].Reason, failed["Degraded"].Status));
        Assert.True(failed["Ready"].Status);
        var replaced = Decide(CronJob.KindName, Run("t-1", RunPhase.Failed, RunReasons.Replaced, 137), Run("t-2", RunPhase.Running, startSecond: 1));
        Assert.False(replaced["Degraded"].Status);
    }

    [Fact]
    public void A_cronjob_whose_runs_Replace_ends_before_they_start_reads_not_ready_from_the_third_in_a_row()
    {
        var starting = new JobRun { Id = "t-9", Trigger = RunTriggers.Schedule, Start = T0 }; // no attempt yet: its container is being made
        JobStatusInput Input(int replaced) => new(CronJob.KindName, new JobHistory { Runs = [starting], ReplacedBeforeStart = replaced }) { NextRun = T0.AddSeconds(3) };

        var two = Decide(Input(JobConditions.ReplacedBeforeStartLimit - 1));
        Assert.Equal((true, "Running", false), (two["Ready"].Status, two["Ready"].Reason, two["Degraded"].Status)); // a slow moment of the engine

        var three = Decide(Input(JobConditions.ReplacedBeforeStartLimit));
        Assert.Equal((false, JobConditions.ReplacedBeforeStart), (three["Ready"].Status, three["Ready"].Reason));
        Assert.Equal((true, JobConditions.ReplacedBeforeStart), (three["Degraded"].Status, three["Degraded"].Reason));
        Assert.Contains("the last 3 runs were replaced", three["Ready"].Message);
        Assert.Contains("next run at", three["Ready"].Message);
        Assert.True(three["Progressing"].Status);

        // Suspended says so first; a CronJob whose runs start again (the count back at 0) is Running.
        Assert.Equal("Suspended", Decide(Input(5) with { SuspendedBy = "api" })["Ready"].Reason);
        Assert.Equal((true, "Running"), (Decide(Input(0))["Ready"].Status, Decide(Input(0))["Ready"].Reason));
    }

    [Fact]
    public void A_broken_manifest_is_stalled_and_names_the_error()
    {
        var c = Decide(new JobStatusInput(CronJob.KindName, new JobHistory()) { ManifestError = "tick.yaml:4:13: spec.schedule: not a valid cron expression" });
        Assert.Equal(("InvalidManifest", false, false, true), (c["Ready"].Reason, c["Ready"].Status, c["Progressing"].Status, c["Degraded"].Status));
        Assert.Contains("tick.yaml:4:13", c["Ready"].Message);
    }

    [Fact]
    public void The_summary_counts_runs_and_takes_the_latest_run()
    {
        var summary = JobConditions.Summarize(new JobHistory
        {
            Since = T0, LastScheduleTime = T0.AddSeconds(10),
            Runs = [Run("a", RunPhase.Succeeded, RunReasons.Completed, 0), Run("b", RunPhase.Failed, RunReasons.BackoffLimitExceeded, 3, 10), Run("c", RunPhase.Running, startSecond: 20)],
        });
        Assert.Equal((1, 1, 1, "Running", T0.AddSeconds(20)), (summary.Succeeded, summary.Failed, summary.Active, summary.Phase, summary.StartTime));
        Assert.Equal((T0, T0.AddSeconds(10)), (summary.Since, summary.LastScheduleTime));
    }
}
