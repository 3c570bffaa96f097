using Agent.Core.Jobs;
using Agent.Core.Status;

namespace Agent.UnitTests.Jobs;

public sealed class JobEngineOutageTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_outage_is_said_once_whichever_loops_meet_it_and_its_end_once()
    {
        var outage = new JobEngineOutage();
        Assert.False(outage.Answered()); // nothing to end
        Assert.True(outage.Failed("down", Now));
        Assert.False(outage.Failed("down", Now.AddSeconds(2)));
        Assert.False(outage.Failed("still down", Now.AddSeconds(4)));
        Assert.Equal(Now, outage.Since);
        Assert.Equal("still down", outage.Error);
        Assert.True(outage.Answered());
        Assert.False(outage.Answered());
        Assert.Null(outage.Since);
        Assert.True(outage.Failed("down again", Now.AddMinutes(5))); // a new outage is said again
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 8)]
    [InlineData(4, 16)]
    [InlineData(5, 30)]
    [InlineData(50, 30)]
    public void Each_failed_step_in_a_row_waits_longer_up_to_30_seconds(int failures, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), JobEngineOutage.Backoff(failures));

    [Fact]
    public void A_cronjob_whose_loop_cannot_reach_the_engine_is_not_ready_and_degraded_and_keeps_its_suspended_condition()
    {
        var decided = JobConditions.Decide(new JobStatusInput(Agent.Core.Model.CronJob.KindName, new JobHistory()) { NextRun = Now.AddSeconds(20) });
        Assert.True(decided.Single(c => c.Type == ConditionTypes.Ready).Status);
        var down = JobConditions.EngineDown(decided, "cannot reach the engine");
        Assert.Equal((false, JobConditions.EngineUnavailable), down.Where(c => c.Type == ConditionTypes.Ready).Select(c => (c.Status, c.Reason)).Single());
        Assert.Equal((true, JobConditions.EngineUnavailable), down.Where(c => c.Type == ConditionTypes.Degraded).Select(c => (c.Status, c.Reason)).Single());
        Assert.True(down.Single(c => c.Type == ConditionTypes.Progressing).Status);
        Assert.False(down.Single(c => c.Type == ConditionTypes.Suspended).Status);
        Assert.Equal(4, down.Count);
    }

    [Fact]
    public void A_cronjob_while_the_state_dir_is_missing_is_not_ready_and_says_why()
    {
        // probe-65 M3: it read Ready, "1 run(s) active ... next run at", while no run could start.
        var decided = JobConditions.Decide(new JobStatusInput(Agent.Core.Model.CronJob.KindName, new JobHistory()) { NextRun = Now.AddSeconds(20) });
        var down = JobConditions.StateDirDown(decided, "the state dir /s is missing");
        Assert.Equal((false, JobConditions.StateDirUnavailable, "the state dir /s is missing"),
            down.Where(c => c.Type == ConditionTypes.Ready).Select(c => (c.Status, c.Reason, c.Message)).Single());
        Assert.Equal((true, JobConditions.StateDirUnavailable), down.Where(c => c.Type == ConditionTypes.Degraded).Select(c => (c.Status, c.Reason)).Single());
        Assert.False(down.Single(c => c.Type == ConditionTypes.Progressing).Status);
        Assert.False(down.Single(c => c.Type == ConditionTypes.Suspended).Status);
    }
}
