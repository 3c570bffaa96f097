using Agent.Core.Jobs;
using Agent.Core.Model;
using static Agent.UnitTests.Jobs.CronSpecs;

namespace Agent.UnitTests.Jobs;

/// <summary>A run whose start the engine did not answer, judged once it answers again (probe-34).</summary>
public sealed class BrokenStartTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 1, 0, 0, TimeSpan.Zero);

    private static JobRun Scheduled() => new() { Id = "c-1", Trigger = RunTriggers.Schedule, ScheduledTime = T0, Start = T0 };
    private static JobRun Manual() => new() { Id = "j-1", Trigger = RunTriggers.Manifest, Start = T0 };

    private static BrokenStartOutcome Outcome(JobRun run, bool ran = false, bool hung = false, bool again = false, CronJobSpec? cron = null, int after = 5) =>
        BrokenStart.Decide(run, ran, hung, again, cron, T0.AddSeconds(after)).Outcome;

    [Fact]
    public void A_run_a_container_of_which_ran_is_followed_whatever_else_holds()
    {
        Assert.Equal(BrokenStartOutcome.Follow, Outcome(Scheduled(), ran: true, cron: Cron()));
        Assert.Equal(BrokenStartOutcome.Follow, Outcome(Scheduled(), ran: true, hung: true, again: true, cron: Cron(), after: 3600));
        Assert.Equal(BrokenStartOutcome.Follow, Outcome(Manual(), ran: true, hung: true));
    }

    [Fact]
    public void A_run_nothing_of_which_ran_starts_again_while_its_time_is_due()
    {
        Assert.Equal(BrokenStartOutcome.StartAgain, Outcome(Scheduled(), cron: Cron()));
        Assert.Equal(BrokenStartOutcome.StartAgain, Outcome(Manual(), after: 3600)); // no schedule to be late for
        var retry = Scheduled() with { Attempts = [new JobAttempt(1, "id", "c-1-1-abcdef", T0) { End = T0.AddSeconds(1), ExitCode = 1 }] };
        Assert.Equal(BrokenStartOutcome.StartAgain, Outcome(retry, cron: Cron(), after: 3600)); // a retry within backoffLimit, whatever the time
    }

    [Fact]
    public void A_scheduled_run_overtaken_by_a_later_time_or_past_its_deadline_is_a_missed_time()
    {
        var later = BrokenStart.Decide(Scheduled(), false, false, false, Cron(), T0.AddSeconds(31));
        Assert.Equal(BrokenStartOutcome.Missed, later.Outcome);
        Assert.Contains("a later schedule time", later.Why);
        var deadline = BrokenStart.Decide(Scheduled(), false, false, false, Cron(startingDeadline: TimeSpan.FromSeconds(10)), T0.AddSeconds(11));
        Assert.Equal(BrokenStartOutcome.Missed, deadline.Outcome);
        Assert.Contains("startingDeadline", deadline.Why);
    }

    [Fact]
    public void A_start_the_engine_hung_on_is_not_sent_again_beside_it_nor_one_that_broke_off_twice()
    {
        var hung = BrokenStart.Decide(Scheduled(), false, hung: true, false, Cron(), T0.AddSeconds(1));
        Assert.Equal((BrokenStartOutcome.Missed, "its start may still be carried out late"), (hung.Outcome, hung.Why));
        Assert.Equal(BrokenStartOutcome.Failed, Outcome(Manual(), hung: true));
        var twice = BrokenStart.Decide(Manual(), false, false, startedAgain: true, null, T0.AddSeconds(1));
        Assert.Equal((BrokenStartOutcome.Failed, "its start broke off again"), (twice.Outcome, twice.Why));
        Assert.Equal(BrokenStartOutcome.Missed, Outcome(Scheduled(), again: true, cron: Cron()));
    }
}
