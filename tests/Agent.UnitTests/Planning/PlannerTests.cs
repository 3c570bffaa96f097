using Agent.Core.Model;
using Agent.Core.Planning;

using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Planning;

/// <summary>Convergence scenarios without an engine: given these containers and this manifest, expect these operations and causes.</summary>
public sealed class PlannerTests
{
    [Fact]
    public void Empty_engine_creates_network_volume_and_every_replica()
    {
        var web = Service("web", 2, s => s.Volume("data", "/data"));
        var group = GroupWith(new ServiceGroupSpec
        {
            Services = [web],
            Volumes = new Dictionary<string, VolumeSpec> { ["data"] = new("g_data", "local", new Dictionary<string, string>()) },
        });
        Assert.Equal("""
            #1 network:g_default, CreateNetwork, network missing
            #2 volume:g_data, CreateVolume, volume missing
            #3 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #4 service:web:1, CreateContainer, no existing container (after #1,#2,#3)
            #5 service:web:1, StartContainer, created (after #4)
            #6 service:web:2, CreateContainer, no existing container (after #1,#2,#3)
            #7 service:web:2, StartContainer, created (after #6)
            """, PlanText(group, ObservedState.Empty));
    }

    [Fact]
    public void A_group_whose_services_all_set_a_network_mode_creates_no_network()
    {
        var web = Service("web") is var s ? s with { Container = s.Container with { NetworkMode = "none" } } : null!;
        Assert.Equal("""
            #1 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #2 service:web:1, CreateContainer, no existing container (after #1)
            #3 service:web:1, StartContainer, created (after #2)
            """, PlanText(Group(web), ObservedState.Empty));
    }

    [Fact]
    public void Services_sharing_an_image_each_keep_their_own_pull_policy_whatever_their_order()
    {
        // probe-61: the first service's imagePullPolicy decided for both; a pull the other asked for, failing offline,
        // failed the first service too. One check per image and policy: each create waits on its own.
        ServiceSpec With(string name, PullPolicy policy) => Service(name) is var s ? s with { Container = s.Container with { ImagePullPolicy = policy } } : null!;
        var (local, pulled, plain) = (With("local", PullPolicy.Never), With("pulled", PullPolicy.Always), With("plain", PullPolicy.IfNotPresent));
        Assert.Equal("""
            #1 network:g_default, CreateNetwork, network missing
            #2 image:busybox:1.35, EnsureImage, imagePullPolicy Never
            #3 service:local:1, CreateContainer, no existing container (after #1,#2)
            #4 service:local:1, StartContainer, created (after #3)
            #5 image:busybox:1.35, EnsureImage, imagePullPolicy Always
            #6 service:pulled:1, CreateContainer, no existing container (after #1,#5)
            #7 service:pulled:1, StartContainer, created (after #6)
            #8 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #9 service:plain:1, CreateContainer, no existing container (after #1,#8)
            #10 service:plain:1, StartContainer, created (after #9)
            """, PlanText(Group(local, pulled, plain), ObservedState.Empty));
        var swapped = PlanText(Group(pulled, With("local2", PullPolicy.Never), With("pulled2", PullPolicy.Always)), ObservedState.Empty);
        Assert.Contains("#2 image:busybox:1.35, EnsureImage, imagePullPolicy Always", swapped);
        Assert.Contains("#5 image:busybox:1.35, EnsureImage, imagePullPolicy Never", swapped);
        Assert.Contains("#6 service:local2:1, CreateContainer, no existing container (after #1,#5)", swapped);
        Assert.Contains("#8 service:pulled2:1, CreateContainer, no existing container (after #1,#2)", swapped); // one pull per policy
    }

