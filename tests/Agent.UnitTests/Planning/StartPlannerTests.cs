using Agent.Core.Model;
using Agent.Core.Planning;

using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Planning;

/// <summary>probe-16 F3: start/up start an object's stopped containers (docker compose start / up -d), restart restarts
/// stopped ones too (docker compose restart).</summary>
public sealed class StartPlannerTests
{
    private static ObservedContainer Exited(ServiceSpec s, int replica) => Running(s, replica) with { State = ContainerState.Exited, ExitCode = 137 };

    [Fact]
    public void Exited_replicas_are_started_in_dependency_order_with_their_health_waited_for_and_running_or_missing_ones_left()
    {
        var db = Service("db", 1, s => s.Healthy().Restart(RestartMode.No));
        var app = Service("app", 2, s => s.DependsOn("db", DependencyCondition.Healthy).Restart(RestartMode.No));
        var web = Service("web", 1);
        var plan = StartPlanner.PlanStart(Group(app, db, web), Observed(Exited(db, 1), Exited(app, 1), Running(web, 1)), TimeSpan.FromMinutes(2));
        Assert.Equal("""
            #1 container:g-db-1, StartContainer, start requested (exited)
            #2 container:g-db-1, WaitHealthy, db must be healthy before its dependents start (after #1)
            #3 container:g-app-1, StartContainer, start requested (exited) (after #1,#2)
            """, plan.ToString());
    }

    [Fact]
    public void The_dependents_of_a_service_whose_container_is_missing_are_deferred_not_started_before_it()
    {
        // probe-21: db removed while the project was stopped; start started app and web, then the reconciler made db.
        var db = Service("db", 1, s => s.Healthy().Restart(RestartMode.No));
        var app = Service("app", 1, s => s.DependsOn("db", DependencyCondition.Healthy).Restart(RestartMode.No));
        var web = Service("web", 1, s => s.DependsOn("app", DependencyCondition.Started).Restart(RestartMode.No));
        var other = Service("other", 1, s => s.Restart(RestartMode.No));
        var (plan, deferred) = StartPlanner.PlanInOrder(Group(app, db, web, other), Observed(Exited(app, 1), Exited(web, 1), Exited(other, 1)), TimeSpan.FromMinutes(2));
        Assert.Equal("#1 container:g-other-1, StartContainer, start requested (exited)", plan.ToString());
        Assert.Equal(["app", "web"], deferred);
    }

