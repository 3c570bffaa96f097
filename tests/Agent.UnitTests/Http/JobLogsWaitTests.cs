using Agent.Core.Jobs;
using Agent.Http;
using Microsoft.Extensions.Time.Testing;

namespace Agent.UnitTests.Http;

/// <summary>GET /jobs/{id}/logs?follow=true waits for a run's first container on the agent's TimeProvider: a run that never
/// gets one ends the wait once <see cref="JobEndpoints.ContainerWait"/> passed (then the route's 409), not before, and never hangs.</summary>
public sealed class JobLogsWaitTests
{
    private static readonly JobHistory RunWithoutContainer = new()
    {
        Runs = [new JobRun { Id = "migrate-1", Trigger = RunTriggers.Api, Start = DateTimeOffset.Parse("2026-12-01T12:00:00Z") }],
    };

    [Fact]
    public async Task A_run_without_a_container_ends_the_follow_wait_when_the_container_wait_has_passed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T12:00:00Z"));
        var wait = JobEndpoints.FirstContainerAsync(() => RunWithoutContainer, () => false, time, CancellationToken.None);

        await AdvanceAsync(time, JobEndpoints.ContainerWait - TimeSpan.FromSeconds(1), wait);
        Assert.False(wait.IsCompleted, "the wait ended before the container wait passed");
        await AdvanceAsync(time, TimeSpan.FromSeconds(5), wait); // a few of its 200 ms polls past the end
        Assert.True(wait.IsCompleted, "the wait did not end once the container wait passed");
        Assert.Null(await wait);
    }

    /// <summary>Moves the clock on by <paramref name="by"/> in the wait's own steps, giving its loop a moment of real time to
    /// run after each (at most about 2 s of real time for the whole minute; sooner once the wait ended).</summary>
    private static async Task AdvanceAsync(FakeTimeProvider time, TimeSpan by, Task wait)
    {
        var step = TimeSpan.FromMilliseconds(200);
        for (var moved = TimeSpan.Zero; moved < by && !wait.IsCompleted; moved += step)
        {
            time.Advance(step);
            await Task.Delay(5);
        }
        await Task.WhenAny(wait, Task.Delay(100));
    }
}
