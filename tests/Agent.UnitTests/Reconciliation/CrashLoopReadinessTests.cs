using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Agent.UnitTests.Reconciliation;

/// <summary>probe-38: a replica that runs 2 s between the engine's restarts read Ready once the engine's back-off had grown
/// past the 10 s crash window (each run began more than 10 s after the last failure). The window counts from each start
/// that follows a failure too.</summary>
public sealed class CrashLoopReadinessTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-crashloop-");
    private static readonly string Id = new('e', 64);

    public void Dispose() => dir.Delete(recursive: true);

    private static ObservedContainer Running() => new(Id, "g-c-1", "c", 1, "hash", ContainerState.Running, HealthState.None);

    [Fact]
    public void A_replica_restarted_after_a_failure_serves_only_once_it_has_run_the_crash_window()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        using var unsaved = new Agent.State.UnsavedRecords(time, NullLogger.Instance);
        var health = new HealthTracker(time, dir.FullName, unsaved);

        health.RecordExit(Id, 3);
        time.Advance(TimeSpan.FromSeconds(40)); // the engine's back-off: longer than the window
        health.RecordRestart(Id);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(health.Annotate(Running()).IsServing(time.GetUtcNow())); // 2 s into a run after a failure

        time.Advance(ObservedContainer.CrashWindow);
        Assert.True(health.Annotate(Running()).IsServing(time.GetUtcNow())); // it stayed up: it serves
    }

    [Fact]
    public void A_start_of_a_replica_that_never_failed_changes_nothing()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        using var unsaved = new Agent.State.UnsavedRecords(time, NullLogger.Instance);
        var health = new HealthTracker(time, dir.FullName, unsaved);
        health.RecordRestart(Id);
        Assert.True(health.Annotate(Running()).IsServing(time.GetUtcNow()));
    }

    [Fact]
    public void A_forgotten_container_keeps_nothing_of_its_failures()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        using var unsaved = new Agent.State.UnsavedRecords(time, NullLogger.Instance);
        var health = new HealthTracker(time, dir.FullName, unsaved);
        health.RecordExit(Id, 3);
        Assert.Equal(3, health.Annotate(Running()).LastFailureExitCode);

        health.Forget(Id); // the container was removed
        var after = health.Annotate(Running());
        Assert.Equal((0, null, null), (after.Failures, after.LastFailure, after.LastFailureExitCode));
    }
}
