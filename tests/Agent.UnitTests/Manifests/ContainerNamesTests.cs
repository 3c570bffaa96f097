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
}
