using Agent.Core.Model;
using Agent.Reconciliation;
using Agent.State;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Agent.UnitTests.State;

/// <summary>probe-31 F11: the mass-prune guard's hold on a full state dir was kept only in memory, and a restart pruned what
/// it had held. The hold gets the room kept back for it; where even that is not enough it is named as unsaved and written
/// at a retry once there is room. The full disk is a guarded state dir here.</summary>
public sealed class UnsavedPruneHoldTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-prune-held-");
    private static readonly ObjectKey B = new(ServiceGroup.KindName, "b"), C = new(ServiceGroup.KindName, "c");

    public void Dispose() => dir.Delete(recursive: true);

    private string Reserve => Path.Combine(dir.FullName, PruneHolds.ReserveFileName);

    [Fact]
    public void A_hold_on_a_full_state_dir_is_written_into_the_room_kept_back_and_a_restart_knows_it()
    {
        var holds = new PruneHolds(dir.FullName, NullLogger.Instance);
        holds.KeepReserve();
        Assert.Equal(StateReserve.Bytes, new FileInfo(Reserve).Length);

        // Full: only the room of the reserve, once given up, takes the hold.
        using (StateFile.Guard(dir.FullName, () => File.Exists(Reserve) || File.Exists(holds.File) ? "No space left on device" : null))
        {
            holds.Save(new HashSet<ObjectKey> { B, C });
            Assert.False(File.Exists(Reserve));
            Assert.Null(holds.Unsaved);
        }
        Assert.Equal([B, C], new PruneHolds(dir.FullName, NullLogger.Instance).Load().StillHeld.OrderBy(k => k.Name));

        holds.KeepReserve(); // room again: kept back once more
        Assert.Equal(StateReserve.Bytes, new FileInfo(Reserve).Length);
    }

    [Fact]
    public void A_hold_that_cannot_be_saved_at_all_is_named_as_unsaved_and_its_newest_set_is_written_once_there_is_room()
    {
        var time = new FakeTimeProvider();
        using var unsaved = new UnsavedRecords(time, NullLogger.Instance);
        var holds = new PruneHolds(dir.FullName, NullLogger.Instance, unsaved);
        string? full = "No space left on device";
        using (StateFile.Guard(dir.FullName, () => full))
        {
            holds.Save(new HashSet<ObjectKey> { B, C });
            Assert.Contains("prune-held.json cannot be saved since", holds.Unsaved);
            Assert.Contains("a restart of the agent before it is saved forgets the hold", holds.Unsaved);
            Assert.Contains(unsaved.Problems(), p => p.StartsWith(holds.File, StringComparison.Ordinal));
            holds.Save(new HashSet<ObjectKey> { C }); // b's manifest came back meanwhile

            time.Advance(UnsavedRecords.RetryEvery);
            Assert.False(File.Exists(holds.File));

            full = null;
            time.Advance(UnsavedRecords.RetryEvery);
            Assert.Null(holds.Unsaved);
            Assert.Empty(unsaved.Problems());
        }
        Assert.Equal([C], new PruneHolds(dir.FullName, NullLogger.Instance).Load().StillHeld);
    }
}
