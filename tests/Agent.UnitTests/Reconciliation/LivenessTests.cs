using Agent.Core.Planning;
using Agent.Reconciliation;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Agent.UnitTests.Reconciliation;

/// <summary>/livez fails only for a reconcile stuck past its own bounds, never for a long wait it chose (probe-15i H6).</summary>
public sealed class LivenessTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_stall_counts_from_the_later_of_the_last_progress_and_each_running_steps_bound()
    {
        Assert.Equal(TimeSpan.FromMinutes(6), Liveness.Stall(T0.AddMinutes(6), T0, []));
        Assert.Equal(TimeSpan.Zero, Liveness.Stall(T0.AddMinutes(6), T0, [T0.AddMinutes(8)]));
        Assert.Equal(TimeSpan.FromMinutes(1), Liveness.Stall(T0.AddMinutes(9), T0, [T0.AddMinutes(2), T0.AddMinutes(8)]));
    }

    [Fact]
    public void A_reconcile_waiting_on_a_health_gate_is_not_stalled_until_the_gate_and_then_the_stall_limit_pass()
    {
        var time = new FakeTimeProvider(T0);
        var state = new ControllerState(time);
        state.Started(0);
        time.Advance(TimeSpan.FromSeconds(10));
        var gate = state.Step(TimeSpan.FromMinutes(8)); // healthTimeout: 8m
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(TimeSpan.Zero, state.LongestStall);
        time.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(TimeSpan.FromMinutes(1), state.LongestStall); // a gate hung past its own bound counts from there

        gate.Dispose(); // the gate ended: progress
        Assert.Equal(TimeSpan.Zero, state.LongestStall);
        using (state.Step(null)) // an engine call with no bound of its own that hangs
        {
            time.Advance(TimeSpan.FromMinutes(6));
            Assert.Equal(TimeSpan.FromMinutes(6), state.LongestStall);
        }
        state.Finished(0);
        Assert.Equal(TimeSpan.Zero, state.LongestStall);
    }

    [Fact]
    public void A_pull_or_build_is_bounded_by_ImageTimeout_so_a_quiet_build_is_alive_until_then()
    {
        var imageTimeout = TimeSpan.FromMinutes(30);
        Assert.Equal(imageTimeout, Liveness.Bound(OperationKind.BuildImage, null, imageTimeout));
        Assert.Equal(imageTimeout, Liveness.Bound(OperationKind.EnsureImage, null, imageTimeout));
        Assert.Equal(TimeSpan.FromSeconds(12), Liveness.Bound(OperationKind.WaitHealthy, TimeSpan.FromSeconds(12), imageTimeout));
        Assert.Null(Liveness.Bound(OperationKind.CreateContainer, null, imageTimeout));

        // A `RUN sleep 340` that prints nothing: alive at 6 min (the probe's case), stalled once 30 min + the limit passed.
        var time = new FakeTimeProvider(T0);
        var state = new ControllerState(time);
        state.Started(0);
        using var build = state.Step(Liveness.Bound(OperationKind.BuildImage, null, imageTimeout));
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(TimeSpan.Zero, state.LongestStall);
        time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(TimeSpan.FromMinutes(6), state.LongestStall);
    }

    [Fact]
    public void A_step_outside_any_reconcile_is_not_tracked()
    {
        var time = new FakeTimeProvider(T0);
        var state = new ControllerState(time);
        using (state.Step(TimeSpan.FromHours(1))) time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(TimeSpan.Zero, state.LongestStall);
    }
}
