using Agent.Core.Model;
using Agent.Core.Planning;
using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Planning;

/// <summary>A replica taken off its group's network (`docker network disconnect`) is drift: like Compose on a network
/// change, it is recreated, which also gives back its aliases (probe-15 F10).</summary>
public sealed class NetworkDriftTests
{
    [Fact]
    public void A_running_replica_disconnected_from_its_group_network_is_recreated_in_place()
    {
        var web = Service("web", 2, s => s.StartFirst(rollback: false));
        var off = Running(web, 1) with { NetworkIds = new HashSet<string> { "net-other" } };
        var on = Running(web, 2) with { NetworkIds = new HashSet<string> { "net-g", "net-other" } };
        Assert.Equal("""
            #1 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #2 container:g-web-1, StopContainer, disconnected from network g_default, stop-first (after #1)
            #3 container:g-web-1, RemoveContainer, disconnected from network g_default (after #2)
            #4 service:web:1, CreateContainer, disconnected from network g_default (after #3)
            #5 service:web:1, StartContainer, created (after #4)
            """, PlanText(Group(web), Observed(off, on)));
    }

    [Fact]
    public void Networks_not_known_or_a_replica_that_is_not_running_or_a_group_that_is_suspended_plan_nothing()
    {
        var web = Service("web", 1, s => s.Restart(RestartMode.No));
        Assert.Equal("", PlanText(Group(web), Observed(Running(web, 1))));
        var stopped = Running(web, 1) with { State = ContainerState.Exited, ExitCode = 0, NetworkIds = new HashSet<string>() };
        Assert.Equal("", PlanText(Group(web), Observed(stopped)));
        var off = Running(web, 1) with { NetworkIds = new HashSet<string>() };
        Assert.Contains("StopContainer, group is suspended", PlanText(Group(web), Observed(off), i => i with { Suspended = true }));
        Assert.DoesNotContain("disconnected", PlanText(Group(web), Observed(off), i => i with { Suspended = true }));
    }

    [Fact]
    public void A_network_this_plan_creates_is_not_a_disconnection()
    {
        var web = Service("web");
        var observed = new ObservedState([Running(web, 1) with { NetworkIds = new HashSet<string>() }], [], new HashSet<string>());
        Assert.DoesNotContain("disconnected", PlanText(Group(web), observed));
    }
}
