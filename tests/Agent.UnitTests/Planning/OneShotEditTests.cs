using Agent.Core.Model;
using Agent.Core.Planning;

using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Planning;

/// <summary>probe-61: what an edit does to a completed one-shot (migrate) and what waits for its completion (app), as
/// docs/manifests.md says: the one-shot runs again only when its own definition changed, and then before its dependent.</summary>
public sealed class OneShotEditTests
{
    private static ServiceSpec Migrate(string version) => Service("migrate", 1, s => s.Restart(RestartMode.No).Env("VERSION", version));
    private static ServiceSpec App(string version) => Service("app", 1, s => s.DependsOn("migrate", DependencyCondition.Completed).Env("VERSION", version));

    private static ObservedContainer Completed(ServiceSpec s) => Running(s, 1) with { State = ContainerState.Exited, ExitCode = 0 };

    [Fact]
    public void An_edit_reaching_the_one_shot_runs_it_again_before_its_dependent_is_recreated()
    {
        var plan = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(Migrate("2"), App("2")),
            Observed(Completed(Migrate("1")), Running(App("1"), 1)), Labels, Now));
        var ops = plan.Operations;
        var waitMigrate = Assert.Single(ops, o => o.Kind == OperationKind.WaitCompleted && o.ResourceId == "container:g-migrate-1");
        var createMigrate = Assert.Single(ops, o => o.Kind == OperationKind.CreateContainer && o.ResourceId == "service:migrate:1");
        var removeApp = Assert.Single(ops, o => o.Kind == OperationKind.RemoveContainer && o.ResourceId == "container:g-app-1");
        var createApp = Assert.Single(ops, o => o.Kind == OperationKind.CreateContainer && o.ResourceId == "service:app:1");
        Assert.Contains(createMigrate.Id, Prerequisites(ops, waitMigrate));
        Assert.Contains(waitMigrate.Id, Prerequisites(ops, createApp));
        Assert.Contains(waitMigrate.Id, Prerequisites(ops, removeApp)); // the old app serves until the migration is done
    }

    [Fact]
    public void An_edit_of_the_dependent_alone_leaves_the_completed_one_shot_done()
    {
        var plan = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(Migrate("1"), App("2")),
            Observed(Completed(Migrate("1")), Running(App("1"), 1)), Labels, Now));
        Assert.DoesNotContain(plan.Operations, o => o.ResourceId is "container:g-migrate-1" or "service:migrate:1");
        Assert.Contains(plan.Operations, o => o.Kind == OperationKind.CreateContainer && o.ResourceId == "service:app:1");
    }

    private static HashSet<int> Prerequisites(IReadOnlyList<Operation> ops, Operation op)
    {
        var seen = new HashSet<int>();
        var todo = new Stack<int>(op.After);
        while (todo.TryPop(out var id))
            if (seen.Add(id)) foreach (var a in ops.Single(o => o.Id == id).After) todo.Push(a);
        return seen;
    }
}
