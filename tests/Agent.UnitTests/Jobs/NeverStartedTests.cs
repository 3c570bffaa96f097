using Agent.Core.Jobs;
using Agent.Core.Model;
using static Agent.UnitTests.Jobs.CronSpecs;

namespace Agent.UnitTests.Jobs;

/// <summary>A job container created and never started: started only as an active run's attempt still in time (probe-15l H2).</summary>
public sealed class NeverStartedTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 14, 7, 30, TimeSpan.Zero);

    private static JobRun Run(string trigger = RunTriggers.Schedule) =>
        new() { Id = "c-1", Trigger = trigger, ScheduledTime = trigger == RunTriggers.Schedule ? T0 : null, Start = T0 };

    [Fact]
    public void An_active_run_killed_between_create_and_start_is_started_while_its_time_is_the_latest()
    {
        Assert.Null(NeverStarted.RemoveBecause(Run(), 1, Cron(), T0.AddSeconds(20)));
        Assert.Null(NeverStarted.RemoveBecause(Run(RunTriggers.Manifest), 1, null, T0.AddHours(5))); // a Job: no schedule to be late for
    }

    [Fact]
    public void A_run_the_history_does_not_hold_as_active_never_starts()
    {
        Assert.Contains("not in the history", NeverStarted.RemoveBecause(null, 1, Cron(), T0));
        var failed = Run() with { Phase = RunPhase.Failed, Reason = RunReasons.StartFailed, End = T0.AddSeconds(15) };
        Assert.Contains("already ended Failed (StartFailed)", NeverStarted.RemoveBecause(failed, 1, Cron(), T0.AddSeconds(16)));
        Assert.NotNull(NeverStarted.RemoveBecause(failed with { Trigger = RunTriggers.Manifest, ScheduledTime = null }, 1, null, T0.AddSeconds(16)));
    }

    [Fact]
    public void A_scheduled_run_past_its_starting_deadline_or_overtaken_by_a_later_time_never_starts()
    {
        Assert.Contains("beyond startingDeadline 10s", NeverStarted.RemoveBecause(Run(), 1, Cron(startingDeadline: TimeSpan.FromSeconds(10)), T0.AddSeconds(11)));
        Assert.Contains("a later schedule time (2026-12-02T14:08:00+00:00)", NeverStarted.RemoveBecause(Run(), 1, Cron(), T0.AddSeconds(113)));
    }

    [Fact]
    public void An_attempt_whose_start_the_engine_refused_never_starts_and_its_retry_does()
    {
        var refused = new JobAttempt(1, "c1", "c-1-1-abcdef", T0) { End = T0.AddSeconds(1), StartError = "error mounting ..." };
        var run = Run(RunTriggers.Manifest) with { ScheduledTime = null, Attempts = [refused] };
        Assert.Contains("attempt 1 of run c-1 already ended (it could not start: error mounting ...)", NeverStarted.RemoveBecause(run, 1, null, T0.AddSeconds(2)));
        Assert.Null(NeverStarted.RemoveBecause(run, 2, null, T0.AddSeconds(12))); // the retry, created by an agent killed before its start
    }
}
