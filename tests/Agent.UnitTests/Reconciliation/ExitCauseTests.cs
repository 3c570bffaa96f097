using System.Diagnostics;
using Agent.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Reconciliation;

/// <summary>probe-15m: a new container that an inspect finds exited during its health gate is judged only once the events
/// stream brought its die, so a user's kill or stop (which comes before the die) is known by then.</summary>
public sealed class ExitCauseTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-exit-");
    private static readonly string Id = new('a', 64);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private readonly Agent.State.UnsavedRecords unsaved = new(TimeProvider.System, NullLogger.Instance);

    public void Dispose()
    {
        unsaved.Dispose();
        dir.Delete(recursive: true);
    }

    private UserStops Stops() => new(dir.FullName, TimeProvider.System, NullLogger<UserStops>.Instance, unsaved);

    [Fact]
    public async Task A_kill_recorded_before_the_exit_is_the_users()
    {
        var stops = Stops();
        stops.Record(Id, UserStops.ByEngine);
        Assert.Equal(UserStops.ByEngine, await stops.StopOfExitAsync(Id, Wait, CancellationToken.None));
    }

    [Fact]
    public async Task A_kill_the_stream_brings_after_the_inspect_saw_the_exit_is_still_the_users()
    {
        var stops = Stops();
        var judged = stops.StopOfExitAsync(Id, Wait, CancellationToken.None);
        await Task.Delay(300);
        Assert.False(judged.IsCompleted, "judged before the die event came");
        stops.Record(Id, UserStops.ByEngine);
        stops.NoteExit(Id);
        Assert.Equal(UserStops.ByEngine, await judged);
    }

    [Fact]
    public async Task An_exit_with_no_kill_before_its_die_is_the_containers_own_and_judged_at_the_die()
    {
        var stops = Stops();
        var clock = Stopwatch.StartNew();
        var judged = stops.StopOfExitAsync(Id, Wait, CancellationToken.None);
        stops.NoteExit(Id);
        Assert.Null(await judged);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"waited {clock.Elapsed} after the die");
    }

    [Fact]
    public async Task An_exit_whose_die_never_comes_is_judged_as_the_containers_own_after_the_wait()
    {
        var clock = Stopwatch.StartNew();
        Assert.Null(await Stops().StopOfExitAsync(Id, TimeSpan.FromMilliseconds(400), CancellationToken.None));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(350), $"gave up after {clock.Elapsed}");
    }

    [Fact]
    public async Task The_agents_own_stop_is_no_users_stop()
    {
        var stops = Stops();
        stops.MarkOwn(Id);
        stops.NoteExit(Id);
        Assert.Null(await stops.StopOfExitAsync(Id, Wait, CancellationToken.None));
    }
}
