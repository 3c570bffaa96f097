using Agent.Reconciliation;

namespace Agent.UnitTests.Reconciliation;

/// <summary>One AcceptsConnections probe answers for the kill and stop events of a burst (a docker stop of many
/// containers) that were read before it started, and for no event read after it: an engine shutdown that begins right
/// after a user's stop is still told apart.</summary>
public sealed class ListenerProbesTests
{
    [Fact]
    public void Before_any_probe_nothing_is_known()
    {
        var probes = new ListenerProbes();
        Assert.False(probes.KnownOpen(100));
    }

    [Fact]
    public void An_open_probe_answers_for_every_event_read_before_it_started_and_for_none_read_after()
    {
        var probes = new ListenerProbes();
        probes.Probed(startedAt: 1000, open: true);
        Assert.True(probes.KnownOpen(10));
        Assert.True(probes.KnownOpen(999));
        Assert.False(probes.KnownOpen(1000));
        Assert.False(probes.KnownOpen(1001)); // read after the probe began: the engine may have begun its shutdown since
    }

    [Fact]
    public void A_closed_listener_is_never_reused_and_does_not_undo_an_earlier_open_probe()
    {
        var probes = new ListenerProbes();
        probes.Probed(startedAt: 1000, open: true);
        probes.Probed(startedAt: 2000, open: false);
        Assert.True(probes.KnownOpen(500)); // read before the open probe: came before the shutdown all the same
        Assert.False(probes.KnownOpen(1500)); // probed afresh (and the engine's answer is taken, as before)
    }

    [Fact]
    public void A_later_open_probe_widens_what_is_known_and_an_older_one_finishing_late_does_not_narrow_it()
    {
        var probes = new ListenerProbes();
        probes.Probed(startedAt: 3000, open: true);
        probes.Probed(startedAt: 1000, open: true);
        Assert.True(probes.KnownOpen(2999));
    }

    [Fact]
    public void An_event_of_unknown_receipt_time_is_always_probed()
    {
        var probes = new ListenerProbes();
        probes.Probed(startedAt: 1000, open: true);
        Assert.False(probes.KnownOpen(0));
    }
}
