using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Sources;
using Microsoft.Extensions.Time.Testing;

using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Sources;

/// <summary>A service that goes from its manifest is removed only once it stayed gone for Agent:PruneDelay, like an object
/// whose manifest goes (probe-15d H14: a manifest caught half-written removed the services it did not list yet).</summary>
public sealed class ServicePruneDelayTests() : ManifestFolderTestBase("service-prune-delay")
{
    private static readonly ObjectKey G = new(ServiceGroup.KindName, "g");
    private readonly FakeTimeProvider clock = new(DateTimeOffset.Parse("2026-12-01T12:00:00Z"));

    private static string Manifest(params string[] services) =>
        "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: g }\nspec:\n  services:\n" +
        string.Concat(services.Select(s => $"    - name: {s}\n      image: busybox:1.35\n"));

    [Fact]
    public void The_planner_keeps_a_leaving_service_until_its_time_and_then_retires_it()
    {
        var web = Service("web");
        var worker = Service("worker", 2);
        var observed = Observed(Running(web, 1), Running(worker, 1), Running(worker, 2));
        var leaving = new Dictionary<string, DateTimeOffset> { ["worker"] = Now.AddSeconds(3) };

        var held = Planner.PlanGroup(new PlanInput(G, Group(web), observed, Labels, Now) { ServicesLeaving = leaving });
        Assert.True(held.IsEmpty);
        var hold = Assert.Single(held.Held);
        Assert.Equal((Hold.PrunePending, "service worker is no longer in the manifest; its 2 container(s) are removed in 3 s unless it comes back (Agent:PruneDelay)"),
            (hold.Reason, hold.Message));
        Assert.Equal(TimeSpan.FromSeconds(3.1), held.RequeueAfter);

        Assert.Equal("""
            #1 container:g-worker-1, StopContainer, service worker is no longer in the manifest
            #2 container:g-worker-1, RemoveContainer, service worker is no longer in the manifest (after #1)
            #3 container:g-worker-2, StopContainer, service worker is no longer in the manifest
            #4 container:g-worker-2, RemoveContainer, service worker is no longer in the manifest (after #3)
            """, PlanText(Group(web), observed, i => i with { Now = Now.AddSeconds(3), ServicesLeaving = leaving }));
        Assert.Equal(PlanText(Group(web), observed), PlanText(Group(web), observed, i => i with { Now = Now.AddSeconds(3), ServicesLeaving = leaving }));
    }

    [Fact]
    public void The_store_reports_a_service_gone_from_a_manifest_for_the_prune_delay_only_and_forgets_it_when_it_is_back()
    {
        Write("g.yaml", Manifest("web", "worker", "cache"));
        var store = NewStore(clock: clock, options: Options(TimeSpan.FromSeconds(5)));
        store.Reload();
        Assert.Empty(store.ServicesLeaving(G));

        Write("g.yaml", Manifest("web"));                                  // a copy caught half-way
        store.Reload();
        Assert.Equal(["cache", "worker"], store.ServicesLeaving(G).Keys.Order());
        Assert.All(store.ServicesLeaving(G).Values, t => Assert.Equal(clock.GetUtcNow().AddSeconds(5), t));

        clock.Advance(TimeSpan.FromSeconds(2));
        Write("g.yaml", Manifest("web", "worker"));                        // more of it: worker is back, cache still gone
        store.Reload();
        Assert.Equal(["cache"], store.ServicesLeaving(G).Keys);
        Assert.Equal(clock.GetUtcNow().AddSeconds(3), store.ServicesLeaving(G)["cache"]);   // since the first read without it

        clock.Advance(TimeSpan.FromSeconds(4));
        Write("g.yaml", Manifest("web", "worker") + "\n");
        store.Reload();
        Assert.Empty(store.ServicesLeaving(G));                            // past the delay: the planner retires it at once
    }

    [Fact]
    public void A_compose_service_gone_from_compose_yaml_waits_too()
    {
        var stack = new ObjectKey(ServiceGroup.ComposeKindName, "stk");
        Write("stk/compose.yaml", "services:\n  a: { image: busybox:1.35 }\n  b: { image: busybox:1.35 }\n");
        var store = NewStore(clock: clock, options: Options(TimeSpan.FromSeconds(5)));
        store.Reload();
        Write("stk/compose.yaml", "services:\n  a: { image: busybox:1.35 }\n");
        store.Reload();
        Assert.Equal(["b"], store.ServicesLeaving(stack).Keys);
    }

    [Fact]
    public void Without_a_prune_delay_nothing_waits()
    {
        Write("g.yaml", Manifest("web", "worker"));
        var store = NewStore(clock: clock, options: Options(TimeSpan.Zero));
        store.Reload();
        Write("g.yaml", Manifest("web"));
        store.Reload();
        Assert.Empty(store.ServicesLeaving(G));
    }
}
