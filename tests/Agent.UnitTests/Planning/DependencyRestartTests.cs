using Agent.Core.Model;
using Agent.Core.Planning;
using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Planning;

/// <summary>Compose's depends_on.restart: true: a recreated dependency restarts its dependents' running containers.</summary>
public sealed class DependencyRestartTests
{
    private static readonly ServiceSpec Db = Service("db");

    private static ServiceSpec Web(bool restart) => Service("web") with { DependsOn = [new ServiceDependency("db", DependencyCondition.Started) { Restart = restart }] };

    private static Plan PlanAfterDbChanged(bool restart)
    {
        var web = Web(restart);
        var changedDb = Db with { Container = Db.Container with { Env = new Dictionary<string, string> { ["V"] = "2" } } };
        return Planner.PlanGroup(new PlanInput(new ObjectKey("ServiceGroup", "g"), Group(changedDb, web), Observed(Running(Db, 1), Running(web, 1)), Labels, Now));
    }

    [Fact]
    public void A_recreated_dependency_restarts_the_running_dependent_after_it_started()
    {
        var plan = PlanAfterDbChanged(restart: true);
        var restart = Assert.Single(plan.Operations, o => o.Kind == OperationKind.RestartContainer);
        Assert.Equal(("service:web:1", "id-web-1", "db recreated (depends_on.restart: true)"), (restart.ResourceId, restart.Target, restart.Cause));
        var dbStart = plan.Operations.Single(o => o.Kind == OperationKind.StartContainer && o.ResourceId == "service:db:1");
        Assert.Contains(dbStart.Id, restart.After);
    }

    [Fact]
    public void Without_restart_true_or_without_a_recreation_the_dependent_is_left_running()
    {
        Assert.DoesNotContain(PlanAfterDbChanged(restart: false).Operations, o => o.Kind == OperationKind.RestartContainer);
        var web = Web(restart: true);
        Assert.True(Planner.PlanGroup(new PlanInput(new ObjectKey("ServiceGroup", "g"), Group(Db, web), Observed(Running(Db, 1), Running(web, 1)), Labels, Now)).IsEmpty);
    }
}
