using Agent.Core.Model;
using Agent.Core.Planning;

using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Planning;

/// <summary>A stop (agent stop, spec.suspend) goes in reverse dependency order, like docker compose stop: a dependent
/// stops before what it depends on; services that do not depend on each other stop at the same time.</summary>
public sealed class StopOrderTests
{
    private static readonly ServiceSpec Db = Service("db");
    private static readonly ServiceSpec App = Service("app", 1, s => s.DependsOn("db", DependencyCondition.Started));
    private static readonly ServiceSpec Web = Service("web", 2, s => s.DependsOn("app", DependencyCondition.Started));

    private static PlanInput Suspended(PlanInput i) => i with { Suspended = true };

    [Fact]
    public void Dependents_come_first_and_ties_keep_the_manifest_order()
    {
        var cache = Service("cache");
        Assert.Equal(["cache", "web", "app", "db"], StopOrder.Sort(Group(Db, App, cache, Web)).Select(s => s.Name));
        Assert.Equal(["web", "app", "db", "cache"], StopOrder.Sort(Group(Db, App, Web, cache)).Select(s => s.Name));
        Assert.Equal(["app"], StopOrder.Dependents(Group(Db, App, Web))["db"]);
        Assert.Empty(StopOrder.Dependents(Group(Db, App, Web))["web"]);
    }

    [Fact]
    public void A_dependent_stops_before_what_it_depends_on_and_its_replicas_stop_together()
    {
        Assert.Equal("""
            #1 container:g-web-1, StopContainer, group is suspended
            #2 container:g-web-2, StopContainer, group is suspended
            #3 container:g-app-1, StopContainer, group is suspended (after #1,#2)
            #4 container:g-db-1, StopContainer, group is suspended (after #3)
            """, PlanText(Group(Db, App, Web), Observed(Running(Db, 1), Running(App, 1), Running(Web, 1), Running(Web, 2)), Suspended));
    }

    [Fact]
    public void The_order_holds_through_a_dependent_that_has_nothing_to_stop()
    {
        var exited = Running(App, 1) with { State = ContainerState.Exited, ExitCode = 0 };
        Assert.Equal("""
            #1 container:g-web-1, StopContainer, group is suspended
            #2 container:g-db-1, StopContainer, group is suspended (after #1)
            """, PlanText(Group(Db, App, Web), Observed(Running(Db, 1), exited, Running(Web, 1)), Suspended));
    }

    [Fact]
    public void Services_that_do_not_depend_on_each_other_stop_at_the_same_time()
    {
        var (a, b) = (Service("a"), Service("b"));
        Assert.Equal("""
            #1 container:g-a-1, StopContainer, group is suspended
            #2 container:g-b-1, StopContainer, group is suspended
            """, PlanText(Group(a, b), Observed(Running(a, 1), Running(b, 1)), Suspended));
    }

    [Fact]
    public void A_paused_dependent_is_stopped_first_too()
    {
        Assert.Equal("""
            #1 container:g-app-1, StopContainer, group is suspended
            #2 container:g-db-1, StopContainer, group is suspended (after #1)
            """, PlanText(Group(App, Db), Observed(Running(Db, 1), Running(App, 1) with { State = ContainerState.Paused }), Suspended));
    }

    [Fact]
    public void A_service_in_another_services_container_network_stops_before_that_container()
    {
        var sidecar = Service("sidecar") with { Container = Service("sidecar").Container with { NetworkMode = "container:g-db-1" } };
        Assert.Equal(["sidecar"], StopOrder.Dependents(Group(Db, sidecar))["db"]);
        Assert.Equal("""
            #1 container:g-sidecar-1, StopContainer, group is suspended
            #2 container:g-db-1, StopContainer, group is suspended (after #1)
            """, PlanText(Group(Db, sidecar), Observed(Running(Db, 1), Running(sidecar, 1)), Suspended));
    }

    /// <summary>Nothing starts while a group is stopped, so nothing waits for a dependency to be healthy: such a wait on
    /// the stopped dependency could only fail (Ready False ApplyFailed on every resync of a stopped group).</summary>
    [Fact]
    public void A_suspended_group_whose_dependency_is_waited_for_healthy_only_stops()
    {
        var db = Service("db", 1, s => s.Healthy());
        var api = Service("api", 1, s => s.DependsOn("db", DependencyCondition.Healthy));
        Assert.Equal("""
            #1 container:g-api-1, StopContainer, group is suspended
            #2 container:g-db-1, StopContainer, group is suspended (after #1)
            """, PlanText(Group(db, api), Observed(Running(db, 1), Running(api, 1)), Suspended));
        var stopped = Running(db, 1) with { State = ContainerState.Exited, ExitCode = 137 };
        Assert.Equal("", PlanText(Group(db, api), Observed(stopped, Running(api, 1) with { State = ContainerState.Exited, ExitCode = 137 }), Suspended));
    }
}
