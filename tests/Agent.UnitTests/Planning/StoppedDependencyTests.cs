using Agent.Core.Model;
using Agent.Core.Planning;

using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Planning;

/// <summary>probe-16 F2: a health-checked (or completing) dependency that the plan leaves stopped is not waited for: the
/// wait could only fail, and its failure was an ApplyFailed retried with back-off for ever.</summary>
public sealed class StoppedDependencyTests
{
    private static readonly ServiceSpec Db = Service("db", 1, s => s.Healthy().Restart(RestartMode.UnlessStopped));
    private static readonly ServiceSpec Api = Service("api", 1, s => s.DependsOn("db", DependencyCondition.Healthy));

    private static ObservedContainer Exited(ServiceSpec s, int replica, int code = 137) =>
        Running(s, replica) with { State = ContainerState.Exited, ExitCode = code };

    [Fact]
    public void A_dependency_a_user_stopped_is_not_waited_for_while_its_dependents_run()
    {
        var plan = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(Api, Db),
            Observed(Exited(Db, 1) with { StoppedByUser = "engine" }, Running(Api, 1)), Labels, Now));
        Assert.True(plan.IsEmpty, plan.ToString());
        Assert.Empty(plan.Held);
    }

    [Fact]
    public void A_dependency_left_exited_by_restart_no_after_the_engine_stopped_is_not_waited_for()
    {
        var db = Service("db", 1, s => s.Healthy().Restart(RestartMode.No));
        var api = Service("api", 1, s => s.DependsOn("db", DependencyCondition.Healthy).Restart(RestartMode.No));
        var plan = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(api, db),
            Observed(Exited(db, 1) with { StoppedWithEngine = true }, Exited(api, 1) with { StoppedWithEngine = true }), Labels, Now));
        Assert.True(plan.IsEmpty, plan.ToString());
        Assert.Empty(plan.Held);
    }

    [Fact]
    public void Containers_the_agent_stopped_run_again_in_dependency_order_whatever_their_restart_policy_once_the_stop_is_over()
    {
        // probe-21: kill -9 of the agent during `agent start` of a stopped project (the stop lifted, not every container
        // started yet): the rest read "restart: no leaves it so" and stayed down. Their exit was the agent's own stop.
        var db = Service("db", 1, s => s.Healthy().Restart(RestartMode.No));
        var api = Service("api", 1, s => s.DependsOn("db", DependencyCondition.Healthy).Restart(RestartMode.No));
        var plan = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(api, db),
            Observed(Exited(db, 1) with { StoppedByAgent = true }, Exited(api, 1) with { StoppedByAgent = true }), Labels, Now));
        Assert.Equal("""
            #1 container:g-db-1, StartContainer, stopped by the agent (an agent stop, or a start cut off): it runs again once no stop holds it
            #2 container:g-db-1, WaitHealthy, db must be healthy before its dependents start (after #1)
            #3 container:g-api-1, StartContainer, stopped by the agent (an agent stop, or a start cut off): it runs again once no stop holds it (after #1,#2)
            """, plan.ToString());

        var stillStopped = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(api, db),
            Observed(Exited(db, 1) with { StoppedByAgent = true }, Exited(api, 1) with { StoppedByAgent = true }), Labels, Now) { Suspended = true });
        Assert.True(stillStopped.IsEmpty, stillStopped.ToString()); // while the stop holds, nothing starts
        var ownExit = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(db), Observed(Exited(db, 1, code: 0)), Labels, Now));
        Assert.True(ownExit.IsEmpty, ownExit.ToString()); // an exit of its own under restart: no stays so
    }

    /// <summary>probe-23 F8: an edit recreated and started a container a user had stopped (stop --service db).</summary>
    [Fact]
    public void An_edit_of_a_container_a_user_stopped_waits_until_it_is_started_again()
    {
        var edited = Service("db", 1, s => s.Healthy().Restart(RestartMode.UnlessStopped).Env("V", "3"));
        var stopped = Exited(Db, 1) with { StoppedByUser = "api" };
        var plan = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(edited), Observed(stopped), Labels, Now));
        Assert.True(plan.IsEmpty, plan.ToString());
        var started = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(edited), Observed(stopped with { State = ContainerState.Running, StoppedByUser = null }), Labels, Now));
        Assert.Contains(started.Operations, o => o.Kind == OperationKind.CreateContainer && o.Cause.StartsWith("spec changed", StringComparison.Ordinal));
    }

    [Fact]
    public void A_dependent_that_must_be_created_while_its_dependency_is_stopped_is_held_naming_it()
    {
        var plan = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(Api, Db),
            Observed(Exited(Db, 1) with { StoppedByUser = "api" }), Labels, Now));
        Assert.True(plan.IsEmpty, plan.ToString()); // no create of api (nor its image check), no wait
        var hold = Assert.Single(plan.Held);
        Assert.Equal(Hold.DependencyNotRunning, hold.Reason);
        Assert.Equal("not done until g-db-1 runs: create g-api-1, start g-api-1: db must be healthy first, and g-db-1 is stopped through the API (start it through the API)", hold.Message);
    }

    [Fact]
    public void Only_what_waits_for_the_stopped_dependency_is_dropped_and_the_plan_is_renumbered()
    {
        var web = Service("web", 2);
        var plan = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(Api, Db, web),
            Observed(Exited(Db, 1) with { StoppedByUser = "engine" }, Running(web, 1)), Labels, Now));
        Assert.Equal("""
            #1 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #2 service:web:2, CreateContainer, no existing container (after #1)
            #3 service:web:2, StartContainer, created (after #2)
            """, plan.ToString());
        Assert.Contains("create g-api-1", Assert.Single(plan.Held).Message);
    }

    [Fact]
    public void A_dependency_in_crash_back_off_holds_its_dependents_until_it_is_started_again()
    {
        var plan = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(Api, Db),
            Observed(Exited(Db, 1, 1) with { BackoffUntil = Now.AddSeconds(5) }), Labels, Now));
        Assert.True(plan.IsEmpty, plan.ToString());
        Assert.Equal(TimeSpan.FromSeconds(5), plan.RequeueAfter);
        Assert.Contains(plan.Held, h => h.Reason == Hold.DependencyNotRunning && h.Message.Contains("crash back-off", StringComparison.Ordinal));
    }

    [Fact]
    public void A_dependency_the_plan_starts_is_still_waited_for()
    {
        var plan = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(Api, Db),
            Observed(Exited(Db, 1), Running(Api, 1)), Labels, Now));
        Assert.Equal("""
            #1 container:g-db-1, StartContainer, container exited with code 137, restart: unless-stopped
            #2 container:g-db-1, WaitHealthy, db must be healthy before its dependents start (after #1)
            """, plan.ToString());
        Assert.Empty(plan.Held);
    }

    [Fact]
    public void A_completed_dependency_left_exited_with_0_lets_its_dependents_start_and_a_failed_one_holds_them()
    {
        var migrate = Service("migrate", 1, s => s.Restart(RestartMode.No));
        var app = Service("app", 1, s => s.DependsOn("migrate", DependencyCondition.Completed));
        var done = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(app, migrate), Observed(Exited(migrate, 1, 0)), Labels, Now));
        Assert.Contains("service:app:1, CreateContainer", done.ToString());
        Assert.Empty(done.Held);
        var failed = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(app, migrate), Observed(Exited(migrate, 1, 1)), Labels, Now));
        Assert.True(failed.IsEmpty, failed.ToString());
        Assert.Equal("not done until g-migrate-1 runs: create g-app-1, start g-app-1: migrate must complete (exit 0) first, and g-migrate-1 is exited (exit code 1) and restart: no leaves it so",
            Assert.Single(failed.Held).Message);
    }

    [Fact]
    public void A_dependent_of_a_one_shot_that_completed_against_a_dependency_that_is_down_now_is_held_naming_it()
    {
        // probe-25: db left exited after an engine restart (restart: no); a `docker rm -f app` was healed at once, app
        // created and started on migrate's old completion, with db down. `agent up` starts db, migrate, then app.
        var db = Service("db", 1, s => s.Healthy().Restart(RestartMode.No));
        var migrate = Service("migrate", 1, s => s.DependsOn("db", DependencyCondition.Healthy).Restart(RestartMode.No));
        var app = Service("app", 1, s => s.DependsOn("migrate", DependencyCondition.Completed).Restart(RestartMode.UnlessStopped));
        var dbDown = Exited(db, 1) with { StoppedWithEngine = true };
        var plan = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(app, migrate, db), Observed(dbDown, Exited(migrate, 1, 0)), Labels, Now));
        Assert.True(plan.IsEmpty, plan.ToString());
        Assert.Equal("not done until g-migrate-1 runs: create g-app-1, start g-app-1: migrate completed, but what it depends on is down now: " +
                     "g-db-1 exited when the engine stopped and restart: no leaves it so (agent up or agent restart starts it)", Assert.Single(plan.Held).Message);

        // app still runs: nothing to do, nothing held; db runs: app is made at once, on migrate's completion.
        var running = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(app, migrate, db), Observed(dbDown, Exited(migrate, 1, 0), Running(app, 1)), Labels, Now));
        Assert.True(running.IsEmpty, running.ToString());
        Assert.Empty(running.Held);
        var dbUp = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(app, migrate, db),
            Observed(Running(db, 1) with { Health = HealthState.Healthy }, Exited(migrate, 1, 0)), Labels, Now));
        Assert.Contains("service:app:1, CreateContainer", dbUp.ToString());
        Assert.Empty(dbUp.Held);
        var dbAlways = Service("db", 1, s => s.Healthy().Restart(RestartMode.Always));
        var dbStarting = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(app, migrate, dbAlways),
            Observed(Exited(db, 1), Exited(migrate, 1, 0)), Labels, Now)); // the plan starts db: not down
        Assert.Contains("service:app:1, CreateContainer", dbStarting.ToString());
    }

    [Fact]
    public void A_dependency_whose_stop_by_an_earlier_agent_is_still_under_way_is_not_started_on()
    {
        // probe-27 F1.1: kill -9 during a prune's stop of db (15 s grace), the compose file back, the agent started again:
        // db read running and healthy, migrate ran and app started, then the old stop landed and db died under app.
        var db = Service("db", 1, s => s.Healthy().Restart(RestartMode.No));
        var migrate = Service("migrate", 1, s => s.DependsOn("db", DependencyCondition.Healthy).Restart(RestartMode.No));
        var app = Service("app", 1, s => s.DependsOn("migrate", DependencyCondition.Completed).Restart(RestartMode.UnlessStopped));
        var stopping = Running(db, 1) with { Health = HealthState.Healthy, StopInFlight = true };
        var plan = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(app, migrate, db), Observed(stopping), Labels, Now));
        Assert.True(plan.IsEmpty, plan.ToString());
        var hold = Assert.Single(plan.Held);
        Assert.Equal(Hold.DependencyNotRunning, hold.Reason);
        Assert.Equal("not done until g-db-1 runs: create g-migrate-1, start g-migrate-1, create g-app-1, start g-app-1: db must be healthy first, and " +
                     "g-db-1 is being stopped by the agent (a prune's or a stop's, its stop still under way): it starts again once it has exited", hold.Message);
        Assert.NotNull(plan.RequeueAfter);

        // Once the stop has landed: db started, waited healthy, then migrate, then app.
        var landed = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(app, migrate, db),
            Observed(Exited(db, 1) with { StoppedByAgent = true }), Labels, Now));
        var order = landed.Operations.Where(o => o.Kind is OperationKind.StartContainer or OperationKind.WaitHealthy or OperationKind.WaitCompleted).Select(o => $"{o.Kind} {o.ResourceId}").ToList();
        Assert.Equal(["StartContainer container:g-db-1", "WaitHealthy container:g-db-1", "StartContainer service:migrate:1", "WaitCompleted container:g-migrate-1", "StartContainer service:app:1"], order);
    }

    [Fact]
    public void A_dependency_whose_users_stop_is_still_under_way_after_an_agent_restart_holds_its_dependents_and_stays_stopped()
    {
        // probe-29 F0 (compose): `stop --service db`, kill -9 of the agent while the stop ran, app removed: the next agent
        // made app on the dying db. Held while the stop runs; once it has landed db is the user's stop, not started again.
        var db = Service("db", 1, s => s.Healthy());
        var app = Service("app", 1, s => s.DependsOn("db", DependencyCondition.Healthy));
        var stopping = Running(db, 1) with { Health = HealthState.Healthy, StopInFlight = true, StopInFlightByUser = true };
        var plan = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(app, db), Observed(stopping), Labels, Now));
        Assert.True(plan.IsEmpty, plan.ToString());
        var hold = Assert.Single(plan.Held);
        Assert.Equal(Hold.DependencyNotRunning, hold.Reason);
        Assert.EndsWith("g-db-1 is being stopped through the API (its stop is under way): it stays stopped until started through the API", hold.Message);

        var landed = Planner.PlanGroup(new PlanInput(new("ComposeProject", "g"), Group(app, db),
            Observed(Exited(db, 1) with { StoppedByUser = "api" }), Labels, Now));
        Assert.DoesNotContain(landed.Operations, o => o.Kind is OperationKind.StartContainer or OperationKind.CreateContainer);
        Assert.Equal(Hold.DependencyNotRunning, Assert.Single(landed.Held).Reason);
    }

    [Fact]
    public void A_stopped_group_does_not_ask_again_for_a_stop_already_under_way()
    {
        // probe-30 F1: after a restart during `agent stop`, the next agent sent db a second kill and its first reconcile (so
        // /readyz) waited the whole 40 s grace. The stop under way is left to land; the others stop as usual.
        var db = Service("db", 1, s => s.Restart(RestartMode.UnlessStopped));
        var app = Service("app", 1, s => s.DependsOn("db", DependencyCondition.Started));
        var plan = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(app, db),
            Observed(Running(db, 1) with { StopInFlight = true }, Running(app, 1)), Labels, Now) { Suspended = true });
        var stop = Assert.Single(plan.Operations, o => o.Kind == OperationKind.StopContainer);
        Assert.Equal("container:g-app-1", stop.ResourceId);
        Assert.NotNull(plan.RequeueAfter);
    }
}
