using Agent.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Agent.UnitTests.State;

/// <summary>probe-18 F10: a stop seen on the events stream while user-stops.json cannot be written (a full state dir,
/// here a guarded one) is kept in memory and never throws; the API's stop still changes nothing; the record is written
/// at the first retry once the state dir takes it.</summary>
public sealed class UnsavedUserStopsTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-unsaved-");
    private static readonly string Seen = new('b', 64), ByApi = new('c', 64);
    private string? full = "No space left on device";

    public void Dispose() => dir.Delete(recursive: true);

    [Fact]
    public void A_stop_seen_while_the_file_cannot_be_written_is_kept_in_memory_and_saved_at_a_retry_once_it_can()
    {
        var time = new FakeTimeProvider();
        using var unsaved = new Agent.State.UnsavedRecords(time, NullLogger.Instance);
        var stops = new UserStops(dir.FullName, time, NullLogger<UserStops>.Instance, unsaved);
        var file = Path.Combine(dir.FullName, UserStops.FileName);
        using (Agent.State.StateFile.Guard(dir.FullName, () => full))
        {
            stops.RecordSeen(Seen, UserStops.ByEngine); // does not throw
            Assert.Equal(UserStops.ByEngine, stops.Reason(Seen));
            Assert.Contains("No space left on device", stops.Unsaved);
            Assert.False(File.Exists(file));
            Assert.Contains(unsaved.Problems(), p => p.StartsWith($"{file} cannot be saved since ", StringComparison.Ordinal));

            Assert.Throws<Agent.State.StateWriteException>(() => stops.Record(ByApi, UserStops.ByApi)); // the API's 507
            Assert.Null(stops.Reason(ByApi));

            time.Advance(Agent.State.UnsavedRecords.RetryEvery); // still full
            Assert.False(File.Exists(file));
            Assert.NotNull(stops.Unsaved);

            full = null; // room again
            time.Advance(Agent.State.UnsavedRecords.RetryEvery);
            Assert.Equal("{\"" + Seen + "\":\"engine\"}", File.ReadAllText(file));
            Assert.Null(stops.Unsaved);
            Assert.Empty(unsaved.Problems());
        }
        Assert.Equal(UserStops.ByEngine, new UserStops(dir.FullName, time, NullLogger<UserStops>.Instance, unsaved).Reason(Seen)); // a restart knows it
    }

    [Fact]
    public void A_start_seen_while_the_file_cannot_be_written_ends_the_stop_in_memory_and_in_the_file_later()
    {
        var time = new FakeTimeProvider();
        using var unsaved = new Agent.State.UnsavedRecords(time, NullLogger.Instance);
        var stops = new UserStops(dir.FullName, time, NullLogger<UserStops>.Instance, unsaved);
        stops.Record(Seen, UserStops.ByEngine);
        using (Agent.State.StateFile.Guard(dir.FullName, () => full))
        {
            stops.ClearSeen(Seen);
            Assert.Null(stops.Reason(Seen));
            full = null;
            time.Advance(Agent.State.UnsavedRecords.RetryEvery);
        }
        Assert.Equal("{}", File.ReadAllText(Path.Combine(dir.FullName, UserStops.FileName)));
    }
}
