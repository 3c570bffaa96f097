using Agent.Core.Model;
using Agent.Core.Planning;

namespace Agent.UnitTests.Planning;

/// <summary>The pure decisions behind restart policies, user stops, on-failure limits and the group restart (issue 11).</summary>
public sealed class RuntimeDecisionTests
{
    private static readonly AgentLabels Labels = new("i1");
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static ServiceSpec Service(string name, Action<ServiceSpecBuilder>? configure = null)
    {
        var builder = new ServiceSpecBuilder(name, 1);
        configure?.Invoke(builder);
        return builder.Build();
    }

    private static ServiceGroup Group(params ServiceSpec[] services) => new(
        new ObjectMetadata("g", new Dictionary<string, string>(), new Dictionary<string, string>()),
        new ServiceGroupSpec { Services = services }, new SourceLocation("g.yaml", 1, 1));

    private static ObservedContainer Container(ServiceSpec s, ContainerState state, int? exit = null) =>
        new($"id-{s.Name}", $"g-{s.Name}-1", s.Name, 1, SpecHash.Of(s.Container, "g_default"), state, HealthState.None, exit);

    private static Plan PlanFor(ServiceSpec s, ObservedContainer c) =>
        Planner.PlanGroup(new PlanInput(new ObjectKey("ServiceGroup", "g"), Group(s),
            new ObservedState([c], [new ObservedNetwork("net-g", "g_default")], new HashSet<string>()), Labels, Now));

    [Theory]
    [InlineData(RestartMode.UnlessStopped, "engine", "")]
    [InlineData(RestartMode.OnFailure, "engine", "")]
    [InlineData(RestartMode.No, "engine", "")]
    [InlineData(RestartMode.Always, "engine", "#1 container:g-s-1, StartContainer, container exited with code 137, restart: always")]
    [InlineData(RestartMode.Always, "api", "")]
    [InlineData(RestartMode.Always, "unknown", "")] // the record of user stops was lost (probe-15j M7): kept like an API stop
    [InlineData(RestartMode.UnlessStopped, "unknown", "")]
    [InlineData(RestartMode.UnlessStopped, null, "#1 container:g-s-1, StartContainer, container exited with code 137, restart: unless-stopped")]
    public void A_user_stop_is_respected_except_a_docker_stop_of_an_always_container(RestartMode mode, string? by, string expected)
    {
        var s = Service("s", b => b.Restart(mode));
        var plan = PlanFor(s, Container(s, ContainerState.Exited, 137) with { StoppedByUser = by });
        Assert.Equal(expected, plan.ToString());
    }

    [Theory]
    [InlineData(RestartMode.Always, "#1 container:g-s-1, UnpauseContainer, container paused, restart: always")]
    [InlineData(RestartMode.UnlessStopped, "")]
    [InlineData(RestartMode.OnFailure, "")]
    [InlineData(RestartMode.No, "")]
    public void A_docker_pause_is_undone_only_under_restart_always(RestartMode mode, string expected)
    {
        var s = Service("s", b => b.Restart(mode));
        Assert.False(Container(s, ContainerState.Paused).IsReady);
        Assert.Equal(expected, PlanFor(s, Container(s, ContainerState.Paused)).ToString());
    }

    [Fact]
    public void A_suspended_group_stops_a_paused_replica_too()
    {
        var s = Service("s", b => b.Restart(RestartMode.UnlessStopped));
        var plan = Planner.PlanGroup(new PlanInput(new ObjectKey("ServiceGroup", "g"), Group(s),
            new ObservedState([Container(s, ContainerState.Paused)], [new ObservedNetwork("net-g", "g_default")], new HashSet<string>()), Labels, Now) { Suspended = true });
        Assert.Equal("#1 container:g-s-1, StopContainer, group is suspended", plan.ToString());
    }

    [Theory]
    [InlineData(2, "#1 container:g-s-1, StartContainer, container exited with code 3, restart: on-failure")]
    [InlineData(3, "")]
    public void On_failure_N_counts_every_failure_and_gives_up_after_N_restarts(int failures, string expected)
    {
        var s = Service("s", b => b.Restart(RestartMode.OnFailure, 2));
        var plan = PlanFor(s, Container(s, ContainerState.Exited, 3) with { Failures = failures });
        Assert.Equal(expected, plan.ToString());
        if (expected == "") Assert.Equal(Hold.BackoffLimitExceeded, Assert.Single(plan.Held).Reason);
    }

    [Fact]
    public void A_replica_that_failed_within_the_crash_window_does_not_serve_even_while_running()
    {
        var s = Service("s");
        var c = Container(s, ContainerState.Running) with { LastFailure = Now.AddSeconds(-2) };
        Assert.False(c.IsServing(Now));
        Assert.True(c.IsServing(Now.AddSeconds(11)));
    }

    [Fact]
    public void A_running_replica_whose_stop_by_an_earlier_agent_is_under_way_does_not_serve()
    {
        // probe-28 F1: a group dependsOn such a group read it Ready and was made on its dying container.
        var c = Container(Service("s"), ContainerState.Running);
        Assert.True(c.IsServing(Now));
        Assert.False((c with { StopInFlight = true }).IsServing(Now));
        Assert.Equal(0, Agent.Core.Status.ServiceReadiness.Serving([c with { StopInFlight = true }], 1, Now));
    }

    [Fact]
    public void A_running_replica_whose_health_is_not_known_yet_is_not_ready_until_it_is()
    {
        // The cache's view of a container it saw start but has not inspected: Health None may be a healthcheck's start.
        var c = Container(Service("s"), ContainerState.Running) with { HealthUnknown = true };
        Assert.False(c.IsReady);
        Assert.False(c.IsServing(Now));
        Assert.True((c with { HealthUnknown = false }).IsServing(Now));
    }

    [Fact]
    public void Group_restart_follows_dependsOn_with_each_services_signal_and_grace()
    {
        var db = Service("db", b => b.Stop("SIGINT", TimeSpan.FromSeconds(3)));
        var api = Service("api", b => b.DependsOn("db", DependencyCondition.Started).Stop("SIGQUIT", TimeSpan.FromSeconds(7)));
        var observed = new ObservedState([Container(api, ContainerState.Running), Container(db, ContainerState.Running)], [], new HashSet<string>());
        var plan = RestartPlanner.PlanRestart(Group(api, db), observed);
        Assert.Equal("""
            #1 container:g-db-1, RestartContainer, group restart (SIGINT, grace 3s)
            #2 container:g-api-1, RestartContainer, group restart (SIGQUIT, grace 7s) (after #1)
            """, plan.ToString());
        Assert.Equal([TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(7)], plan.Operations.Select(o => o.Timeout!.Value));
    }

    [Fact]
    public void Group_restart_restarts_a_paused_replica_and_leaves_an_exited_one()
    {
        var web = Service("web");
        var observed = new ObservedState([Container(web, ContainerState.Paused), Container(web, ContainerState.Exited) with { Name = "g-web-2", Replica = 2 }], [], new HashSet<string>());
        Assert.Equal("#1 container:g-web-1, RestartContainer, group restart (SIGTERM, grace 10s)", RestartPlanner.PlanRestart(Group(web), observed).ToString());
    }
}
