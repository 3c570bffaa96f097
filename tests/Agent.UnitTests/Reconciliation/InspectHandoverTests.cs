using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;
using static Agent.UnitTests.Reconciliation.ObservedCacheReplayTests;

namespace Agent.UnitTests.Reconciliation;

/// <summary>A start whose starter inspects the container anyway (the bind-mount check) costs one inspect: the observed
/// cache takes the starter's instead of queuing its own, and looks itself whenever it cannot tell that inspect is newer
/// than every event it applied.</summary>
public sealed class InspectHandoverTests
{
    private static readonly AgentLabels Labels = new("unit");
    private static readonly string Id = new('c', 64);

    private static EngineEvent Event(string action) =>
        new("container", action, Id, new Dictionary<string, string>(Labels.ForInstance()) { ["name"] = "g-web-1" }, DateTimeOffset.UtcNow);

    private static ContainerDetails Inspected(HealthState health) => new(Id, "g-web-1", "busybox", "sha256:1", ContainerState.Running, health, null, false, 0,
        DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow, null, null, Labels.ForInstance(), [], [], new Dictionary<string, string>(), [])
    {
        Pid = 42,
        Binds = [new BindMount("/srv/data", "/data")],
    };

    private static async Task<ObservedCache> ListedAsync()
    {
        var engine = System.Reflection.DispatchProxy.Create<IContainerEngine, ListingEngine>();
        ((ListingEngine)(object)engine).Containers =
            [new ContainerSummary(Id, "g-web-1", "busybox", ContainerState.Exited, HealthState.None, "Exited (0)", 0, DateTimeOffset.UnixEpoch, Labels.ForInstance())];
        var cache = new ObservedCache(engine, Labels, new OwnCreates(), NullLogger<ObservedCache>.Instance);
        cache.StreamStarted();
        await cache.RelistAsync("start", CancellationToken.None);
        return cache;
    }

    [Fact]
    public async Task The_starters_inspect_serves_the_start_event_and_the_cache_queues_none()
    {
        var cache = await ListedAsync();
        using var handover = cache.HandOverInspect(Id);
        cache.Apply(Event("start"));
        var asked = await handover.BeforeInspectAsync(CancellationToken.None);
        handover.Inspected(Inspected(HealthState.Starting), asked);

        Assert.Equal(0, cache.QueuedInspections);
        var entry = cache.Container(Id)!;
        Assert.Equal((ContainerState.Running, HealthState.Starting, false, true), (entry.State, entry.Health, entry.HealthUnknown, entry.HasBinds));
    }

    [Fact]
    public async Task An_event_after_the_starters_inspect_was_sent_makes_the_cache_look_itself()
    {
        var cache = await ListedAsync();
        using var handover = cache.HandOverInspect(Id);
        cache.Apply(Event("start"));
        var asked = await handover.BeforeInspectAsync(CancellationToken.None);
        cache.Apply(Event("die"));
        handover.Inspected(Inspected(HealthState.Starting), asked);

        Assert.Equal(1, cache.QueuedInspections);
        Assert.Equal(ContainerState.Exited, cache.Container(Id)!.State);
    }

    [Fact]
    public async Task A_start_event_that_comes_after_the_starters_inspect_queues_the_caches_own()
    {
        var cache = await ListedAsync();
        using (var handover = cache.HandOverInspect(Id))
            handover.Inspected(Inspected(HealthState.Starting), asked: 0); // the event had not come: nothing tells it is older

        Assert.True(cache.Container(Id)!.State == ContainerState.Exited);
        cache.Apply(Event("start"));
        Assert.Equal(1, cache.QueuedInspections);
    }

    [Fact]
    public async Task A_starter_that_hands_nothing_over_leaves_the_inspect_to_the_cache()
    {
        var cache = await ListedAsync();
        using (cache.HandOverInspect(Id))
        {
            cache.Apply(Event("start"));
            Assert.Equal(0, cache.QueuedInspections);
        } // its inspect failed

        Assert.Equal(1, cache.QueuedInspections);
    }

    [Fact]
    public async Task Nothing_is_handed_over_while_the_cache_is_not_current()
    {
        var cache = await ListedAsync();
        cache.StreamLost();
        using var handover = cache.HandOverInspect(Id);
        cache.StreamStarted();
        await cache.RelistAsync("reconnect", CancellationToken.None);
        cache.Apply(Event("start"));

        Assert.Equal(1, cache.QueuedInspections);
    }
}
