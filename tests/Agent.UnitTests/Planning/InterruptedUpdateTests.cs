using Agent.Core.Model;
using Agent.Core.Planning;
using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Planning;

/// <summary>
/// The states an interrupted update leaves in one replica slot (the agent killed, or the engine stopped, between any two
/// steps) and the plan that finishes the update or rolls it back. Roles come from labels: the new container carries the
/// desired spec hash, agent.update-from=the hash it replaces; names are only a tie-break.
/// </summary>
public sealed class InterruptedUpdateTests
{
    private static readonly ServiceSpec StartFirst = Service("web", 1, s => s.Healthy().StartFirst(rollback: true));
    private static readonly ServiceSpec StopFirstWithRollback = Service("web", 1, s => s.Healthy().StopFirst(rollback: true));
    private static readonly ServiceSpec StopFirst = Service("web");

    private static ObservedContainer Old(ServiceSpec s, ContainerState state = ContainerState.Running, string name = "g-web-1") =>
        Running(s, 1, "0000") with { Id = "id-old", Name = name, State = state, Health = state == ContainerState.Running ? HealthState.Healthy : HealthState.None };

    private static ObservedContainer Next(ServiceSpec s, ContainerState state, HealthState health, string name = "g-web-1-next") =>
        Running(s, 1) with { Id = "id-next", Name = name, State = state, Health = health, UpdateFrom = "0000" };

    /// <summary>The plan's text form, with what each failure runs (the rollback) below the operation.</summary>
    private static string Plan(ServiceSpec s, ObservedContainer[] containers, Func<PlanInput, PlanInput>? adjust = null)
    {
        var input = new PlanInput(new ObjectKey("ServiceGroup", "g"), Group(s), Observed(containers), Labels, Now);
        var plan = Planner.PlanGroup(adjust?.Invoke(input) ?? input);
        var lines = plan.Operations.SelectMany(o => o.OnFailure.Count == 0 ? [o.ToString()]
            : new[] { o.ToString(), "    on failure: " + string.Join("; ", o.OnFailure.Select(f => $"{f.Kind} {f.Target}{(f.NewName is null ? "" : " -> " + f.NewName)}")) });
        return string.Join("\n", lines.Concat(plan.Held.Select(h => "held: " + h))).Replace(Hash(s), "HASH");
    }

    [Fact]
    public void Start_first_killed_after_the_new_container_was_created_starts_it_and_carries_on()
    {
        Assert.Equal("""
            #1 service:web:1, StartContainer, interrupted update (0000 -> HASH) resumed: the new container was created but not started
                on failure: RemoveContainer id-next
            #2 service:web:1, WaitHealthy, new container must be healthy within 60s before the old one goes (after #1)
                on failure: RemoveContainer id-next
            #3 container:g-web-1, StopContainer, replaced by a start-first update (after #2)
            #4 container:g-web-1, RemoveContainer, replaced by a start-first update (after #3)
            #5 service:web:1, RenameContainer, takes the name g-web-1 (after #4)
            """, Plan(StartFirst, [Old(StartFirst), Next(StartFirst, ContainerState.Created, HealthState.None)]));
    }

    [Fact]
    public void Start_first_killed_while_waiting_for_health_waits_again()
    {
        Assert.Equal("""
            #1 service:web:1, WaitHealthy, new container must be healthy within 60s before the old one goes
                on failure: RemoveContainer id-next
            #2 container:g-web-1, StopContainer, replaced by a start-first update (after #1)
            #3 container:g-web-1, RemoveContainer, replaced by a start-first update (after #2)
            #4 service:web:1, RenameContainer, takes the name g-web-1 (after #3)
            """, Plan(StartFirst, [Old(StartFirst), Next(StartFirst, ContainerState.Running, HealthState.Starting)]));
    }

