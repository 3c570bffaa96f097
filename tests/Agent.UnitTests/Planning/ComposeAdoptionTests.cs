using Agent.Core.Model;
using Agent.Core.Planning;
using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Planning;

/// <summary>A compose project `docker-compose up` already started: a Conflict that touches nothing, or, with adopt: true,
/// the compose-made network and volume taken over and the containers replaced one service at a time, stop-first.</summary>
public sealed class ComposeAdoptionTests
{
    private static readonly ServiceSpec Db = Service("db", 1, s => s.Volume("data", "/data"));
    private static readonly ServiceSpec Web = Service("web", 1, s => s.DependsOn("db", DependencyCondition.Started));

    private static ServiceGroup Project(bool adopt) => GroupWith(new ServiceGroupSpec
    {
        Services = [Db, Web],
        Volumes = new SortedDictionary<string, VolumeSpec>(StringComparer.Ordinal) { ["data"] = new("g_data", "local", new Dictionary<string, string>()) },
    }) with { Compose = new ComposeOrigin("/srv/g", ["/srv/g/compose.yaml"], adopt) };

    private static ObservedContainer Foreign(string service) =>
        new($"fid-{service}", $"g_{service}_1", service, 0, "", ContainerState.Running, HealthState.None);

    private static readonly ObservedState StartedByCompose = new([], [], new HashSet<string>())
    {
        Foreign = new ForeignObjects([Foreign("web"), Foreign("db")], [new ObservedNetwork("net-compose", "g_default")], new HashSet<string> { "g_data" }),
    };

    private static Plan PlanOf(ServiceGroup project, ObservedState observed) =>
        Planner.PlanGroup(new PlanInput(project.Key, project, observed, Labels, Now));

    [Fact]
    public void Without_adopt_the_foreign_containers_network_and_volumes_are_listed_and_nothing_is_planned()
    {
        var plan = PlanOf(Project(adopt: false), StartedByCompose);
        Assert.Empty(plan.Operations);
        Assert.Empty(plan.Adopted);
        var hold = Assert.Single(plan.Held);
        Assert.Equal(Hold.Conflict, hold.Reason);
        Assert.StartsWith("project g was started by docker compose: containers g_db_1 (db), g_web_1 (web); network g_default; volumes g_data. Nothing is touched", hold.Message);
    }

    [Fact]
    public void Adopting_takes_over_the_network_and_volume_and_replaces_one_service_at_a_time_stop_first()
    {
        var plan = PlanOf(Project(adopt: true), StartedByCompose);
        Assert.Equal(["network:g_default", "volume:g_data"], plan.Adopted);
        Assert.Empty(plan.Held);
        Assert.Equal("""
            #1 image:busybox:1.35, EnsureImage, pull_policy missing
            #2 container:g_db_1, StopContainer, adopting: replaces the container docker compose made (after #1)
            #3 container:g_db_1, RemoveContainer, adopting: replaces the container docker compose made (after #2)
            #4 service:db:1, CreateContainer, no existing container (after #1,#3)
            #5 service:db:1, StartContainer, created (after #4)
            #6 container:g_web_1, StopContainer, adopting: replaces the container docker compose made (after #1,#5)
            #7 container:g_web_1, RemoveContainer, adopting: replaces the container docker compose made (after #6)
            #8 service:web:1, CreateContainer, no existing container (after #1,#5,#7)
            #9 service:web:1, StartContainer, created (after #8)
            """, plan.ToString());
    }

    [Fact]
    public void Adopting_leaves_a_compose_container_of_a_service_the_project_does_not_have_and_says_so()
    {
        var observed = StartedByCompose with
        {
            Foreign = StartedByCompose.Foreign with { Containers = [Foreign("db"), Foreign("web"), Foreign("old")] },
        };
        var plan = PlanOf(Project(adopt: true), observed);
        Assert.DoesNotContain("g_old_1", plan.ToString());
        Assert.Contains(plan.Held, h => h.Reason == Hold.Conflict && h.Message.Contains("g_old_1"));
    }

    [Fact]
    public void An_adopted_project_plans_nothing_more_once_its_own_containers_run()
    {
        var observed = new ObservedState([Running(Db, 1), Running(Web, 1)], [new ObservedNetwork("net-compose", "g_default")], new HashSet<string> { "g_data" });
        var plan = PlanOf(Project(adopt: true), observed);
        Assert.True(plan.IsEmpty, plan.ToString());
    }
}
