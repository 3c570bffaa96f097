using Agent.Core.Jobs;
using Agent.Core.Model;

namespace Agent.UnitTests.Jobs;

/// <summary>probe-39: a run whose history could not be saved (a full state dir) is judged after a restart from its
/// containers' labels as it was in memory: every attempt that exited counts toward backoffLimit, and a run whose attempts
/// are exhausted is Failed and never runs another attempt. Before, only the last attempt was looked at: the run counted one
/// failure and started a third attempt past backoffLimit 1.</summary>
public sealed class LabelledAttemptsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Base = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset Now = T0.AddMinutes(5);

    private static JobTemplate Template(int backoffLimit = 1, TimeSpan? deadline = null) =>
        new() { Container = new ContainerSpec { Image = "busybox:1.35" }, BackoffLimit = backoffLimit, ActiveDeadline = deadline };

    private static JobRun Saved(string trigger = RunTriggers.Schedule, params JobAttempt[] attempts) =>
        new() { Id = "r", Trigger = trigger, Start = T0, Attempts = attempts };

    /// <summary>The container of attempt <paramref name="n"/>, started at T0 + 20 n s and exited 1 s later with <paramref name="exit"/>.</summary>
    private static LabelledAttempt Exited(int n, int exit) =>
        new($"c{n}", $"r-{n}-abcdef", "r", n, T0.AddSeconds(20 * n)) { Started = T0.AddSeconds(20 * n), Ended = T0.AddSeconds(20 * n + 1), ExitCode = exit };

    private static RunStep Judge(JobRun saved, JobTemplate template, params LabelledAttempt[] containers) =>
        RunDecisions.Step(template, RecoveredRuns.WithLabelledAttempts(saved, containers), Now, Base);

    [Fact]
    public void A_cronjob_run_saved_before_its_first_attempt_whose_two_attempts_exited_is_failed_past_backoffLimit()
    {
        var rebuilt = RecoveredRuns.WithLabelledAttempts(Saved(), [Exited(1, 3), Exited(2, 3)]);
        Assert.Equal([1, 2], rebuilt.Attempts.Select(a => a.Number));
        Assert.All(rebuilt.Attempts, a => Assert.Equal(3, a.ExitCode));
        var step = RunDecisions.Step(Template(), rebuilt, Now, Base);
        Assert.Equal((RunAction.Finish, RunPhase.Failed, RunReasons.BackoffLimitExceeded), (step.Action, step.Phase, step.Reason));
        Assert.StartsWith("2 attempt(s) failed (backoffLimit 1); last exit code 3", step.Message);
    }

    [Fact]
    public void A_job_run_saved_while_its_first_attempt_ran_takes_the_second_attempt_and_is_failed()
    {
        var running = new JobAttempt(1, "c1", "r-1-abcdef", T0.AddSeconds(20));
        var step = Judge(Saved(RunTriggers.Manifest, running), Template(), Exited(1, 3), Exited(2, 3));
        Assert.Equal((RunAction.Finish, RunPhase.Failed, RunReasons.BackoffLimitExceeded), (step.Action, step.Phase, step.Reason));
    }

    [Fact]
    public void A_run_rebuilt_from_labels_alone_counts_every_attempt_not_only_the_last()
    {
        // JobEngine.RunsFromLabels: the attempts as labelled, none ended yet (a history file lost, an API job's too).
        var fromLabels = Saved(RunTriggers.Api, new JobAttempt(1, "c1", "r-1-abcdef", T0.AddSeconds(20)), new JobAttempt(2, "c2", "r-2-abcdef", T0.AddSeconds(40)));
        var step = Judge(fromLabels, Template(), Exited(1, 3), Exited(2, 3));
        Assert.Equal((RunAction.Finish, RunPhase.Failed), (step.Action, step.Phase));
    }

    [Fact]
    public void A_run_whose_retry_exited_0_is_succeeded()
    {
        var step = Judge(Saved(), Template(), Exited(1, 3), Exited(2, 0));
        Assert.Equal((RunAction.Finish, RunPhase.Succeeded, RunReasons.Completed), (step.Action, step.Phase, step.Reason));
    }

    [Fact]
    public void A_run_past_its_activeDeadline_is_failed_DeadlineExceeded_not_retried()
    {
        var step = Judge(Saved(), Template(backoffLimit: 6, deadline: TimeSpan.FromSeconds(30)), Exited(1, 3), Exited(2, 137));
        Assert.Equal((RunAction.Finish, RunPhase.Failed, RunReasons.DeadlineExceeded), (step.Action, step.Phase, step.Reason));
    }

    [Fact]
    public void A_run_within_backoffLimit_retries_with_the_next_attempt_number_never_a_second_container_for_one_attempt()
    {
        var rebuilt = RecoveredRuns.WithLabelledAttempts(Saved(), [Exited(1, 3), Exited(2, 3)]);
        var step = RunDecisions.Step(Template(backoffLimit: 3), rebuilt, Now, Base);
        Assert.Equal(RunAction.StartAttempt, step.Action);
        Assert.Equal(3, rebuilt.Attempts.Count + 1); // JobEngine.StartAsync numbers the next attempt so
    }

    [Fact]
    public void An_attempt_whose_container_is_gone_between_two_labelled_ones_is_a_failed_attempt()
    {
        // Attempt 2's start was refused and its container removed; attempts 1 and 3 exited.
        var rebuilt = RecoveredRuns.WithLabelledAttempts(Saved(), [Exited(1, 3), Exited(3, 3)]);
        Assert.Equal([1, 2, 3], rebuilt.Attempts.Select(a => a.Number));
        Assert.True(rebuilt.Attempts[1].Finished);
        var step = RunDecisions.Step(Template(backoffLimit: 2), rebuilt, Now, Base);
        Assert.Equal((RunAction.Finish, RunPhase.Failed), (step.Action, step.Phase));
    }

    [Fact]
    public void The_last_attempt_still_running_is_left_to_be_followed()
    {
        var running = new LabelledAttempt("c2", "r-2-abcdef", "r", 2, T0.AddSeconds(40));
        var rebuilt = RecoveredRuns.WithLabelledAttempts(Saved(), [Exited(1, 3), running]);
        Assert.Equal([true, false], rebuilt.Attempts.Select(a => a.Finished));
        Assert.Equal(RunAction.Wait, RunDecisions.Step(Template(), rebuilt, Now, Base).Action);
    }

    [Fact]
    public void A_finished_run_is_kept_as_saved()
    {
        var done = Saved() with { Phase = RunPhase.Failed, Reason = RunReasons.BackoffLimitExceeded, End = T0.AddSeconds(41) };
        Assert.Same(done, RecoveredRuns.WithLabelledAttempts(done, [Exited(1, 3), Exited(2, 3)]));
    }

    [Fact]
    public void Other_runs_containers_do_not_count()
    {
        var other = Exited(1, 3) with { RunId = "other" };
        var rebuilt = RecoveredRuns.WithLabelledAttempts(Saved(), [other, Exited(1, 3)]);
        Assert.Single(rebuilt.Attempts);
    }

    [Fact]
    public void A_job_run_a_later_run_replaced_is_not_retried_beside_it()
    {
        // The Job changed while run r ran: r was killed (137) and Replaced, r2 started; neither end was saved.
        var replaced = RecoveredRuns.WithLabelledAttempts(Saved(RunTriggers.Manifest), [Exited(1, 137)]);
        var newer = new JobRun { Id = "r2", Trigger = RunTriggers.Manifest, Start = T0.AddMinutes(1) };
        var history = new JobHistory { Runs = [replaced, newer] };
        Assert.Equal(RunAction.StartAttempt, RunDecisions.Step(Template(backoffLimit: 6), replaced, Now, Base).Action); // what ran before
        Assert.Equal(["r"], RecoveredRuns.Superseded(history, Template(backoffLimit: 6), oneRunAtATime: true, Now, Base));
        Assert.Empty(RecoveredRuns.Superseded(history, Template(backoffLimit: 6), oneRunAtATime: false, Now, Base)); // concurrencyPolicy Allow: runs overlap
    }

    [Fact]
    public void An_older_run_its_attempts_ended_is_judged_by_them_not_as_replaced()
    {
        var failed = RecoveredRuns.WithLabelledAttempts(Saved(RunTriggers.Manifest), [Exited(1, 3), Exited(2, 3)]);
        var newer = new JobRun { Id = "r2", Trigger = RunTriggers.Manifest, Start = T0.AddMinutes(1) };
        Assert.Empty(RecoveredRuns.Superseded(new JobHistory { Runs = [failed, newer] }, Template(), oneRunAtATime: true, Now, Base));
    }
}