    [Fact]
    public void An_image_check_carries_its_pull_policy_and_says_it_in_the_words_of_its_manifest()
    {
        // The executor acts on the policy the operation carries, not on its cause text; a compose file's own words.
        ServiceSpec With(string name, PullPolicy policy) => Service(name) is var s ? s with { Container = s.Container with { ImagePullPolicy = policy } } : null!;
        var group = Group(With("local", PullPolicy.Never), With("pulled", PullPolicy.Always), With("plain", PullPolicy.IfNotPresent));
        var project = group with { Compose = new ComposeOrigin("/srv/g", ["/srv/g/compose.yaml"], false) };
        var checks = Planner.PlanGroup(new PlanInput(project.Key, project, ObservedState.Empty, Labels, Now)).Operations
            .Where(o => o.Kind == OperationKind.EnsureImage).Select(o => (o.PullPolicy, o.Cause)).ToList();
        Assert.Equal([(PullPolicy.Never, "pull_policy never"), (PullPolicy.Always, "pull_policy always"), (PullPolicy.IfNotPresent, "pull_policy missing")], checks);
        Assert.Equal([PullPolicy.Never, PullPolicy.Always, PullPolicy.IfNotPresent],
            Planner.PlanGroup(new PlanInput(group.Key, group, ObservedState.Empty, Labels, Now)).Operations.Where(o => o.Kind == OperationKind.EnsureImage).Select(o => o.PullPolicy));
    }

    [Fact]
    public void Matching_containers_plan_nothing()
    {
        var web = Service("web", 2);
        Assert.Equal("", PlanText(Group(web), Observed(Running(web, 1), Running(web, 2))));
    }

    [Fact]
    public void A_changed_spec_recreates_stop_first_by_default()
    {
        var web = Service("web");
        Assert.Equal("""
            #1 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #2 container:g-web-1, StopContainer, spec changed (0000 -> HASH), stop-first (after #1)
            #3 container:g-web-1, RemoveContainer, spec changed (0000 -> HASH) (after #2)
            #4 service:web:1, CreateContainer, spec changed (0000 -> HASH) (after #3)
            #5 service:web:1, StartContainer, created (after #4)
            """.Replace("HASH", Hash(web)), PlanText(Group(web), Observed(Running(web, 1, "0000"))));
    }

