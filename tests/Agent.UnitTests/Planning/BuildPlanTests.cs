using Agent.Core.Build;
using Agent.Core.Planning;

using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Planning;

/// <summary>A built service's image is a BuildImage operation where a pulled one is EnsureImage: planned only when a
/// container is made, and before the old container is stopped, so a failed build changes nothing that runs.</summary>
public sealed class BuildPlanTests
{
    [Fact]
    public void A_built_service_is_built_before_its_container_is_created()
    {
        var web = Service("web", 2, s => s.Built("c1"));
        Assert.Equal($"""
            #1 network:g_default, CreateNetwork, network missing
            #2 image:g-web, BuildImage, build {BuildSpecs.Hash(web.Container.Build!)}: built from its context unless an image of it is there
            #3 service:web:1, CreateContainer, no existing container (after #1,#2)
            #4 service:web:1, StartContainer, created (after #3)
            #5 service:web:2, CreateContainer, no existing container (after #1,#2)
            #6 service:web:2, StartContainer, created (after #5)
            """, PlanText(Group(web), Core.Planning.ObservedState.Empty));
    }

    [Fact]
    public void An_unchanged_context_plans_nothing()
    {
        var web = Service("web", 1, s => s.Built("c1"));
        Assert.Equal("", PlanText(Group(web), Observed(Running(web, 1))));
    }

    [Fact]
    public void A_changed_context_rebuilds_before_the_old_container_stops_and_leaves_other_services_alone()
    {
        var before = Service("web", 1, s => s.Built("c1"));
        var web = Service("web", 1, s => s.Built("c2"));
        var db = Service("db");
        Assert.NotEqual(Hash(before), Hash(web));
        Assert.Equal($"""
            #1 image:g-web, BuildImage, build {BuildSpecs.Hash(web.Container.Build!)}: built from its context unless an image of it is there
            #2 container:g-web-1, StopContainer, spec changed: build.contextDigest (HASH0 -> HASH1), stop-first (after #1)
            #3 container:g-web-1, RemoveContainer, spec changed: build.contextDigest (HASH0 -> HASH1) (after #2)
            #4 service:web:1, CreateContainer, spec changed: build.contextDigest (HASH0 -> HASH1) (after #3)
            #5 service:web:1, StartContainer, created (after #4)
            """.Replace("HASH0", Hash(before)).Replace("HASH1", Hash(web)),
            PlanText(Group(web, db), Observed(Running(before, 1) with { AppliedSpec = Core.Planning.SpecDiff.Serialize(before.Container) }, Running(db, 1))));
    }
}
