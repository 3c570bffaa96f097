using Agent.Core.Jobs;
using Agent.Core.Model;

namespace Agent.UnitTests.Jobs;

public sealed class RunDecisionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Base = TimeSpan.FromSeconds(10);

    private static JobTemplate Template(int backoffLimit = 2, TimeSpan? deadline = null) =>
        new() { Container = new ContainerSpec { Image = "busybox:1.35" }, BackoffLimit = backoffLimit, ActiveDeadline = deadline };

    private static JobRun Run(params JobAttempt[] attempts) =>
        new() { Id = "r", Trigger = RunTriggers.Schedule, Start = T0, Attempts = attempts };

    private static JobAttempt Failed(int n, int endSeconds) => new(n, $"c{n}", $"c{n}", T0) { End = T0.AddSeconds(endSeconds), ExitCode = 1 };

    [Fact]
    public void A_new_run_starts_its_first_attempt() =>
        Assert.Equal(RunAction.StartAttempt, RunDecisions.Step(Template(), Run(), T0, Base).Action);

    [Fact]
    public void An_exit_code_of_zero_succeeds()
    {
        var step = RunDecisions.Step(Template(), Run(new JobAttempt(1, "c", "c", T0) { End = T0.AddSeconds(1), ExitCode = 0 }), T0.AddSeconds(2), Base);
        Assert.Equal((RunAction.Finish, RunPhase.Succeeded, RunReasons.Completed), (step.Action, step.Phase, step.Reason));
    }

    [Fact]
    public void A_failed_attempt_is_retried_after_an_exponential_backoff_until_the_limit()
    {
        var first = Run(Failed(1, 1));
        Assert.Equal((RunAction.Wait, T0.AddSeconds(11)), (RunDecisions.Step(Template(), first, T0.AddSeconds(5), Base).Action, RunDecisions.Step(Template(), first, T0.AddSeconds(5), Base).Until));
        Assert.Equal(RunAction.StartAttempt, RunDecisions.Step(Template(), first, T0.AddSeconds(11), Base).Action);
        var second = Run(Failed(1, 1), Failed(2, 12));
        Assert.Equal(T0.AddSeconds(32), RunDecisions.Step(Template(), second, T0.AddSeconds(13), Base).Until); // 2 x base
        var third = Run(Failed(1, 1), Failed(2, 12), Failed(3, 33));
        var step = RunDecisions.Step(Template(), third, T0.AddSeconds(34), Base);
        Assert.Equal((RunAction.Finish, RunPhase.Failed, RunReasons.BackoffLimitExceeded), (step.Action, step.Phase, step.Reason));
    }

    [Fact]
    public void An_attempt_whose_start_the_engine_refused_is_a_failed_attempt_retried_with_backoff_within_the_limit()
    {
        static JobAttempt Refused(int n, int endSeconds) => new(n, $"c{n}", $"c{n}", T0) { End = T0.AddSeconds(endSeconds), StartError = "bind source missing" };
        var first = Run(Refused(1, 1));
        Assert.Equal((RunAction.Wait, T0.AddSeconds(11)), (RunDecisions.Step(Template(1), first, T0.AddSeconds(5), Base).Action, RunDecisions.Step(Template(1), first, T0.AddSeconds(5), Base).Until));
        var retry = RunDecisions.Step(Template(1), first, T0.AddSeconds(11), Base);
        Assert.Equal((RunAction.StartAttempt, "retry 1 of 1 after attempt 1 could not start: bind source missing"), (retry.Action, retry.Message));
        var exceeded = RunDecisions.Step(Template(1), Run(Refused(1, 1), Refused(2, 12)), T0.AddSeconds(40), Base);
        Assert.Equal((RunAction.Finish, RunPhase.Failed, RunReasons.StartFailed), (exceeded.Action, exceeded.Phase, exceeded.Reason));
        Assert.Contains("2 attempt(s) failed (backoffLimit 1); last attempt 2 could not start: bind source missing", exceeded.Message);
        // backoffLimit 0: one refused start ends the run, as before
        Assert.Equal(RunReasons.StartFailed, RunDecisions.Step(Template(0), first, T0.AddSeconds(2), Base).Reason);
    }

    [Fact]
    public void Backoff_doubles_and_is_capped_at_six_minutes()
    {
        Assert.Equal([10, 20, 40, 80, 160, 320, 360, 360], Enumerable.Range(1, 8).Select(n => (int)RunDecisions.Backoff(Base, n).TotalSeconds));
    }

    [Fact]
    public void The_active_deadline_kills_a_running_attempt_and_fails_the_run()
    {
        var running = Run(new JobAttempt(1, "c", "c", T0));
        Assert.Equal((RunAction.Wait, T0.AddSeconds(30)), (RunDecisions.Step(Template(deadline: TimeSpan.FromSeconds(30)), running, T0.AddSeconds(5), Base).Action,
            RunDecisions.Step(Template(deadline: TimeSpan.FromSeconds(30)), running, T0.AddSeconds(5), Base).Until));
        var step = RunDecisions.Step(Template(deadline: TimeSpan.FromSeconds(30)), running, T0.AddSeconds(30), Base);
        Assert.Equal((RunAction.Kill, RunPhase.Failed, RunReasons.DeadlineExceeded), (step.Action, step.Phase, step.Reason));
    }

    [Fact]
    public void The_active_deadline_also_ends_a_run_waiting_for_its_retry()
    {
        var step = RunDecisions.Step(Template(deadline: TimeSpan.FromSeconds(5)), Run(Failed(1, 1)), T0.AddSeconds(6), Base);
        Assert.Equal((RunAction.Finish, RunReasons.DeadlineExceeded), (step.Action, step.Reason));
        Assert.EndsWith("passed before a retry", step.Message);
    }

    /// <summary>probe-36: on a slow engine the deadline passed while the first attempt was still being started; the
    /// message said "before a retry". The run ends with no attempt (the job loop does not send that start).</summary>
    [Fact]
    public void The_active_deadline_ends_a_run_whose_first_container_has_not_started_yet()
    {
        var step = RunDecisions.Step(Template(deadline: TimeSpan.FromSeconds(2)), Run(), T0.AddSeconds(3), Base);
        Assert.Equal((RunAction.Finish, RunPhase.Failed, RunReasons.DeadlineExceeded), (step.Action, step.Phase, step.Reason));
        Assert.EndsWith("passed before its container started", step.Message);
    }

    [Fact]
    public void History_limits_keep_the_newest_successes_and_failures_and_ttl_removes_older_ones()
    {
        JobRun Done(string id, RunPhase phase, int end) => new() { Id = id, Trigger = RunTriggers.Schedule, Start = T0, End = T0.AddSeconds(end), Phase = phase };
        var runs = new[]
        {
            Done("s1", RunPhase.Succeeded, 1), Done("s2", RunPhase.Succeeded, 2), Done("s3", RunPhase.Succeeded, 3),
            Done("f1", RunPhase.Failed, 4), Done("f2", RunPhase.Failed, 5), Run() with { Id = "active" },
        };
        Assert.Equal(["f1", "s1"], RunDecisions.Expired(runs, 2, 1, null, T0.AddSeconds(10)).Order());
        Assert.Equal(["f1", "f2", "s1", "s2", "s3"], RunDecisions.Expired(runs, 5, 5, TimeSpan.FromSeconds(1), T0.AddSeconds(10)).Order());
        Assert.Equal(["s1", "s2", "s3"], RunDecisions.Expired(runs, 5, 5, TimeSpan.FromSeconds(7), T0.AddSeconds(10)).Order());
    }

    /// <summary>probe-35: a Replace decided from a hung engine's frozen list killed a run whose container had exited 0
    /// before; it was recorded failed (Replaced), exit code 0.</summary>
    [Theory]
    [InlineData(RunReasons.Replaced)]
    [InlineData(RunReasons.DeadlineExceeded)]
    public void A_killed_run_whose_container_had_exited_0_before_the_kill_was_decided_completed(string reason)
    {
        var killedAt = T0.AddSeconds(10);
        var killed = Run(Failed(1, 2), new JobAttempt(2, "c2", "c2", T0.AddSeconds(3))) with { Phase = RunPhase.Failed, Reason = reason, End = killedAt };
        var completed = RunDecisions.CompletedBeforeKill(killed, "c2", T0.AddSeconds(8), 0);
        Assert.NotNull(completed);
        Assert.Equal((RunPhase.Succeeded, RunReasons.Completed, T0.AddSeconds(8), 0), (completed.Phase, completed.Reason, completed.End, completed.ExitCode));
        Assert.Equal((T0.AddSeconds(8), 0), (completed.Attempts[1].End, completed.Attempts[1].ExitCode));
        Assert.Equal(killed.Attempts[0], completed.Attempts[0]);
    }

    [Fact]
    public void A_kill_that_ended_the_run_or_a_run_not_killed_stays_as_it_is()
    {
        var killedAt = T0.AddSeconds(10);
        var killed = Run(new JobAttempt(1, "c1", "c1", T0)) with { Phase = RunPhase.Failed, Reason = RunReasons.Replaced, End = killedAt };
        Assert.Null(RunDecisions.CompletedBeforeKill(killed, "c1", killedAt.AddSeconds(1), 0)); // ended by the kill (a SIGTERM handler's exit 0)
        Assert.Null(RunDecisions.CompletedBeforeKill(killed, "c1", killedAt, 0));
        Assert.Null(RunDecisions.CompletedBeforeKill(killed, "c1", T0.AddSeconds(5), 1)); // failed before: it stays a replaced run, not retried
        Assert.Null(RunDecisions.CompletedBeforeKill(killed, "c1", null, 0));
        Assert.Null(RunDecisions.CompletedBeforeKill(killed, "other", T0.AddSeconds(5), 0)); // not its current attempt
        Assert.Null(RunDecisions.CompletedBeforeKill(killed with { Reason = RunReasons.StartFailed }, "c1", T0.AddSeconds(5), 0));
        Assert.Null(RunDecisions.CompletedBeforeKill(killed with { Phase = RunPhase.Running, Reason = null, End = null }, "c1", T0.AddSeconds(5), 0));
    }
}
