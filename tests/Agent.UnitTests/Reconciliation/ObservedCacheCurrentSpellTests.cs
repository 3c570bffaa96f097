using System.Reflection;
using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Reconciliation;

/// <summary>An update's health gate judges an exit the container's own only when every event since the gate began was
/// applied (a user's kill comes as an event). A reconnecting events stream makes the cache current as soon as its listing
/// lands, while its subscription may still be refused a moment later: being current at both ends of the gate is not
/// enough (KillWhileEventsDownTests failed under load: the kill was taken for the container's own failure).</summary>
public sealed class ObservedCacheCurrentSpellTests
{
    private static ObservedCache Cache()
    {
        var engine = DispatchProxy.Create<IContainerEngine, ObservedCacheReplayTests.ListingEngine>();
        return new ObservedCache(engine, new AgentLabels("unit"), new OwnCreates(), NullLogger<ObservedCache>.Instance);
    }

    private static async Task<ObservedCache> CurrentAsync()
    {
        var cache = Cache();
        cache.StreamStarted();
        await cache.RelistAsync("start", CancellationToken.None);
        Assert.True(cache.IsCurrent);
        return cache;
    }

    [Fact]
    public async Task A_cache_current_throughout_holds_its_mark()
    {
        var cache = await CurrentAsync();
        var mark = cache.CurrentMark();

        await cache.RelistAsync("resync", CancellationToken.None);

        Assert.True(cache.CurrentSince(mark));
    }

    [Fact]
    public async Task A_stream_that_dropped_and_came_back_since_the_mark_breaks_it_though_the_cache_is_current_again()
    {
        var cache = await CurrentAsync();
        var mark = cache.CurrentMark();

        cache.StreamLost();
        cache.StreamStarted(); // a reconnect: its listing lands before the subscription is refused
        await cache.RelistAsync("reconnect", CancellationToken.None);

        Assert.True(cache.IsCurrent);
        Assert.False(cache.CurrentSince(mark));
        Assert.True(cache.CurrentSince(cache.CurrentMark()));
    }

    [Fact]
    public async Task An_engine_that_stopped_answering_since_the_mark_breaks_it()
    {
        var cache = await CurrentAsync();
        var mark = cache.CurrentMark();

        cache.EngineUnreachable(DateTimeOffset.UtcNow);
        await cache.RelistAsync("resync", CancellationToken.None);

        Assert.True(cache.IsCurrent);
        Assert.False(cache.CurrentSince(mark));
    }

    [Fact]
    public void A_cache_not_current_gives_no_mark_and_nothing_holds_since_none()
    {
        var cache = Cache();

        Assert.Null(cache.CurrentMark());
        Assert.False(cache.CurrentSince(null));
    }
}
