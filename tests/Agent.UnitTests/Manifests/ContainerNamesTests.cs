using Agent.Core.Model;

namespace Agent.UnitTests.Manifests;

/// <summary>The names a group's service can give its containers (probe-15f F12): replicas and an update's temporaries.</summary>
public sealed class ContainerNamesTests
{
    private static readonly ServiceSpec Web = new() { Name = "web", Container = new ContainerSpec { Image = "busybox:1.35" } };

    [Theory]
    [InlineData("shop-web-1", true)]
    [InlineData("shop-web-12", true)]
    [InlineData("shop-web-1-next", true)]
    [InlineData("shop-web-3-prev", true)]
    [InlineData("shop-web-", false)]
    [InlineData("shop-web-next", false)]
    [InlineData("shop-web-1-next-next", false)]
    [InlineData("shop-web-1x", false)]
    [InlineData("shop-db-1", false)]
    public void Replica_names_and_their_update_temporaries_belong_to_the_service(string name, bool belongs) =>
        Assert.Equal(belongs, ContainerNames.IsGroupName(name, "shop", Web));

    [Fact]
    public void A_service_with_its_own_container_name_claims_that_name_and_its_temporaries_only()
    {
        var named = Web with { ContainerName = "frontdoor" };
        Assert.True(ContainerNames.IsGroupName("frontdoor", "shop", named));
        Assert.True(ContainerNames.IsGroupName("frontdoor-next", "shop", named));
        Assert.False(ContainerNames.IsGroupName("shop-web-1", "shop", named));
    }

    [Theory]
    [InlineData("cpv-db-1", true)]
    [InlineData("cpv-my-db-12", true)] // a service name with a dash
    [InlineData("cpv-db-1-next", true)]
    [InlineData("cpv-db-2-prev", true)]
    [InlineData("cpv-1", false)] // no service
    [InlineData("cpv-db", false)]
    [InlineData("cpv-db-1x", false)]
    [InlineData("cpvx-db-1", false)]
    [InlineData("other-db-1", false)]
    public void A_group_whose_services_are_not_known_may_own_any_name_of_its_replica_shape(string name, bool may) =>
        Assert.Equal(may, ContainerNames.MayBeReplicaOf(name, "cpv"));

    [Fact]
    public void A_name_an_object_held_without_its_spec_may_own_is_claimed_by_it_by_shape_or_by_its_container()
    {
        var held = new ObjectKey(ServiceGroup.ComposeKindName, "cpv");
        var readable = new ObjectKey(ServiceGroup.KindName, "web");
        (string, ObjectKey)[] containers = [("frontdoor", held), ("web-x", readable)];
        Assert.Equal(held, ContainerNames.HeldClaim("cpv-db-1", [held], containers));
        Assert.Equal(held, ContainerNames.HeldClaim("frontdoor", [held], containers)); // its container_name, seen on its container
        Assert.Null(ContainerNames.HeldClaim("web-x", [held], containers)); // another object's: the engine's own conflict
        Assert.Null(ContainerNames.HeldClaim("cpv-db-1", [], containers)); // nothing held: the spec's own rule applies
        Assert.Null(ContainerNames.HeldClaim("tools", [held], containers));
    }
}
