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
    [Fact]
    public async Task A_verb_waiting_for_a_reconcile_goes_before_an_add_made_meanwhile_and_that_add_runs_after_it()
    {
        var queue = new WorkQueue(new FakeTimeProvider());
        queue.Add(Key);
        Assert.Equal(Key, await queue.TakeAsync(CancellationToken.None)); // a reconcile runs (a stop landing, for long)
        var hold = queue.HoldAsync(Key, CancellationToken.None);
        queue.Add(Key); // the verb's own change (agent start clears the stop) queues a reconcile
        queue.Done(Key);
        using var held = await hold.WaitAsync(TimeSpan.FromSeconds(10)); // the verb is handed the key
        using (var taking = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await queue.TakeAsync(taking.Token));
        held.Dispose();
        Assert.Equal(Key, await queue.TakeAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_verb_whose_wait_is_cancelled_leaves_the_key_to_the_next_waiter_and_then_to_the_workers()
    {
        var queue = new WorkQueue(new FakeTimeProvider());
        queue.Add(Key);
        await queue.TakeAsync(CancellationToken.None);
        using var gone = new CancellationTokenSource();
        var first = queue.HoldAsync(Key, gone.Token);
        var second = queue.HoldAsync(Key, CancellationToken.None);
        await gone.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        queue.Done(Key);
        var held = await second.WaitAsync(TimeSpan.FromSeconds(10));
        queue.Add(Key);
        held.Dispose();
        Assert.Equal(Key, await queue.TakeAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        queue.Done(Key);
        Assert.Equal(0, queue.Depth);
        using var again = await queue.HoldAsync(Key, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)); // nothing holds it
    }
}
