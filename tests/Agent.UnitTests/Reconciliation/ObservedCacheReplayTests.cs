using System.Reflection;
using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Reconciliation;

/// <summary>probe-15m: the engine's list shows a pause (or an exit) a moment after its event, so a listing sent just after
/// the event must not put the old state back into the cache (a paused replica listed as running).</summary>
public sealed class ObservedCacheReplayTests
{
    private static readonly AgentLabels Labels = new("unit");
    private static readonly string Id = new('c', 64);

    /// <summary>An engine whose container list is whatever the test says (the other lists are empty; nothing else is asked).</summary>
    public class ListingEngine : DispatchProxy
    {
        public IReadOnlyList<ContainerSummary> Containers { get; set; } = [];

        protected override object? Invoke(MethodInfo? method, object?[]? args) => method!.Name switch
        {
            nameof(IContainerEngine.ListContainersAsync) => Task.FromResult(Containers),
            nameof(IContainerEngine.ListNetworksAsync) => Task.FromResult<IReadOnlyList<NetworkSummary>>([]),
            nameof(IContainerEngine.ListVolumesAsync) => Task.FromResult<IReadOnlyList<VolumeSummary>>([]),
            _ => throw new NotSupportedException(method.Name),
        };
    }

    private static ContainerSummary Running() => new(Id, "g-web-1", "busybox", ContainerState.Running, HealthState.Healthy, "Up", null,
        DateTimeOffset.UnixEpoch, Labels.ForInstance());

    private static EngineEvent Event(string action) => new("container", action, Id, new Dictionary<string, string>(Labels.ForInstance()) { ["name"] = "g-web-1" }, DateTimeOffset.UtcNow);

    private static (ObservedCache Cache, ListingEngine Engine) Listed()
    {
        var engine = DispatchProxy.Create<IContainerEngine, ListingEngine>();
        var listing = (ListingEngine)(object)engine;
        listing.Containers = [Running()];
        return (new ObservedCache(engine, Labels, new OwnCreates(), NullLogger<ObservedCache>.Instance), listing);
    }

    [Theory]
    [InlineData("pause", ContainerState.Paused)]
    [InlineData("die", ContainerState.Exited)]
    public async Task A_listing_sent_just_after_an_event_that_still_shows_the_old_state_does_not_undo_the_event(string action, ContainerState after)
    {
        var (cache, _) = Listed();
        cache.StreamStarted();
        await cache.RelistAsync("start", CancellationToken.None);
        Assert.True(cache.Apply(Event(action)));
        Assert.Equal(after, cache.Container(Id)!.State);

        await cache.RelistAsync("resync", CancellationToken.None); // the engine's list still says running

        Assert.Equal(after, cache.Container(Id)!.State);
        Assert.True(cache.IsCurrent);
    }

    [Fact]
    public async Task A_listing_after_the_event_and_its_undo_shows_what_the_engine_lists()
    {
        var (cache, engine) = Listed();
        cache.StreamStarted();
        await cache.RelistAsync("start", CancellationToken.None);
        cache.Apply(Event("pause"));
        cache.Apply(Event("unpause"));
        engine.Containers = [Running() with { Health = HealthState.Unhealthy }];

        await cache.RelistAsync("resync", CancellationToken.None);

        Assert.Equal(ContainerState.Running, cache.Container(Id)!.State);
    }
}