    [Fact]
    public void An_update_rolls_one_replica_at_a_time_so_the_others_serve_meanwhile()
    {
        // probe-63 M2: a stop-first update stopped all three replicas in the same second. Without a health gate one replica
        // is updated per plan, and the next only once it has run for RollMonitor without failing.
        var web = Service("web", 3);
        var hash = Hash(web);
        var plan = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(web), Observed(Running(web, 1, "0000"), Running(web, 2, "0000"), Running(web, 3, "0000")), Labels, Now));
        Assert.Equal("""
            #1 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #2 container:g-web-1, StopContainer, spec changed (0000 -> HASH), stop-first (after #1)
            #3 container:g-web-1, RemoveContainer, spec changed (0000 -> HASH) (after #2)
            #4 service:web:1, CreateContainer, spec changed (0000 -> HASH) (after #3)
            #5 service:web:1, StartContainer, created (after #4)
            """.Replace("HASH", hash), plan.ToString());
        Assert.Equal(TimeSpan.FromSeconds(5), plan.RequeueAfter);

        ObservedContainer Updated(TimeSpan age) => Running(web, 1) with { Created = Now - age };
        var young = PlanText(Group(web), Observed(Updated(TimeSpan.FromSeconds(2)), Running(web, 2, "0000"), Running(web, 3, "0000")));
        Assert.Equal("", young); // replica 1 has run 2 s: replica 2 waits
        var proven = PlanText(Group(web), Observed(Updated(TimeSpan.FromSeconds(6)), Running(web, 2, "0000"), Running(web, 3, "0000")));
        Assert.Contains("container:g-web-2, StopContainer, spec changed (0000 -> HASH), stop-first".Replace("HASH", hash), proven);
        Assert.DoesNotContain("g-web-3", proven);

        // Behind a health gate, the whole roll is one plan: each replica's update waits for the previous one's gate.
        var gated = Service("web", 2, s => s.Healthy().StartFirst(rollback: true));
        var chained = PlanText(Group(gated), Observed(Running(gated, 1, "0000"), Running(gated, 2, "0000")));
        Assert.Contains("#7 service:web:1, RenameContainer, takes the name g-web-1 (after #6)", chained);
        Assert.Contains("#8 service:web:2, CreateContainer, spec changed (0000 -> HASH), start-first (after #1,#7)".Replace("HASH", Hash(gated)), chained);

        // A plain stop-first of a service with a healthcheck recreates in place, with no gate in the apply: one replica per
        // plan, and the next once the new one is healthy.
        var checkedOnly = Service("web", 2, s => s.Healthy());
        var first = PlanText(Group(checkedOnly), Observed(Running(checkedOnly, 1, "0000"), Running(checkedOnly, 2, "0000")));
        Assert.DoesNotContain("g-web-2", first);
        ObservedContainer NewOne(HealthState health) => Running(checkedOnly, 1) with { Health = health, Created = Now - TimeSpan.FromMinutes(1) };
        Assert.Equal("", PlanText(Group(checkedOnly), Observed(NewOne(HealthState.Starting), Running(checkedOnly, 2, "0000"))));
        Assert.Contains("container:g-web-2, StopContainer", PlanText(Group(checkedOnly), Observed(NewOne(HealthState.Healthy), Running(checkedOnly, 2, "0000"))));

        // A preview (agent diff) shows every replica the roll will reach (probe-65 M4: replica 1 of 2 only), but not past
        // a replica on the new spec that fails.
        var preview = PlanText(Group(web), Observed(Running(web, 1, "0000"), Running(web, 2, "0000"), Running(web, 3, "0000")), i => i with { WholeRoll = true });
        Assert.All(new[] { "g-web-1", "g-web-2", "g-web-3" }, n => Assert.Contains($"container:{n}, StopContainer, spec changed", preview));
        var midRoll = PlanText(Group(web), Observed(Updated(TimeSpan.FromSeconds(2)), Running(web, 2, "0000"), Running(web, 3, "0000")), i => i with { WholeRoll = true });
        Assert.Contains("container:g-web-3, StopContainer", midRoll);
        var crashed = Updated(TimeSpan.FromSeconds(30)) with { State = ContainerState.Exited, ExitCode = 1 };
        Assert.DoesNotContain("g-web-2, StopContainer", PlanText(Group(web), Observed(crashed, Running(web, 2, "0000"), Running(web, 3, "0000")), i => i with { WholeRoll = true }));

        // A replica that is missing is made at once, whatever the roll.
        var partly = PlanText(Group(web), Observed(Updated(TimeSpan.FromMinutes(1)), Running(web, 3, "0000")));
        Assert.Contains("service:web:2, CreateContainer, no existing container", partly);
        Assert.Contains("container:g-web-3, StopContainer, spec changed (0000 -> HASH), stop-first (after #1)".Replace("HASH", hash), partly);
    }

    [Theory]
    [InlineData(ContainerState.Restarting, 3)]
    [InlineData(ContainerState.Exited, 1)]
    public void A_replica_on_the_new_spec_that_fails_stops_the_roll_and_the_others_keep_the_previous_spec(ContainerState state, int exitCode)
    {
        // probe-64: replica 1's new container crash-looped, and replicas 2 and 3 were replaced all the same (0/3 serving).
        var web = Service("web", 3);
        var failing = Running(web, 1) with { State = state, ExitCode = exitCode, Created = Now - TimeSpan.FromMinutes(1) };
        var plan = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(web), Observed(failing, Running(web, 2, "0000"), Running(web, 3, "0000")), Labels, Now));
        Assert.DoesNotContain(plan.Operations, o => o.ResourceId.Contains("web-2") || o.ResourceId.Contains("web-3") || o.ResourceId.Contains("web:2") || o.ResourceId.Contains("web:3"));
        var paused = Assert.Single(plan.Held, h => h.Reason == Hold.UpdatePaused && h.Message.StartsWith("g-web-2:", StringComparison.Ordinal));
        Assert.Contains($"g-web-1 on the new spec {Hash(web)} does not serve", paused.Message);
        Assert.Contains($"exit code {exitCode}", paused.Message);
        Assert.NotNull(plan.RequeueAfter);

        // A one-shot that completed on the new spec does not hold the roll.
        var completed = Running(web, 1) with { State = ContainerState.Exited, ExitCode = 0, Created = Now - TimeSpan.FromMinutes(1) };
        Assert.Contains("container:g-web-2, StopContainer", PlanText(Group(web), Observed(completed, Running(web, 2, "0000"), Running(web, 3, "0000"))));
    }

    [Fact]
    public void A_recreate_stops_the_old_container_only_after_the_new_ones_volume_and_network_exist()
    {
        var before = Service("web");
        var web = Service("web", 1, s => s.Volume("data", "/data"));
        var group = GroupWith(new ServiceGroupSpec
        {
            Services = [web],
            Volumes = new Dictionary<string, VolumeSpec> { ["data"] = new("g_data", "local", new Dictionary<string, string>()) },
        });
        var noNetwork = Observed(Running(before, 1, "0000")) with { Networks = [] };
        Assert.Equal("""
            #1 network:g_default, CreateNetwork, network missing
            #2 volume:g_data, CreateVolume, volume missing
            #3 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #4 container:g-web-1, StopContainer, spec changed (0000 -> HASH), stop-first (after #1,#2,#3)
            #5 container:g-web-1, RemoveContainer, spec changed (0000 -> HASH) (after #4)
            #6 service:web:1, CreateContainer, spec changed (0000 -> HASH) (after #1,#2,#5)
            #7 service:web:1, StartContainer, created (after #6)
            """.Replace("HASH", Hash(web)), PlanText(group, noNetwork));
    }

    [Fact]
    public void Start_first_with_a_healthcheck_waits_for_health_before_removing_the_old_container()
    {
        var web = Service("web", 1, s => s.Healthy().StartFirst(rollback: true));
        var plan = Planner.PlanGroup(new PlanInput(new("ServiceGroup", "g"), Group(web), Observed(Running(web, 1, "0000")), Labels, Now));
        Assert.Equal("""
            #1 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #2 service:web:1, CreateContainer, spec changed (0000 -> HASH), start-first (after #1)
            #3 service:web:1, StartContainer, new container of a start-first update (after #2)
            #4 service:web:1, WaitHealthy, new container must be healthy within 60s before the old one goes (after #3)
            #5 container:g-web-1, StopContainer, replaced by a start-first update (after #4)
            #6 container:g-web-1, RemoveContainer, replaced by a start-first update (after #5)
            #7 service:web:1, RenameContainer, takes the name g-web-1 (after #6)
            """.Replace("HASH", Hash(web)), plan.ToString());
        var wait = plan.Operations[3];
        Assert.Equal($"web@{Hash(web)}", wait.RollbackOf);
        Assert.Equal("g-web-1-next", Assert.Single(wait.OnFailure).Target);
    }

    [Fact]
    public void After_a_restart_mid_roll_the_replica_in_its_gate_holds_the_others()
    {
        // probe-64 LOW 6: an agent killed while replica 1's new container was in its health gate replaced replicas 2 and 3
        // at once on its restart. The -next container is a replica on the new spec that does not serve yet.
        var web = Service("web", 3, s => s.Healthy().StartFirst(rollback: true));
        var inGate = Running(web, 1) with { Id = "id-web-1-next", Name = "g-web-1-next", Health = HealthState.Starting, UpdateFrom = "0000", Created = Now - TimeSpan.FromSeconds(3) };
        var plan = PlanText(Group(web), Observed(Running(web, 1, "0000"), inGate, Running(web, 2, "0000"), Running(web, 3, "0000")));
        Assert.Contains("service:web:1, WaitHealthy", plan);
        Assert.DoesNotContain("g-web-2", plan);
        Assert.DoesNotContain("g-web-3", plan);

        // Once it passed its gate and took the name, replica 2 goes next, and replica 3 only after it.
        var done = Running(web, 1) with { Health = HealthState.Healthy, Created = Now - TimeSpan.FromMinutes(1) };
        var next = PlanText(Group(web), Observed(done, Running(web, 2, "0000"), Running(web, 3, "0000")));
        Assert.Contains("service:web:2, CreateContainer", next);
        Assert.Contains("service:web:3, CreateContainer", next); // chained behind replica 2's gate in the same apply
        Assert.Matches(@"service:web:3, CreateContainer, [^\n]*\(after #1,#\d+\)", next);
    }

    [Fact]
    public void A_rolled_back_spec_is_not_retried_until_it_changes()
    {
        var web = Service("web", 1, s => s.Healthy().StartFirst(rollback: true));
        var text = PlanText(Group(web), Observed(Running(web, 1, "0000")), i => i with { FailedUpdates = new HashSet<string> { $"web@{Hash(web)}" } });
        Assert.Equal("", text);
    }

    [Fact]
    public void A_compose_project_that_is_down_removes_its_containers_and_network_and_keeps_its_volumes()
    {
        var web = Service("web", 1);
        var project = Group(web) with { Compose = new ComposeOrigin("/srv/g", ["/srv/g/compose.yaml"]) };
        var observed = Observed(Running(web, 1)) with { Volumes = new HashSet<string> { "g_data" } };
        Assert.Equal("""
            #1 container:g-web-1, StopContainer, project is down
            #2 container:g-web-1, RemoveContainer, project is down (after #1)
            #3 network:g_default, RemoveNetwork, project is down (after #2)
            """, PlanText(project, observed, i => i with { Suspended = true }));
    }

    [Fact]
    public void A_compose_project_down_with_volumes_also_removes_its_own_named_volumes_but_never_an_external_one()
    {
        var web = Service("web", 1);
        var project = Group(web) with
        {
            Compose = new ComposeOrigin("/srv/g", ["/srv/g/compose.yaml"]),
            Spec = Group(web).Spec with
            {
                Volumes = new SortedDictionary<string, VolumeSpec>(StringComparer.Ordinal)
                {
                    ["data"] = new("g_data", "local", new Dictionary<string, string>()),
                    ["shared"] = new("shared", "local", new Dictionary<string, string>()) { External = true },
                },
            },
        };
        var observed = Observed(Running(web, 1)) with { Volumes = new HashSet<string> { "g_data", "shared" } };
        Assert.Equal("""
            #1 container:g-web-1, StopContainer, project is down
            #2 container:g-web-1, RemoveContainer, project is down (after #1)
            #3 network:g_default, RemoveNetwork, project is down (after #2)
            #4 volume:g_data, RemoveVolume, project is down with volumes=true (after #2)
            """, PlanText(project, observed, i => i with { Suspended = true, RemoveVolumes = true }));
    }

    [Fact]
    public void Scaling_down_stops_then_removes_only_the_highest_replicas()
    {
        var web = Service("web", 1);
        Assert.Equal("""
            #1 container:g-web-3, StopContainer, scaled down to 1 replicas
            #2 container:g-web-3, RemoveContainer, scaled down to 1 replicas (after #1)
            #3 container:g-web-2, StopContainer, scaled down to 1 replicas
            #4 container:g-web-2, RemoveContainer, scaled down to 1 replicas (after #3)
            """, PlanText(Group(web), Observed(Running(web, 1), Running(web, 2), Running(web, 3))));
    }

    [Fact]
    public void Exited_containers_restart_according_to_their_policy()
    {
        var always = Service("always");
        var onFailure = Service("onfail", 1, s => s.Restart(RestartMode.OnFailure));
        var never = Service("never", 1, s => s.Restart(RestartMode.No));
        var plan = PlanText(Group(always, onFailure, never), Observed(
            Running(always, 1) with { State = ContainerState.Exited, ExitCode = 137 },
            Running(onFailure, 1) with { State = ContainerState.Exited, ExitCode = 0 },
            Running(never, 1) with { State = ContainerState.Exited, ExitCode = 1 }));
        Assert.Equal("#1 container:g-always-1, StartContainer, container exited with code 137, restart: always", plan);
    }

    [Fact]
    public void Crash_back_off_holds_the_start_and_requeues()
    {
        var web = Service("web");
        var input = new PlanInput(new("ServiceGroup", "g"), Group(web),
            Observed(Running(web, 1) with { State = ContainerState.Exited, ExitCode = 1, BackoffUntil = Now.AddSeconds(4) }), Labels, Now);
        var plan = Planner.PlanGroup(input);
        Assert.True(plan.IsEmpty);
        Assert.Equal(TimeSpan.FromSeconds(4), plan.RequeueAfter);
        var held = Assert.Single(plan.Held);
        Assert.Contains("crash loop back-off", held.Message);
        Assert.Equal("g-web-1", held.Container); // the BackOff event names it from here, not from the message's text
    }

    [Fact]
    public void An_unhealthy_container_is_restarted_after_the_grace()
    {
        var web = Service("web", 1, s => s.Healthy());
        var unhealthy = Running(web, 1) with { Health = HealthState.Unhealthy, UnhealthySince = Now.AddSeconds(-31) };
        Assert.Equal("#1 container:g-web-1, RestartContainer, unhealthy for 31s (grace 30s)", PlanText(Group(web), Observed(unhealthy)));
        Assert.Equal("", PlanText(Group(web), Observed(unhealthy with { UnhealthySince = Now.AddSeconds(-5) })));
    }

    [Fact]
    public void A_healthy_dependency_gates_its_dependents()
    {
        var db = Service("db", 1, s => s.Healthy());
        var api = Service("api", 1, s => s.DependsOn("db", DependencyCondition.Healthy));
        Assert.Equal("""
            #1 network:g_default, CreateNetwork, network missing
            #2 image:busybox:1.35, EnsureImage, imagePullPolicy IfNotPresent
            #3 service:db:1, CreateContainer, no existing container (after #1,#2)
            #4 service:db:1, StartContainer, created (after #3)
            #5 container:g-db-1, WaitHealthy, db must be healthy before its dependents start (after #4)
            #6 service:api:1, CreateContainer, no existing container (after #1,#2,#4,#5)
            #7 service:api:1, StartContainer, created (after #6)
            """, PlanText(Group(api, db), ObservedState.Empty));
    }

    [Fact]
    public void Suspended_groups_stop_but_never_remove()
    {
        var web = Service("web", 2);
        Assert.Equal("""
            #1 container:g-web-1, StopContainer, group is suspended
            #2 container:g-web-2, StopContainer, group is suspended
            """, PlanText(Group(web), Observed(Running(web, 1), Running(web, 2)), i => i with { Suspended = true }));
    }

    [Fact]
    public void A_deleted_manifest_prunes_containers_then_the_network_and_only_opted_in_volumes()
    {
        var web = Service("web");
        var observed = Observed(Running(web, 1)) with
        {
            Volumes = new HashSet<string> { "g_data", "g_keep" },
            PrunableVolumes = new HashSet<string> { "g_data" },
        };
        Assert.Equal("""
            #1 container:g-web-1, StopContainer, manifest deleted
            #2 container:g-web-1, RemoveContainer, manifest deleted (after #1)
            #3 network:g_default, RemoveNetwork, manifest deleted (after #2)
            #4 volume:g_data, RemoveVolume, manifest deleted and pruneVolumes: true (after #2)
            """, PlanText(null, observed));
    }

    [Fact]
    public void A_container_that_is_not_running_is_removed_without_a_stop()
    {
        var web = Service("web");
        Assert.Equal("""
            #1 container:g-web-1, RemoveContainer, manifest deleted
            #2 network:g_default, RemoveNetwork, manifest deleted (after #1)
            """, PlanText(null, Observed(Running(web, 1) with { State = ContainerState.Exited, ExitCode = 0 })));
    }

    [Fact]
    public void Replica_count_and_dependencies_stay_out_of_the_hash()
    {
        var one = Service("web", 1);
        var three = Service("web", 3, s => s.DependsOn("db", DependencyCondition.Started).StartFirst(rollback: false));
        Assert.Equal(Hash(one), Hash(three));
        Assert.NotEqual(Hash(one), Hash(Service("web", 1, s => s.Env("A", "1"))));
    }

    [Fact]
    public void Planning_the_result_of_a_plan_plans_nothing()
    {
        var web = Service("web", 2);
        var db = Service("db");
        var group = Group(web, db);
        var converged = Observed(Running(web, 1), Running(web, 2), Running(db, 1));
        Assert.Equal("", PlanText(group, converged));
        Assert.Equal("", PlanText(group, converged));
    }
}
