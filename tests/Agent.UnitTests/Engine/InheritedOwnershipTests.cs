using Agent.Core.Model;

namespace Agent.UnitTests.Engine;

public sealed class InheritedOwnershipTests
{
    private static readonly AgentLabels Keys = new("i1");

    private static Dictionary<string, string> L(params (string Key, string Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public void Ownership_labels_that_all_came_from_the_image_are_taken_off()
    {
        var image = L(("agent.managed", "true"), ("agent.instance", "i1"), ("agent.object", "web"), ("maintainer", "x"));
        var container = L(("agent.managed", "true"), ("agent.instance", "i1"), ("agent.object", "web"), ("maintainer", "x"));
        var own = InheritedOwnership.Resolve(Keys, container, image);
        Assert.False(Keys.IsOwned(own));
        Assert.Equal(L(("maintainer", "x")), own);
    }

    [Fact]
    public void A_container_with_one_ownership_label_its_image_lacks_keeps_them_all()
    {
        // The agent's replica made from an image an older agent built with managed/instance on it.
        var image = L(("agent.managed", "true"), ("agent.instance", "i1"));
        var container = L(("agent.managed", "true"), ("agent.instance", "i1"), ("agent.object", "web"), ("agent.spec-hash", "h"));
        Assert.Same(container, InheritedOwnership.Resolve(Keys, container, image));
        Assert.True(Keys.IsOwned(InheritedOwnership.Resolve(Keys, container, image)));
    }

    [Fact]
    public void A_value_that_differs_from_the_image_is_the_container_own()
    {
        var image = L(("agent.managed", "true"), ("agent.instance", "other"));
        var container = L(("agent.managed", "true"), ("agent.instance", "i1"));
        Assert.True(Keys.IsOwned(InheritedOwnership.Resolve(Keys, container, image)));
        Assert.True(Keys.IsOwned(InheritedOwnership.Resolve(Keys, container, L())));
    }
}
