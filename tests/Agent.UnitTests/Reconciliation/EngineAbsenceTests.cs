using Agent.Reconciliation;

namespace Agent.UnitTests.Reconciliation;

/// <summary>probe-18 F1: kills a crashed dockerd made at its next start (replayed after the reconnect) are the engine's,
/// not a user's; a docker stop once the engine answers again is a user's.</summary>
public sealed class EngineAbsenceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Nothing_is_covered_before_any_loss()
    {
        Assert.False(new EngineAbsence().Covers(T0));
    }

    [Fact]
    public void Events_between_the_loss_and_the_first_answer_are_covered_and_later_ones_not()
    {
        var absence = new EngineAbsence();
        absence.StreamLost(T0);
        absence.StreamLost(T0.AddSeconds(2)); // further failed subscriptions keep the first loss
        absence.Reachable(T0.AddSeconds(30));

        Assert.True(absence.Covers(T0.AddSeconds(25))); // the restarted engine killing what it found, before it listened
        Assert.True(absence.Covers(T0));
        Assert.False(absence.Covers(T0.AddSeconds(-1)));
        Assert.False(absence.Covers(T0.AddSeconds(31))); // a docker stop once the engine answers again is a user's
    }

    [Fact]
    public void An_answer_without_a_loss_before_it_changes_nothing()
    {
        var absence = new EngineAbsence();
        absence.StreamLost(T0);
        absence.Reachable(T0.AddSeconds(10));
        absence.Reachable(T0.AddMinutes(5)); // a later ping with the stream up
        Assert.False(absence.Covers(T0.AddMinutes(1)));
        Assert.True(absence.Covers(T0.AddSeconds(5)));
    }

    [Fact]
    public void The_latest_absence_is_kept_until_the_next_one()
    {
        var absence = new EngineAbsence();
        absence.StreamLost(T0);
        absence.Reachable(T0.AddSeconds(10));
        Assert.True(absence.Covers(T0.AddSeconds(5)));

        absence.StreamLost(T0.AddMinutes(10));
        absence.Reachable(T0.AddMinutes(11));
        Assert.False(absence.Covers(T0.AddSeconds(5)));
        Assert.True(absence.Covers(T0.AddMinutes(10).AddSeconds(30)));
    }
}
