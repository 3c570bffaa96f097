using Agent.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Agent.UnitTests.State;

/// <summary>Review mend: the health tracker takes the agent's UnsavedRecords as a required dependency (it fell back to none),
/// so a failures.json it cannot write is named by the set /readyz's records check reads, and written at a retry.</summary>
public sealed class UnsavedFailureCountsTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-unsaved-failures-");
    private static readonly string Id = new('d', 64);
    private string? full = "No space left on device";

    public void Dispose() => dir.Delete(recursive: true);

    [Fact]
    public void A_failure_count_that_cannot_be_written_is_reported_to_the_given_unsaved_records_and_saved_at_a_retry()
    {
        var time = new FakeTimeProvider();
        using var unsaved = new Agent.State.UnsavedRecords(time, NullLogger.Instance);
        var health = new HealthTracker(time, dir.FullName, unsaved);
        var file = Path.Combine(dir.FullName, HealthTracker.FileName);
        using (Agent.State.StateFile.Guard(dir.FullName, () => full))
        {
            health.RecordExit(Id, 3); // does not throw
            Assert.False(File.Exists(file));
            Assert.Contains(unsaved.Problems(), p => p.StartsWith($"{file} cannot be saved since ", StringComparison.Ordinal) && p.Contains("No space left on device"));

            full = null;
            time.Advance(Agent.State.UnsavedRecords.RetryEvery);
            Assert.Contains($"\"{Id}\"", File.ReadAllText(file));
            Assert.Empty(unsaved.Problems());
        }
        Assert.Equal(1, new HealthTracker(time, dir.FullName, unsaved).Annotate(Container()).Failures); // a restart reads it
    }

    private static Agent.Core.Planning.ObservedContainer Container() =>
        new(Id, "web-1", "web", 1, "hash", Agent.Core.Model.ContainerState.Exited, Agent.Core.Model.HealthState.None, 3);
}