    [Fact]
    public void A_healthy_new_container_is_promoted_and_the_old_one_removed()
    {
        Assert.Equal("""
            #1 container:g-web-1, StopContainer, replaced by a start-first update
            #2 container:g-web-1, RemoveContainer, replaced by a start-first update (after #1)
            #3 service:web:1, RenameContainer, takes the name g-web-1 (after #2)
            """, Plan(StartFirst, [Old(StartFirst), Next(StartFirst, ContainerState.Running, HealthState.Healthy)]));
        Assert.Equal("""
            #1 container:g-web-1, RemoveContainer, replaced by a start-first update
            #2 service:web:1, RenameContainer, takes the name g-web-1 (after #1)
            """, Plan(StartFirst, [Old(StartFirst, ContainerState.Exited), Next(StartFirst, ContainerState.Running, HealthState.Healthy)]));
    }

    [Fact]
    public void A_new_container_left_alone_under_its_temporary_name_takes_the_name()
    {
        var plan = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(StartFirst),
            Observed(Next(StartFirst, ContainerState.Running, HealthState.Healthy)), Labels, Now));
        Assert.Equal("#1 container:g-web-1-next, RenameContainer, takes back the name g-web-1 after an interrupted update", plan.ToString());
        Assert.Equal("g-web-1", plan.Operations[0].NewName); // never an empty name
        Assert.Equal("id-next", plan.Operations[0].Target);
    }

    [Theory]
    [InlineData(ContainerState.Exited, "exited")]
    [InlineData(ContainerState.Dead, "dead")]
    [InlineData(ContainerState.Restarting, "restarting")]
    public void A_new_container_that_stopped_running_is_removed_and_the_old_one_keeps_serving(ContainerState state, string said)
    {
        var remove = $"container:g-web-1-next, RemoveContainer, interrupted update (0000 -> HASH) rolled back: the new container is {said}";
        var expected = state == ContainerState.Restarting
            ? $"#1 container:g-web-1-next, StopContainer, interrupted update (0000 -> HASH) rolled back: the new container is {said}\n#2 {remove} (after #1)"
            : "#1 " + remove;
        Assert.Equal(expected, Plan(StartFirst, [Old(StartFirst), Next(StartFirst, state, HealthState.None)]));
    }

    [Fact]
    public void An_unhealthy_new_container_goes_through_the_health_gate_again()
    {
        Assert.Equal("""
            #1 service:web:1, WaitHealthy, new container must be healthy within 60s before the old one goes
                on failure: RemoveContainer id-next
            #2 container:g-web-1, StopContainer, replaced by a start-first update (after #1)
            #3 container:g-web-1, RemoveContainer, replaced by a start-first update (after #2)
            #4 service:web:1, RenameContainer, takes the name g-web-1 (after #3)
            """, Plan(StartFirst, [Old(StartFirst), Next(StartFirst, ContainerState.Running, HealthState.Unhealthy)]));
    }

    [Fact]
    public void Both_stopped_by_the_engine_with_a_failed_new_one_restores_and_starts_the_old_one()
    {
        Assert.Equal("""
            #1 container:g-web-1-next, RemoveContainer, interrupted update (0000 -> HASH) rolled back: the new container is exited
            #2 container:g-web-1, StartContainer, rollback: the previous spec runs again (after #1)
            """, Plan(StartFirst, [Old(StartFirst, ContainerState.Exited), Next(StartFirst, ContainerState.Exited, HealthState.None)]));
    }

    [Fact]
    public void A_new_container_of_an_update_already_rolled_back_is_removed_and_not_retried()
    {
        Assert.Equal("""
            #1 container:g-web-1-next, StopContainer, the update (0000 -> HASH) was rolled back
            #2 container:g-web-1-next, RemoveContainer, the update (0000 -> HASH) was rolled back (after #1)
            held: g-web-1: the update to spec HASH was rolled back; it is not retried until the manifest changes
            """, Plan(StartFirst, [Old(StartFirst), Next(StartFirst, ContainerState.Running, HealthState.Starting)],
            i => i with { FailedUpdates = new HashSet<string> { $"web@{Hash(StartFirst)}" } }));
    }

    [Fact]
    public void Suspending_during_an_update_removes_the_new_container_and_stops_the_old_one()
    {
        Assert.Equal("""
            #1 container:g-web-1-next, StopContainer, group is suspended during an update (0000 -> HASH)
            #2 container:g-web-1-next, RemoveContainer, group is suspended during an update (0000 -> HASH) (after #1)
            #3 container:g-web-1, StopContainer, group is suspended
            """, Plan(StartFirst, [Old(StartFirst), Next(StartFirst, ContainerState.Running, HealthState.Healthy)], i => i with { Suspended = true }));
    }

    [Fact]
    public void A_new_container_of_an_older_manifest_is_removed_before_the_name_is_reused()
    {
        Assert.Equal("""
            #1 container:g-web-1-next, StopContainer, duplicate of replica 1
            #2 container:g-web-1-next, RemoveContainer, duplicate of replica 1 (after #1)
            #3 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #4 service:web:1, CreateContainer, spec changed (0000 -> HASH), start-first (after #2,#3)
            #5 service:web:1, StartContainer, new container of a start-first update (after #4)
                on failure: RemoveContainer g-web-1-next
            #6 service:web:1, WaitHealthy, new container must be healthy within 60s before the old one goes (after #5)
                on failure: RemoveContainer g-web-1-next
            #7 container:g-web-1, StopContainer, replaced by a start-first update (after #6)
            #8 container:g-web-1, RemoveContainer, replaced by a start-first update (after #7)
            #9 service:web:1, RenameContainer, takes the name g-web-1 (after #8)
            """, Plan(StartFirst, [Old(StartFirst), Next(StartFirst, ContainerState.Running, HealthState.Starting) with { SpecHash = "1111" }]));
    }

    /// <summary>probe-15n F9: a stop-first update stuck with X stopped and X-next created (it could not start), then the
    /// manifest reverted. X has the desired spec: it is kept and started, never removed for the abandoned X-next.</summary>
    [Theory]
    [InlineData(ContainerState.Created, HealthState.None)]
    [InlineData(ContainerState.Exited, HealthState.None)]
    [InlineData(ContainerState.Running, HealthState.Starting)]
    public void A_manifest_reverted_during_an_update_keeps_the_old_container_of_the_desired_spec_and_removes_the_new_one(ContainerState state, HealthState health)
    {
        var old = Running(StopFirstWithRollback, 1) with { Id = "id-old", State = ContainerState.Exited };
        var abandoned = Next(StopFirstWithRollback, state, health) with { SpecHash = "1111", UpdateFrom = Hash(StopFirstWithRollback) };
        var remove = "container:g-web-1-next, RemoveContainer, manifest reverted to HASH during the update (HASH -> 1111): the new container is no longer wanted";
        var removal = state == ContainerState.Running
            ? $"#1 container:g-web-1-next, StopContainer, manifest reverted to HASH during the update (HASH -> 1111): the new container is no longer wanted\n#2 {remove} (after #1)\n"
            : $"#1 {remove}\n";
        var start = state == ContainerState.Running ? "#3" : "#2";
        var after = state == ContainerState.Running ? "#2" : "#1";
        Assert.Equal(removal + $"{start} container:g-web-1, StartContainer, rollback: the previous spec runs again (after {after})",
            Plan(StopFirstWithRollback, [old, abandoned]));
        // Whatever order the engine lists them in.
        Assert.Equal(Plan(StopFirstWithRollback, [old, abandoned]), Plan(StopFirstWithRollback, [abandoned, old]));
    }

    [Fact]
    public void An_update_there_and_back_tells_old_from_new_by_the_name_when_each_names_the_others_hash()
    {
        // X was itself made by an update from 1111; its update back to 1111 was interrupted, then the manifest reverted.
        var old = Running(StopFirstWithRollback, 1) with { Id = "id-old", State = ContainerState.Exited, UpdateFrom = "1111" };
        var abandoned = Next(StopFirstWithRollback, ContainerState.Created, HealthState.None) with { SpecHash = "1111", UpdateFrom = Hash(StopFirstWithRollback) };
        Assert.Equal("""
            #1 container:g-web-1-next, RemoveContainer, manifest reverted to HASH during the update (HASH -> 1111): the new container is no longer wanted
            #2 container:g-web-1, StartContainer, rollback: the previous spec runs again (after #1)
            """, Plan(StopFirstWithRollback, [old, abandoned]));
        // The same labels the other way round (the desired one under the temporary name) are an update to HASH that failed.
        Assert.StartsWith("#1 container:g-web-1-next, RemoveContainer, interrupted update (1111 -> HASH) rolled back: the new container is exited",
            Plan(StopFirstWithRollback, [old with { Name = "g-web-1-next" }, abandoned with { Name = "g-web-1" }]));
    }

    [Fact]
    public void Two_containers_of_the_desired_spec_keep_the_one_with_the_name()
    {
        Assert.Equal("""
            #1 container:g-web-1-next, StopContainer, duplicate of replica 1
            #2 container:g-web-1-next, RemoveContainer, duplicate of replica 1 (after #1)
            """, Plan(StartFirst, [Running(StartFirst, 1) with { Health = HealthState.Healthy }, Next(StartFirst, ContainerState.Running, HealthState.Healthy)]));
    }

    [Fact]
    public void Stop_first_with_rollback_keeps_the_name_on_the_stopped_old_container_until_the_new_one_is_healthy()
    {
        Assert.Equal("""
            #1 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #2 container:g-web-1, StopContainer, spec changed (0000 -> HASH), stop-first (after #1)
            #3 service:web:1, CreateContainer, spec changed (0000 -> HASH), stop-first (after #1,#2)
            #4 service:web:1, StartContainer, new container of a stop-first update (after #3)
                on failure: RemoveContainer g-web-1-next; StartContainer id-old
            #5 service:web:1, WaitHealthy, new container must be healthy within 60s before the old one goes (after #4)
                on failure: RemoveContainer g-web-1-next; StartContainer id-old
            #6 container:g-web-1, RemoveContainer, replaced by a stop-first update (after #5)
            #7 service:web:1, RenameContainer, takes the name g-web-1 (after #6)
            """, Plan(StopFirstWithRollback, [Old(StopFirstWithRollback)]));
    }

    [Fact]
    public void A_stop_first_update_stops_serving_replicas_and_a_start_first_one_does_not()
    {
        PlanInput Input(ServiceSpec s) => new(new ObjectKey("ServiceGroup", "g"), Group(s), Observed([Old(s)]), Labels, Now);
        Assert.True(Planner.PlanGroup(Input(StopFirstWithRollback)).StopsServingReplicas);
        Assert.True(Planner.PlanGroup(Input(Service("web", 1, s => s.StopFirst(rollback: false)))).StopsServingReplicas);
        Assert.False(Planner.PlanGroup(Input(StartFirst)).StopsServingReplicas);
    }

    [Fact]
    public void Stop_first_killed_after_the_stop_carries_on_without_stopping_again()
    {
        Assert.Equal("""
            #1 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #2 service:web:1, CreateContainer, spec changed (0000 -> HASH), stop-first (after #1)
            #3 service:web:1, StartContainer, new container of a stop-first update (after #2)
                on failure: RemoveContainer g-web-1-next; StartContainer id-old
            #4 service:web:1, WaitHealthy, new container must be healthy within 60s before the old one goes (after #3)
                on failure: RemoveContainer g-web-1-next; StartContainer id-old
            #5 container:g-web-1, RemoveContainer, replaced by a stop-first update (after #4)
            #6 service:web:1, RenameContainer, takes the name g-web-1 (after #5)
            """, Plan(StopFirstWithRollback, [Old(StopFirstWithRollback, ContainerState.Exited)]));
    }

    [Fact]
    public void Stop_first_killed_while_waiting_restarts_the_old_container_if_the_new_one_fails()
    {
        Assert.Equal("""
            #1 service:web:1, WaitHealthy, new container must be healthy within 60s before the old one goes
                on failure: RemoveContainer id-next; StartContainer id-old
            #2 container:g-web-1, RemoveContainer, replaced by a stop-first update (after #1)
            #3 service:web:1, RenameContainer, takes the name g-web-1 (after #2)
            """, Plan(StopFirstWithRollback, [Old(StopFirstWithRollback, ContainerState.Exited), Next(StopFirstWithRollback, ContainerState.Running, HealthState.Starting)]));
        Assert.Equal("""
            #1 container:g-web-1-next, RemoveContainer, interrupted update (0000 -> HASH) rolled back: the new container is exited
            #2 container:g-web-1, StartContainer, rollback: the previous spec runs again (after #1)
            """, Plan(StopFirstWithRollback, [Old(StopFirstWithRollback, ContainerState.Exited), Next(StopFirstWithRollback, ContainerState.Exited, HealthState.None)]));
    }

    [Fact]
    public void Stop_first_old_container_restarted_by_the_engine_is_stopped_again_before_the_update_carries_on()
    {
        Assert.Equal("""
            #1 container:g-web-1, StopContainer, interrupted update (0000 -> HASH) resumed, stop-first
            #2 service:web:1, WaitHealthy, new container must be healthy within 60s before the old one goes (after #1)
                on failure: RemoveContainer id-next; StartContainer id-old
            #3 container:g-web-1, RemoveContainer, replaced by a stop-first update (after #2)
            #4 service:web:1, RenameContainer, takes the name g-web-1 (after #3)
            """, Plan(StopFirstWithRollback, [Old(StopFirstWithRollback), Next(StopFirstWithRollback, ContainerState.Running, HealthState.Starting)]));
    }

    // Earlier agents renamed the old container X-prev and created the new one as X; both are recognised by their labels.
    [Fact]
    public void A_prev_container_of_an_earlier_agent_is_removed_once_its_replacement_is_healthy()
    {
        var replacement = Next(StopFirstWithRollback, ContainerState.Running, HealthState.Healthy, "g-web-1") with { UpdateFrom = null };
        Assert.Equal("#1 container:g-web-1-prev, RemoveContainer, replaced by a stop-first update",
            Plan(StopFirstWithRollback, [Old(StopFirstWithRollback, ContainerState.Exited, "g-web-1-prev"), replacement]));
    }

    [Fact]
    public void A_prev_container_whose_replacement_failed_is_restored_under_its_name()
    {
        var replacement = Next(StopFirstWithRollback, ContainerState.Exited, HealthState.None, "g-web-1") with { UpdateFrom = null };
        Assert.Equal("""
            #1 container:g-web-1, RemoveContainer, interrupted update (0000 -> HASH) rolled back: the new container is exited
            #2 container:g-web-1-prev, RenameContainer, rollback: the previous container takes its name back (after #1)
            #3 container:g-web-1-prev, StartContainer, rollback: the previous spec runs again (after #1)
            """, Plan(StopFirstWithRollback, [Old(StopFirstWithRollback, ContainerState.Exited, "g-web-1-prev"), replacement]));
        var starting = replacement with { State = ContainerState.Running, Health = HealthState.Starting };
        Assert.Equal("""
            #1 service:web:1, WaitHealthy, new container must be healthy within 60s before the old one goes
                on failure: RemoveContainer id-next; RenameContainer id-old -> g-web-1; StartContainer id-old
            #2 container:g-web-1-prev, RemoveContainer, replaced by a stop-first update (after #1)
            """, Plan(StopFirstWithRollback, [Old(StopFirstWithRollback, ContainerState.Exited, "g-web-1-prev"), starting]));
    }

    [Fact]
    public void A_prev_container_left_alone_is_updated_without_waiting_for_its_name()
    {
        Assert.Equal("""
            #1 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #2 service:web:1, CreateContainer, spec changed (0000 -> HASH), stop-first (after #1)
            #3 service:web:1, StartContainer, new container of a stop-first update (after #2)
                on failure: RemoveContainer g-web-1-next; RenameContainer id-old -> g-web-1; StartContainer id-old
            #4 service:web:1, WaitHealthy, new container must be healthy within 60s before the old one goes (after #3)
                on failure: RemoveContainer g-web-1-next; RenameContainer id-old -> g-web-1; StartContainer id-old
            #5 container:g-web-1-prev, RemoveContainer, replaced by a stop-first update (after #4)
            #6 service:web:1, RenameContainer, takes the name g-web-1 (after #5)
            """, Plan(StopFirstWithRollback, [Old(StopFirstWithRollback, ContainerState.Exited, "g-web-1-prev")]));
    }

    [Fact]
    public void Plain_stop_first_killed_after_the_stop_removes_and_recreates()
    {
        Assert.Equal("""
            #1 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #2 container:g-web-1, RemoveContainer, spec changed (0000 -> HASH) (after #1)
            #3 service:web:1, CreateContainer, spec changed (0000 -> HASH) (after #2)
            #4 service:web:1, StartContainer, created (after #3)
            """, Plan(StopFirst, [Old(StopFirst, ContainerState.Exited)]));
        Assert.Equal("#1 container:g-web-1, StartContainer, created but not started",
            Plan(StopFirst, [Running(StopFirst, 1) with { State = ContainerState.Created }]));
    }

    [Fact]
    public void A_deleted_manifest_removes_the_new_container_of_an_update_too()
    {
        Assert.Equal("""
            #1 container:g-web-1, StopContainer, manifest deleted
            #2 container:g-web-1, RemoveContainer, manifest deleted (after #1)
            #3 container:g-web-1-next, StopContainer, manifest deleted
            #4 container:g-web-1-next, RemoveContainer, manifest deleted (after #3)
            #5 network:g_default, RemoveNetwork, manifest deleted (after #2,#4)
            """, PlanText(null, Observed(Old(StartFirst), Next(StartFirst, ContainerState.Running, HealthState.Starting))));
    }

    [Fact]
    public void The_new_container_is_labelled_with_the_hash_it_replaces_and_no_role_that_its_promotion_would_falsify()
    {
        var plan = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(StartFirst), Observed(Old(StartFirst)), Labels, Now));
        var create = plan.Operations.Single(o => o.Kind == OperationKind.CreateContainer);
        Assert.Equal("g-web-1-next", create.Target);
        Assert.DoesNotContain(create.Labels!, l => l.Key == "agent.update-role");
        Assert.Equal("0000", create.Labels![Labels.UpdateFrom]);
        Assert.Equal(Hash(StartFirst), create.Labels[Labels.SpecHash]);
    }

    public static TheoryData<string, HealthState> Rollouts() => new()
    {
        { "start-first with rollback", HealthState.Healthy },
        { "start-first with rollback", HealthState.Unhealthy },
        { "stop-first with rollback", HealthState.Healthy },
        { "stop-first with rollback", HealthState.Unhealthy },
        { "start-first", HealthState.None },
        { "stop-first", HealthState.None },
    };

    /// <summary>
    /// Every prefix of an update's plan (the agent killed after any step), with and without the engine stopping every
    /// container on top: a new agent, which remembers nothing, converges in a few plans to one container per replica,
    /// under its own name, running: the new spec when it is healthy, the old one (rolled back) when it is not.
    /// </summary>
    [Theory]
    [MemberData(nameof(Rollouts))]
    public void An_update_interrupted_after_any_step_is_finished_or_rolled_back(string rollout, HealthState newHealth)
    {
        var web = Service("web", 2, s =>
        {
            if (newHealth != HealthState.None) s.Healthy();
            if (rollout.StartsWith("start-first", StringComparison.Ordinal)) s.StartFirst(rollout.EndsWith("rollback", StringComparison.Ordinal));
            else s.StopFirst(rollout.EndsWith("rollback", StringComparison.Ordinal));
        });
        var hash = Hash(web);
        var expectedHash = newHealth == HealthState.Unhealthy ? "0000" : hash;
        PlanInput Input(EngineModel engine) => new(new ObjectKey("ServiceGroup", "g"), Group(web), engine.Observed, Labels, Now) { FailedUpdates = engine.RolledBack };

        EngineModel Started() => new(Labels, hash, newHealth)
        {
            Containers = { Running(web, 1, "0000") with { Health = HealthState.Healthy }, Running(web, 2, "0000") with { Health = HealthState.Healthy } },
        };
        var steps = Planner.PlanGroup(Input(Started())).Operations.Count;
        Assert.True(steps >= 5); // a plain stop-first updates one replica per plan: image check, stop, remove, create, start

        for (var killedAfter = 0; killedAfter <= steps; killedAfter++)
        foreach (var engineStopped in new[] { false, true })
        {
            var engine = Started();
            engine.Run(Planner.PlanGroup(Input(engine)), killedAfter);
            if (engineStopped) engine.StopEverything();
            engine.RolledBack.Clear(); // a new agent process remembers nothing

            var plans = 0;
            for (; plans < 6; plans++)
            {
                var plan = Planner.PlanGroup(Input(engine));
                if (plan.IsEmpty) break;
                engine.Run(plan);
            }
            var where = $"{rollout}, killed after step {killedAfter}{(engineStopped ? ", engine stopped" : "")}";
            Assert.True(plans < 6, $"{where}: still planning: {Planner.PlanGroup(Input(engine))}");
            var state = string.Join(", ", engine.Containers.OrderBy(c => c.Name).Select(c => $"{c.Name} {c.State} {(c.SpecHash == hash ? "new" : c.SpecHash)}"));
            var expected = $"g-web-1 Running {(expectedHash == hash ? "new" : expectedHash)}, g-web-2 Running {(expectedHash == hash ? "new" : expectedHash)}";
            Assert.True(expected == state, $"{where}: expected {expected}, got {state}");
        }
    }

    /// <summary>
    /// probe-15n F7: a new container the engine cannot start (its host port held) is a failed attempt. With rollbackOnFailure,
    /// wherever the agent was killed, the old spec ends up running under its name, nothing else left, and the spec rolled
    /// back (not retried); start-first without it keeps the old one serving and leaves no new container behind.
    /// </summary>
    [Theory]
    [InlineData("stop-first with rollback")]
    [InlineData("start-first with rollback")]
    [InlineData("start-first")]
    public void A_new_container_that_cannot_start_leaves_the_old_one_serving_after_any_interruption(string rollout)
    {
        var rollback = rollout.EndsWith("rollback", StringComparison.Ordinal);
        var web = Service("web", 2, s =>
        {
            if (rollback) s.Healthy();
            if (rollout.StartsWith("start-first", StringComparison.Ordinal)) s.StartFirst(rollback);
            else s.StopFirst(rollback);
        });
        var hash = Hash(web);
        PlanInput Input(EngineModel engine) => new(new ObjectKey("ServiceGroup", "g"), Group(web), engine.Observed, Labels, Now) { FailedUpdates = engine.RolledBack };
        EngineModel Started() => new(Labels, hash, HealthState.Healthy, newSpecStarts: false)
        {
            Containers = { Running(web, 1, "0000") with { Health = HealthState.Healthy }, Running(web, 2, "0000") with { Health = HealthState.Healthy } },
        };
        var steps = Planner.PlanGroup(Input(Started())).Operations.Count;

        for (var killedAfter = 0; killedAfter <= steps; killedAfter++)
        {
            var engine = Started();
            engine.Run(Planner.PlanGroup(Input(engine)), killedAfter);
            engine.RolledBack.Clear(); // a new agent process remembers nothing
            for (var plans = 0; plans < 4; plans++) engine.Run(Planner.PlanGroup(Input(engine)));

            var where = $"{rollout}, killed after step {killedAfter}";
            var state = string.Join(", ", engine.Containers.OrderBy(c => c.Name).Select(c => $"{c.Name} {c.State} {c.SpecHash}"));
            Assert.True(state == "g-web-1 Running 0000, g-web-2 Running 0000", $"{where}: got {state}");
            Assert.Equal(rollback ? [$"web@{hash}"] : [], engine.RolledBack);
            if (rollback) Assert.True(Planner.PlanGroup(Input(engine)).IsEmpty, $"{where}: the rolled-back spec is tried again");
        }
    }

    [Fact]
    public void A_cold_converge_or_a_teardown_interrupted_after_any_step_completes()
    {
        var web = Service("web", 3);
        var hash = Hash(web);
        var cold = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(web), ObservedState.Empty, Labels, Now));
        for (var killedAfter = 0; killedAfter <= cold.Operations.Count; killedAfter++)
        {
            var engine = new EngineModel(Labels, hash, HealthState.None);
            engine.Run(cold, killedAfter);
            var recovery = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(web), engine.Observed, Labels, Now));
            engine.Run(recovery);
            Assert.Equal(["g-web-1 Running", "g-web-2 Running", "g-web-3 Running"], engine.Containers.Select(c => $"{c.Name} {c.State}").Order());
            Assert.True(Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(web), engine.Observed, Labels, Now)).IsEmpty);
        }

        var converged = new EngineModel(Labels, hash, HealthState.None) { Containers = { Running(web, 1), Running(web, 2), Running(web, 3) } };
        var teardown = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), null, converged.Observed, Labels, Now));
        for (var killedAfter = 0; killedAfter <= teardown.Operations.Count; killedAfter++)
        {
            var engine = new EngineModel(Labels, hash, HealthState.None) { Containers = { Running(web, 1), Running(web, 2), Running(web, 3) } };
            engine.Run(teardown, killedAfter);
            engine.Run(Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), null, engine.Observed, Labels, Now)));
            Assert.Empty(engine.Containers);
        }
    }

    /// <summary>probe-35: an update interrupted (its new container, X-next, made) and the manifest edited again before it
    /// finished: the X-next left was updated under its temporary name, so the new update's create of X-next hit the name
    /// it held, 409 for ever, and under stop-first the service stayed down. Whatever step the first update reached, the
    /// replica ends as one container, X, on the latest spec.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_update_interrupted_at_any_step_then_edited_again_ends_on_the_latest_spec_under_the_replica_name(bool startFirst)
    {
        var v1 = Service("web", 1, s => { if (startFirst) s.Healthy().StartFirst(rollback: true); else s.Healthy().StopFirst(rollback: true); });
        var v2 = v1 with { Container = v1.Container with { Image = "busybox:2" } };
        var v3 = v1 with { Container = v1.Container with { Image = "busybox:3" } };
        PlanInput Input(ServiceSpec s, ObservedState observed) => new(new("ServiceGroup", "g"), Group(s), observed, Labels, Now);
        var toV2 = Planner.PlanGroup(Input(v2, Observed(Running(v1, 1) with { Name = "g-web-1" })));
        for (var killedAfter = 0; killedAfter <= toV2.Operations.Count; killedAfter++)
        {
            var engine = new EngineModel(Labels, Hash(v3), HealthState.Healthy) { Containers = { Running(v1, 1) with { Name = "g-web-1" } } };
            engine.Run(toV2, killedAfter);
            var seen = string.Join(", ", engine.Containers.Select(c => $"{c.Name} {c.State}"));
            for (var round = 0; round < 4; round++)
            {
                var plan = Planner.PlanGroup(Input(v3, engine.Observed));
                if (plan.IsEmpty) break;
                engine.Run(plan);
            }
            var left = Assert.Single(engine.Containers);
            Assert.True((left.Name, left.State, left.SpecHash) == ("g-web-1", ContainerState.Running, Hash(v3)),
                $"killed after {killedAfter} (left {seen}): {left.Name} {left.State} {(left.SpecHash == Hash(v3) ? "v3" : left.SpecHash == Hash(v2) ? "v2" : "v1")}");
        }
    }
}
