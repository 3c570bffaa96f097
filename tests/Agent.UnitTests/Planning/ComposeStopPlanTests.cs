using Agent.Core.Model;
using Agent.Core.Planning;

using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Planning;

/// <summary>probe-18 F6a: a compose project stopped (agent stop, like docker compose stop) keeps its containers, stopped,
/// with its network and volumes, and is not converged until start; down still removes them.</summary>
public sealed class ComposeStopPlanTests
{
    private static readonly ServiceSpec Db = Service("db");
    private static readonly ServiceSpec Web = Service("web", 1, s => s.DependsOn("db", DependencyCondition.Started));

    private static ServiceGroup Project(params ServiceSpec[] services) =>
        Group(services) with { Compose = new ComposeOrigin("/srv/g", ["/srv/g/compose.yaml"]) };

    private static ObservedContainer Exited(ServiceSpec s, int replica, string? hash = null) =>
        Running(s, replica, hash) with { State = ContainerState.Exited, ExitCode = 137 };

    private static PlanInput Stopped(PlanInput i) => i with { Suspended = true, StoppedOnly = true };

    [Fact]
    public void A_stopped_project_stops_its_running_containers_dependents_first_and_removes_nothing()
    {
        Assert.Equal("""
            #1 container:g-web-1, StopContainer, group is suspended
            #2 container:g-db-1, StopContainer, group is suspended (after #1)
            """, PlanText(Project(Db, Web), Observed(Running(Db, 1), Running(Web, 1)), Stopped));
    }

    [Fact]
    public void A_stopped_project_plans_nothing_for_exited_missing_or_drifted_containers_nor_a_missing_network()
    {
        var observed = new ObservedState([Exited(Db, 1, "0000")], [], new HashSet<string>());
        Assert.Equal("", PlanText(Project(Db, Web), observed, Stopped));
    }

    [Fact]
    public void The_same_record_without_stopped_only_is_a_down_that_removes_containers_and_network()
    {
        Assert.Equal("""
            #1 container:g-db-1, RemoveContainer, project is down
            #2 network:g_default, RemoveNetwork, project is down (after #1)
            """, PlanText(Project(Db), Observed(Exited(Db, 1)), i => i with { Suspended = true }));
    }

    [Fact]
    public void Down_stops_and_removes_dependents_before_what_they_depend_on_and_a_left_service_at_once()
    {
        var gone = Running(Service("old"), 1);
        Assert.Equal("""
            #1 container:g-web-1, StopContainer, project is down
            #2 container:g-web-1, RemoveContainer, project is down (after #1)
            #3 container:g-db-1, StopContainer, project is down (after #2)
            #4 container:g-db-1, RemoveContainer, project is down (after #3)
            #5 container:g-old-1, StopContainer, project is down
            #6 container:g-old-1, RemoveContainer, project is down (after #5)
            #7 network:g_default, RemoveNetwork, project is down (after #2,#4,#6)
            """, PlanText(Project(Db, Web), Observed(Running(Db, 1), Running(Web, 1), gone), i => i with { Suspended = true }));
    }

    [Fact]
    public void Start_runs_the_stopped_containers_in_depends_on_order()
    {
        var plan = StartPlanner.PlanStart(Project(Web, Db), Observed(Exited(Web, 1), Exited(Db, 1)), PlanInput.DefaultDependencyTimeout);
        Assert.Equal("""
            #1 container:g-db-1, StartContainer, start requested (exited)
            #2 container:g-web-1, StartContainer, start requested (exited) (after #1)
            """, plan.ToString());
    }
}
