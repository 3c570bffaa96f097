using Agent.Core.Jobs;
using Agent.Jobs;

namespace Agent.UnitTests.Jobs;

/// <summary>A run as the API and describe show it.</summary>
public sealed class RunViewTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_run_whose_first_container_has_not_started_is_Pending_then_Running_once_it_has()
    {
        // probe-26: during an engine freeze, describe listed runs "Running" with 0 attempts and no container.
        var run = new JobRun { Id = "tick-1", Trigger = RunTriggers.Schedule, Start = T0 };
        Assert.Equal(("Pending", 0, null), (RunView.Of(run).Phase, RunView.Of(run).Attempts, RunView.Of(run).Container));

        var started = run with { Attempts = [new JobAttempt(1, "c1", "tick-1-1-abcdef", T0)] };
        Assert.Equal(("Running", "tick-1-1-abcdef"), (RunView.Of(started).Phase, RunView.Of(started).Container));
        var failed = run with { Phase = RunPhase.Failed, Reason = RunReasons.StartFailed, End = T0.AddSeconds(5) };
        Assert.Equal("Failed", RunView.Of(failed).Phase); // a run that never got a container and ended says how it ended
    }
}
