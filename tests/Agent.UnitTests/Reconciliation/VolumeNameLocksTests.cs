using Agent.Reconciliation;

namespace Agent.UnitTests.Reconciliation;

/// <summary>The per-volume-name lock that POST /run, a Job's attempt, volume prune and DELETE /volumes/{name} share.</summary>
public sealed class VolumeNameLocksTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_second_holder_of_a_name_waits_until_the_first_lets_go()
    {
        var locks = new VolumeNameLocks();
        var first = await locks.HoldAsync(["run_data"], CancellationToken.None);
        var second = locks.HoldAsync("run_data", CancellationToken.None);
        await Task.Delay(200);
        Assert.False(second.IsCompleted);
        first.Dispose();
        (await second.WaitAsync(Long)).Dispose();
        Assert.Equal(0, locks.Count);
    }

    [Fact]
    public async Task Other_names_do_not_wait()
    {
        var locks = new VolumeNameLocks();
        using var held = await locks.HoldAsync(["run_a", "run_b"], CancellationToken.None);
        using var other = await locks.HoldAsync("run_c", CancellationToken.None).WaitAsync(Long);
        Assert.Equal(3, locks.Count);
    }

    [Fact]
    public async Task Holders_of_overlapping_names_in_any_order_never_deadlock()
    {
        var locks = new VolumeNameLocks();
        var tasks = Enumerable.Range(0, 50).Select(i => Task.Run(async () =>
        {
            string[] names = i % 2 == 0 ? ["run_b", "run_a", "run_c"] : ["run_c", "run_a", "run_a"];
            using var held = await locks.HoldAsync(names, CancellationToken.None);
            await Task.Yield();
        }));
        await Task.WhenAll(tasks).WaitAsync(Long);
        Assert.Equal(0, locks.Count);
    }

    [Fact]
    public async Task A_cancelled_wait_holds_nothing_and_leaves_no_entry()
    {
        var locks = new VolumeNameLocks();
        var first = await locks.HoldAsync("run_b", CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = locks.HoldAsync(["run_a", "run_b"], cancel.Token); // holds run_a, waits for run_b
        await Task.Delay(100);
        Assert.Equal(2, locks.Count);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        using (await locks.HoldAsync("run_a", CancellationToken.None).WaitAsync(Long)) { } // run_a was let go
        first.Dispose();
        Assert.Equal(0, locks.Count);
    }

    [Fact]
    public async Task Disposing_twice_releases_once()
    {
        var locks = new VolumeNameLocks();
        var first = await locks.HoldAsync("run_a", CancellationToken.None);
        first.Dispose();
        first.Dispose();
        using var second = await locks.HoldAsync("run_a", CancellationToken.None);
        var third = locks.HoldAsync("run_a", CancellationToken.None);
        await Task.Delay(100);
        Assert.False(third.IsCompleted); // a second Dispose did not let a third holder in beside the second
        second.Dispose();
        (await third.WaitAsync(Long)).Dispose();
    }
}
