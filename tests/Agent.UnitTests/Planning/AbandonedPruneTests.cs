using Agent.Core.Model;
using Agent.Core.Planning;
using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Planning;

/// <summary>A prune's plan, and the reconcile after a prune abandoned half-way (the manifest came back): what it stopped
/// but did not remove is started again, in dependsOn order.</summary>
public sealed class AbandonedPruneTests
{
    private static readonly ServiceSpec A = Service("a");

    [Fact]
    public void A_prune_because_the_host_is_no_longer_selected_says_so_not_manifest_deleted()
    {
        // probe-13b B6: the log read "RemoveContainer: manifest deleted" while the manifest was there, placed elsewhere.
        var text = PlanText(null, Observed(Running(A, 1)), i => i with { PruneReason = "not selected by this host's labels (spec.placement)" });
        Assert.Contains("container:g-a-1, RemoveContainer, not selected by this host's labels (spec.placement)", text);
        Assert.Contains("network:g_default, RemoveNetwork, not selected by this host's labels", text);
        Assert.DoesNotContain("manifest deleted", text);
        Assert.Contains("RemoveContainer, manifest deleted", PlanText(null, Observed(Running(A, 1))));
    }

    [Fact]
    public void After_an_abandoned_prune_the_reconcile_starts_what_it_stopped_in_dependency_order_after_making_what_it_removed()
    {
        // probe-25: the abandoned prune's own undo started db and app in the same second, before migrate (removed by the
        // prune) was made again and had completed. The reconcile that follows plans them as any containers the agent stopped.
        var db = Service("db", 1, s => s.Healthy().Restart(RestartMode.No));
        var migrate = Service("migrate", 1, s => s.DependsOn("db", DependencyCondition.Healthy).Restart(RestartMode.No));
        var app = Service("app", 1, s => s.DependsOn("db", DependencyCondition.Healthy).DependsOn("migrate", DependencyCondition.Completed).Restart(RestartMode.No));
        var exited = (ServiceSpec s) => Running(s, 1) with { State = ContainerState.Exited, ExitCode = 137, StoppedByAgent = true };
        var plan = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(db, migrate, app), Observed(exited(db), exited(app)), Labels, Now));
        Assert.Equal("""
            #1 container:g-db-1, StartContainer, stopped by the agent (an agent stop, or a start cut off): it runs again once no stop holds it
            #2 container:g-db-1, WaitHealthy, db must be healthy before its dependents start (after #1)
            #3 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #4 service:migrate:1, CreateContainer, no existing container (after #1,#2,#3)
            #5 service:migrate:1, StartContainer, created (after #4)
            #6 container:g-migrate-1, WaitCompleted, migrate must complete before its dependents start (after #5)
            #7 container:g-app-1, StartContainer, stopped by the agent (an agent stop, or a start cut off): it runs again once no stop holds it (after #1,#2,#5,#6)
            """, plan.ToString());
    }

    [Fact]
    public void A_prune_stops_dependents_first_by_the_depends_on_its_containers_recorded_as_compose_down_does()
    {
        // probe-25: db and app were stopped together; with the manifest back during app's stop, db is not stopped at all.
        var db = Service("db");
        var migrate = Service("migrate");
        var app = Service("app");
        var text = PlanText(null, Observed(Running(db, 1), Running(migrate, 1) with { DependsOn = ["db"] }, Running(app, 1) with { DependsOn = ["db", "migrate"] }));
        Assert.Equal("""
            #1 container:g-app-1, StopContainer, manifest deleted
            #2 container:g-app-1, RemoveContainer, manifest deleted (after #1)
            #3 container:g-migrate-1, StopContainer, manifest deleted (after #2)
            #4 container:g-migrate-1, RemoveContainer, manifest deleted (after #3)
            #5 container:g-db-1, StopContainer, manifest deleted (after #2,#4)
            #6 container:g-db-1, RemoveContainer, manifest deleted (after #5)
            #7 network:g_default, RemoveNetwork, manifest deleted (after #2,#4,#6)
            """, text);
        // Without such records (a ServiceGroup's containers), all stop at once.
        Assert.DoesNotContain("(after #2", PlanText(null, Observed(Running(db, 1), Running(app, 1))).Split('\n')[2]);
    }
}
