using Agent.Core.Model;
using Agent.Core.Planning;
using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Planning;

/// <summary>Networks are addressed by the id found through this instance's labels, never by name (issue 11 rule 6).</summary>
public sealed class NetworkAddressingTests
{
    private static Plan PlanWith(ServiceGroup? desired, params ObservedNetwork[] networks) =>
        Planner.PlanGroup(new PlanInput(new ObjectKey("ServiceGroup", "g"), desired, new ObservedState([], networks, new HashSet<string>()), Labels, Now));

    [Fact]
    public void A_container_joins_the_observed_network_by_id_whatever_its_engine_name()
    {
        var plan = PlanWith(Group(Service("web")), new ObservedNetwork("net-id-1", "g_default_i1"));
        Assert.DoesNotContain(plan.Operations, o => o.Kind == OperationKind.CreateNetwork);
        Assert.Equal("net-id-1", plan.Operations.Single(o => o.Kind == OperationKind.CreateContainer).Network);
    }

    [Fact]
    public void A_missing_network_is_created_with_its_key_label_and_the_container_names_it_for_the_executor_to_resolve()
    {
        var plan = PlanWith(Group(Service("web")));
        var create = plan.Operations.Single(o => o.Kind == OperationKind.CreateNetwork);
        Assert.Equal(("g_default", "default"), (create.Target, create.Labels![Labels.Network]));
        Assert.Equal("g_default", plan.Operations.Single(o => o.Kind == OperationKind.CreateContainer).Network);
    }

    [Fact]
    public void The_spec_hash_does_not_depend_on_the_engine_name_of_the_network()
    {
        var web = Service("web");
        var observed = new ObservedState([Running(web, 1)], [new ObservedNetwork("net-id-1", "g_default_i1")], new HashSet<string>());
        Assert.True(Planner.PlanGroup(new PlanInput(new ObjectKey("ServiceGroup", "g"), Group(web), observed, Labels, Now)).IsEmpty);
    }

    [Fact]
    public void Deleting_the_group_removes_each_of_its_networks_by_id()
    {
        var plan = PlanWith(null, new ObservedNetwork("net-id-2", "g_default"), new ObservedNetwork("net-id-1", "g_default"));
        Assert.Equal(["net-id-1", "net-id-2"], plan.Operations.Where(o => o.Kind == OperationKind.RemoveNetwork).Select(o => o.Target!).ToArray());
    }
}
