using Agent.Core.Model;
using Agent.Core.Planning;

namespace Agent.UnitTests.Planning;

/// <summary>Exits that happened while the agent was not running, judged from the engine's state (issue 11 rules 2 and 3).</summary>
public sealed class UnwatchedExitTests
{
    [Theory]
    [InlineData(RestartMode.UnlessStopped, 0, 0L, 137, true)]   // the engine restarts any exit by itself: someone stopped it
    [InlineData(RestartMode.UnlessStopped, 0, 0L, 0, true)]
    [InlineData(RestartMode.Always, 0, 3L, 137, true)]
    [InlineData(RestartMode.OnFailure, 2, 0L, 137, true)]       // retries left, yet exited: a stop
    [InlineData(RestartMode.OnFailure, 2, 2L, 3, false)]        // the engine gave up after 2 restarts
    [InlineData(RestartMode.OnFailure, 0, 5L, 3, true)]         // unlimited retries: only a stop ends them
    [InlineData(RestartMode.OnFailure, 2, 0L, 0, false)]        // completed
    [InlineData(RestartMode.No, 0, 0L, 137, false)]
    public void A_stop_is_a_users_when_the_engine_would_have_restarted_an_exit_by_itself(RestartMode mode, int max, long restarts, int exit, bool user) =>
        Assert.Equal(user, UnwatchedExits.WasStoppedByUser(new RestartPolicy(mode, max), restarts, exit));

    [Theory]
    [InlineData(0, 2L, 3, 3)]   // started once, two engine restarts, failed again
    [InlineData(3, 0L, 3, 4)]   // three failures before the agent's last start, one since
    [InlineData(1, 0L, 0, 1)]   // completed: not a failure
    public void Failures_are_those_before_the_last_start_plus_the_engines_restarts_plus_this_exit(int before, long restarts, int exit, int expected) =>
        Assert.Equal(expected, UnwatchedExits.Failures(before, restarts, exit));

    private static readonly DateTimeOffset Serving = new(2026, 12, 3, 11, 2, 47, TimeSpan.Zero);

    [Theory]
    [InlineData(-3.0, new[] { -3.1, -3.0 }, true)]  // killed and died at the engine's start, before it served (probe-18 F1)
    [InlineData(-3.0, new[] { 0.0 }, true)]           // a kill at the very moment it began to serve is still its own
    [InlineData(-3.0, new double[0], false)]          // no event of this run: stopped in an earlier run (a user's, days ago)
    [InlineData(5.0, new[] { -3.0, 5.0 }, false)]     // ran again and exited after the engine served: not this kill's exit
    [InlineData(5.0, new[] { 5.0 }, false)]           // a docker stop served by the running engine
    [InlineData(null, new[] { -3.0 }, false)]         // never finished
    public void An_unwatched_exit_is_the_engines_own_when_this_run_of_it_stopped_the_container_before_it_served(double? finished, double[] events, bool engines) =>
        Assert.Equal(engines, UnwatchedExits.StoppedAtEngineStart(finished is { } f ? Serving.AddSeconds(f) : null, events.Select(Serving.AddSeconds), Serving));
}
