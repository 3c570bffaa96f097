using Agent.Core.Model;
using Agent.Core.Planning;
using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Planning;

/// <summary>A service in another container's network namespace (networkMode container:NAME) or with its volumes
/// (volumesFrom) is recreated after that container is, as `docker compose up` does.</summary>
public sealed class ContainerReferencePlanTests
{
    private static readonly ServiceSpec Web = Service("web");

    private static ServiceSpec Sidecar(Func<ContainerSpec, ContainerSpec> uses) =>
        Service("sidecar") with { Container = uses(Service("sidecar").Container), DependsOn = [new ServiceDependency("web", DependencyCondition.Started)] };

    private static Plan PlanAfterWebChanged(ServiceSpec sidecar)
    {
        var changedWeb = Web with { Container = Web.Container with { Env = new Dictionary<string, string> { ["V"] = "2" } } };
        return Planner.PlanGroup(new PlanInput(new ObjectKey("ServiceGroup", "g"), Group(changedWeb, sidecar), Observed(Running(Web, 1), Running(sidecar, 1)), Labels, Now));
    }

    public static TheoryData<string> Uses => new() { "network", "volumes", "volumes-ro" };

    private static ServiceSpec SidecarUsing(string kind) => kind switch
    {
        "network" => Sidecar(c => c with { NetworkMode = "container:g-web-1" }),
        "volumes" => Sidecar(c => c with { VolumesFrom = ["g-web-1"] }),
        _ => Sidecar(c => c with { VolumesFrom = ["g-web-1:ro"] }),
    };

    [Theory]
    [MemberData(nameof(Uses))]
    public void Recreating_the_used_container_recreates_the_user_after_it_started(string kind)
    {
        var plan = PlanAfterWebChanged(SidecarUsing(kind));
        var webStart = plan.Operations.Single(o => o.Kind == OperationKind.StartContainer && o.ResourceId == "service:web:1");
        var removed = plan.Operations.Single(o => o.Kind == OperationKind.RemoveContainer && o.Target == "id-sidecar-1");
        var created = plan.Operations.Single(o => o.Kind == OperationKind.CreateContainer && o.ResourceId == "service:sidecar:1");
        Assert.Equal("web recreated: this container uses its network or volumes", created.Cause);
        Assert.Contains(webStart.Id, created.After);
        Assert.Contains(removed.Id, created.After);
        Assert.Single(plan.Operations, o => o.Kind == OperationKind.StartContainer && o.ResourceId == "service:sidecar:1");
    }

    [Fact]
    public void A_missing_used_container_is_created_and_the_user_recreated_after_it()
    {
        var sidecar = SidecarUsing("network");
        var plan = Planner.PlanGroup(new PlanInput(new ObjectKey("ServiceGroup", "g"), Group(Web, sidecar), Observed(Running(sidecar, 1)), Labels, Now));
        var webStart = plan.Operations.Single(o => o.Kind == OperationKind.StartContainer && o.ResourceId == "service:web:1");
        var created = plan.Operations.Single(o => o.Kind == OperationKind.CreateContainer && o.ResourceId == "service:sidecar:1");
        Assert.Contains(webStart.Id, created.After);
    }

    [Fact]
    public void Nothing_changed_plans_nothing_and_a_change_of_the_user_alone_leaves_the_used_container()
    {
        var sidecar = SidecarUsing("network");
        Assert.True(Planner.PlanGroup(new PlanInput(new ObjectKey("ServiceGroup", "g"), Group(Web, sidecar), Observed(Running(Web, 1), Running(sidecar, 1)), Labels, Now)).IsEmpty);
        var changed = sidecar with { Container = sidecar.Container with { Env = new Dictionary<string, string> { ["V"] = "2" } } };
        var plan = Planner.PlanGroup(new PlanInput(new ObjectKey("ServiceGroup", "g"), Group(Web, changed), Observed(Running(Web, 1), Running(sidecar, 1)), Labels, Now));
        Assert.DoesNotContain(plan.Operations, o => o.ResourceId.Contains("web"));
        Assert.Single(plan.Operations, o => o.Kind == OperationKind.CreateContainer && o.ResourceId == "service:sidecar:1");
    }

    [Fact]
    public void A_user_stopped_user_is_not_recreated_and_a_suspended_group_recreates_nothing()
    {
        var sidecar = SidecarUsing("network");
        var stopped = Running(sidecar, 1) with { State = ContainerState.Exited, ExitCode = 0, StoppedByUser = "api" };
        var changedWeb = Web with { Container = Web.Container with { Env = new Dictionary<string, string> { ["V"] = "2" } } };
        var plan = Planner.PlanGroup(new PlanInput(new ObjectKey("ServiceGroup", "g"), Group(changedWeb, sidecar), Observed(Running(Web, 1), stopped), Labels, Now));
        Assert.DoesNotContain(plan.Operations, o => o.ResourceId.Contains("sidecar"));
    }
}

/// <summary>After an interruption between the recreation of the used container and its user's, the user is listed in
/// the network of a container that no longer holds the name: the next plan recreates it.</summary>
public sealed class LeftNetworkPlanTests
{
    private static readonly ServiceSpec Web = Service("web");
    private static readonly ServiceSpec Sidecar = Service("sidecar") with
    {
        Container = Service("sidecar").Container with { NetworkMode = "container:g-web-1" },
        DependsOn = [new ServiceDependency("web", DependencyCondition.Started)],
    };

    private static Plan PlanWith(string? listedMode) => Planner.PlanGroup(new PlanInput(new ObjectKey("ServiceGroup", "g"), Group(Web, Sidecar),
        Observed(Running(Web, 1), Running(Sidecar, 1) with { NetworkMode = listedMode }), Labels, Now));

    [Fact]
    public void A_user_in_the_network_of_a_gone_container_is_recreated_after_the_current_one_started()
    {
        var plan = PlanWith("container:0123456789abcdef0123");
        var created = plan.Operations.Single(o => o.Kind == OperationKind.CreateContainer && o.ResourceId == "service:sidecar:1");
        Assert.Equal("in the network of container 0123456789ab, which is no longer g-web-1 (id-web-1)", created.Cause);
        Assert.Contains(plan.Operations, o => o.Kind == OperationKind.RemoveContainer && o.Target == "id-sidecar-1");
        Assert.DoesNotContain(plan.Operations, o => o.ResourceId.Contains("web"));
    }

    [Theory]
    [InlineData("container:id-web-1")]
    [InlineData("container:g-web-1")]
    [InlineData(null)]
    public void A_user_in_the_network_of_the_current_container_or_not_known_plans_nothing(string? listedMode) =>
        Assert.True(PlanWith(listedMode).IsEmpty);
}
