using Agent.Core.Model;
using Agent.Reconciliation;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Agent.UnitTests.Reconciliation;

public sealed class WorkQueueTests
{
    private static readonly ObjectKey Key = new(ServiceGroup.KindName, "g");

    [Fact]
    public async Task An_add_from_outside_the_reconcile_skips_its_backoff_but_never_repeats_a_reconcile_that_runs()
    {
        var queue = new WorkQueue(new FakeTimeProvider());
        queue.Add(Key);
        Assert.Equal(Key, await queue.TakeAsync(CancellationToken.None));
        queue.AddUnlessRunning(Key); // e.g. the bind guard removed the container this reconcile just started
        queue.AddRateLimited(Key);
        queue.Done(Key);
        Assert.Equal(0, queue.Depth); // only the backoff timer brings it back

        queue.AddUnlessBackingOff(Key);
        Assert.Equal(0, queue.Depth);
        queue.AddUnlessRunning(Key); // something happened to the object outside a reconcile: looked at now
        Assert.Equal(1, queue.Depth);
    }

    [Fact]
    public async Task A_hold_waits_for_the_running_reconcile_keeps_the_next_from_starting_and_runs_it_once_afterwards()
    {
        var queue = new WorkQueue(new FakeTimeProvider());
        queue.Add(Key);
        Assert.Equal(Key, await queue.TakeAsync(CancellationToken.None)); // a reconcile runs

        var hold = queue.HoldAsync(Key, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(hold.IsCompleted); // not while that reconcile runs
        queue.Done(Key);
        var held = await hold.WaitAsync(TimeSpan.FromSeconds(10));

        queue.Add(Key); // the verb's own add (agent start clears the stop)
        queue.Add(Key);
        Assert.Equal(0, queue.Depth); // no reconcile starts during the hold
        using var taking = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await queue.TakeAsync(taking.Token));

        held.Dispose();
        held.Dispose(); // once
        Assert.Equal(Key, await queue.TakeAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        queue.Done(Key);
        Assert.Equal(0, queue.Depth);
    }

    [Fact]
    public async Task A_key_queued_before_a_hold_is_not_taken_during_it_and_runs_after()
    {
        var queue = new WorkQueue(new FakeTimeProvider());
        queue.Add(Key);
        using (await queue.HoldAsync(Key, CancellationToken.None))
        {
            using var taking = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await queue.TakeAsync(taking.Token));
        }
        Assert.Equal(Key, await queue.TakeAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
