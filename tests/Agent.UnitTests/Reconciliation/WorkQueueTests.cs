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
}
