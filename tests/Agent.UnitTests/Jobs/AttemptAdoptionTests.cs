using Agent.Core.Jobs;

namespace Agent.UnitTests.Jobs;

public sealed class AttemptAdoptionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static JobRun Run(params JobAttempt[] attempts) => new() { Id = "r", Trigger = RunTriggers.Manifest, Start = T0, Attempts = attempts };

    private static LabelledAttempt Container(string id, int attempt, string run = "r", int seconds = 0) => new(id, id, run, attempt, T0.AddSeconds(seconds));

    [Fact]
    public void A_run_without_attempts_adopts_the_container_of_its_first_attempt()
    {
        var adopted = AttemptAdoption.Unrecorded(Run(), [Container("c1", 1)]);
        Assert.Equal(new JobAttempt(1, "c1", "c1", T0), adopted);
    }

    [Fact]
    public void A_retry_created_after_a_failed_attempt_is_adopted_as_the_next_attempt()
    {
        var failed = new JobAttempt(1, "c1", "c1", T0) { End = T0.AddSeconds(1), ExitCode = 1 };
        Assert.Equal("c2", AttemptAdoption.Unrecorded(Run(failed), [Container("c1", 1), Container("c2", 2)])?.ContainerId);
    }

    [Fact]
    public void Nothing_is_adopted_while_the_current_attempt_runs_or_for_other_runs_or_recorded_containers()
    {
        var running = new JobAttempt(1, "c1", "c1", T0);
        Assert.Null(AttemptAdoption.Unrecorded(Run(running), [Container("c1", 1), Container("c2", 2)]));
        Assert.Null(AttemptAdoption.Unrecorded(Run(), [Container("x", 1, run: "other")]));
        Assert.Null(AttemptAdoption.Unrecorded(Run(), [Container("c3", 3)]));
        var ended = Run() with { Phase = RunPhase.Failed, End = T0 };
        Assert.Null(AttemptAdoption.Unrecorded(ended, [Container("c1", 1)]));
    }

    [Fact]
    public void Of_several_leftovers_of_one_attempt_the_oldest_is_adopted() =>
        Assert.Equal("old", AttemptAdoption.Unrecorded(Run(), [Container("new", 1, seconds: 5), Container("old", 1, seconds: 1)])?.ContainerId);
}
