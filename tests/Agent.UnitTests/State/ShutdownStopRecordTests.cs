using Agent.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Agent.UnitTests.State;

/// <summary>probe-16 F2: a container the engine's shutdown stopped is recorded as such ("shutdown"), never as a user's stop,
/// and the record survives an agent restart.</summary>
public sealed class ShutdownStopRecordTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-shutdown-");
    private static readonly string Id = new('a', 64);

    private readonly Agent.State.UnsavedRecords unsaved = new(TimeProvider.System, NullLogger.Instance);

    public void Dispose()
    {
        unsaved.Dispose();
        dir.Delete(recursive: true);
    }

    private UserStops Stops() => new(dir.FullName, new FakeTimeProvider(), NullLogger<UserStops>.Instance, unsaved);

    [Fact]
    public void A_stop_by_the_engines_shutdown_is_no_user_stop_and_is_read_back_after_a_restart()
    {
        Stops().Record(Id, UserStops.ByShutdown);
        var again = Stops();
        Assert.Null(again.Lost);
        Assert.Null(again.Reason(Id));
        Assert.Null(again.HeldReason(Id));
        Assert.True(again.StoppedByAgent(Id)); // not a user's: an unwatched exit is not taken for one either
        Assert.True(again.StoppedWithEngine(Id));
        Assert.Equal("{\"" + Id + "\":\"shutdown\"}", File.ReadAllText(Path.Combine(dir.FullName, UserStops.FileName)));
    }

    [Fact]
    public void A_user_stop_is_not_turned_into_a_shutdown_stop_by_the_api_and_a_start_ends_both()
    {
        var stops = Stops();
        stops.Record(Id, UserStops.ByApi);
        stops.Record(Id, UserStops.ByShutdown);
        Assert.Equal(UserStops.ByApi, stops.Reason(Id));
        Assert.False(stops.StoppedWithEngine(Id));
        stops.Clear(Id);
        stops.Record(Id, UserStops.ByEngine);
        Assert.Equal(UserStops.ByEngine, stops.Reason(Id));
        Assert.False(stops.StoppedWithEngine(Id));
    }
}