    [Fact]
    public void A_service_edited_while_stopped_is_deferred_with_its_dependents_not_started_in_its_old_form()
    {
        // A start after db's manifest changed while stopped started the old db (and app after it), then the reconciler recreated it.
        var db = Service("db", 1, s => s.Healthy().Restart(RestartMode.No));
        var app = Service("app", 1, s => s.DependsOn("db", DependencyCondition.Healthy).Restart(RestartMode.No));
        var other = Service("other", 1, s => s.Restart(RestartMode.No));
        var observed = Observed(Exited(db, 1) with { SpecHash = "old" }, Exited(app, 1), Exited(other, 1));
        var (plan, deferred) = StartPlanner.PlanInOrder(Group(app, db, other), observed, TimeSpan.FromMinutes(2), deferDrifted: true);
        Assert.Equal("#1 container:g-other-1, StartContainer, start requested (exited)", plan.ToString());
        Assert.Equal(["db", "app"], deferred);
        // A one-shot the first pass ran and that exited since is not run again by the second (probe-22: it ran twice).
        var once = Service("once", 1, s => s.Restart(RestartMode.No));
        var (second, _) = StartPlanner.PlanInOrder(Group(once, other), Observed(Exited(once, 1) with { ExitCode = 0 }, Exited(other, 1)), TimeSpan.FromMinutes(2),
            startedAlready: new HashSet<string> { Exited(once, 1).Id });
        Assert.Equal("#1 container:g-other-1, StartContainer, start requested (exited)", second.ToString());
        // The second pass, when the reconciler did not replace it (an update it holds back): started as it is, in order.
        var (again, none) = StartPlanner.PlanInOrder(Group(app, db, other), observed, TimeSpan.FromMinutes(2));
        Assert.Empty(none);
        Assert.StartsWith("#1 container:g-db-1, StartContainer", again.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_running_dependency_that_is_not_healthy_yet_is_waited_for_before_its_dependents_start()
    {
        // The second pass after the reconciler made the missing dependency: it runs, its health still starting.
        var db = Service("db", 1, s => s.Healthy());
        var app = Service("app", 1, s => s.DependsOn("db", DependencyCondition.Healthy));
        Assert.Equal("""
            #1 container:g-db-1, WaitHealthy, db must be healthy before its dependents start
            #2 container:g-app-1, StartContainer, start requested (exited) (after #1)
            """, StartPlanner.PlanStart(Group(app, db), Observed(Running(db, 1) with { Health = HealthState.Starting }, Exited(app, 1)), TimeSpan.FromMinutes(2)).ToString());
    }

    [Fact]
    public void A_paused_replica_is_unpaused_a_created_one_started_and_an_old_container_of_an_update_left()
    {
        var web = Service("web", 2);
        var plan = StartPlanner.PlanStart(Group(web), Observed(
            Running(web, 1) with { State = ContainerState.Paused },
            Running(web, 2) with { State = ContainerState.Created },
            Exited(web, 2) with { Id = "id-old", Name = "g-web-2-prev" }), TimeSpan.FromMinutes(2));
        Assert.Equal("""
            #1 container:g-web-1, UnpauseContainer, start requested (paused)
            #2 container:g-web-2, StartContainer, start requested (created)
            """, plan.ToString());
    }

    [Fact]
    public void A_running_dependency_is_not_waited_for_and_its_dependents_start_at_once()
    {
        var db = Service("db", 1, s => s.Healthy());
        var app = Service("app", 1, s => s.DependsOn("db", DependencyCondition.Healthy));
        Assert.Equal("#1 container:g-app-1, StartContainer, start requested (exited)",
            StartPlanner.PlanStart(Group(app, db), Observed(Running(db, 1) with { Health = HealthState.Healthy }, Exited(app, 1)), TimeSpan.FromMinutes(2)).ToString());
    }

    /// <summary>probe-23 F10: migrate restarted 1 s after db, before db was healthy again.</summary>
    [Fact]
    public void Restart_waits_for_what_depends_on_asks_before_the_dependents_restart()
    {
        var db = Service("db", 1, s => s.Healthy());
        var migrate = Service("migrate", 1, s => s.DependsOn("db", DependencyCondition.Healthy).Restart(RestartMode.No));
        var app = Service("app", 1, s => s.DependsOn("migrate", DependencyCondition.Completed));
        var observed = Observed(Running(db, 1) with { Health = HealthState.Healthy }, Exited(migrate, 1) with { ExitCode = 0 }, Running(app, 1));
        Assert.Equal("""
            #1 container:g-db-1, RestartContainer, group restart (SIGTERM, grace 10s)
            #2 container:g-db-1, WaitHealthy, db must be healthy before its dependents restart (after #1)
            #3 container:g-migrate-1, RestartContainer, group restart (SIGTERM, grace 10s) (after #1,#2)
            #4 container:g-migrate-1, WaitCompleted, migrate must complete before its dependents restart (after #3)
            #5 container:g-app-1, RestartContainer, group restart (SIGTERM, grace 10s) (after #3,#4)
            """, RestartPlanner.PlanRestart(Group(app, migrate, db), observed).ToString());
    }

    [Fact]
    public void Restart_restarts_exited_replicas_too_and_nothing_of_a_stopped_object()
    {
        var db = Service("db", 1, s => s.Restart(RestartMode.No));
        var app = Service("app", 1, s => s.DependsOn("db", DependencyCondition.Started).Restart(RestartMode.No));
        var observed = Observed(Exited(db, 1), Running(app, 1), Exited(app, 2));
        Assert.Equal("""
            #1 container:g-db-1, RestartContainer, group restart (SIGTERM, grace 10s)
            #2 container:g-app-1, RestartContainer, group restart (SIGTERM, grace 10s) (after #1)
            """, RestartPlanner.PlanRestart(Group(app, db), observed).ToString());
        // Stopped, down or suspended: nothing, a container still being stopped included (probe-23 F6).
        Assert.Empty(RestartPlanner.PlanRestart(Group(app, db), observed, suspended: true).Operations);
    }
}
