using System.Threading.Channels;
using Agent.Core.Model;

namespace Agent.Reconciliation;

/// <summary>
/// The controller's work queue (after client-go's): repeated adds of a key merge, a key is never processed
/// twice at once (an add while it runs re-queues it once afterwards), and failures come back with
/// per-key exponential backoff.
/// </summary>
public sealed class WorkQueue(TimeProvider time)
{
    private static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(2);

    private readonly Channel<ObjectKey> ready = Channel.CreateUnbounded<ObjectKey>();
    private readonly Lock sync = new();
    private readonly HashSet<ObjectKey> queued = [];
    private readonly HashSet<ObjectKey> processing = [];
    private readonly HashSet<ObjectKey> dirty = [];
    private readonly Dictionary<ObjectKey, int> failures = [];
    private readonly Dictionary<ObjectKey, ITimer> delayed = [];
    private readonly Dictionary<ObjectKey, Queue<TaskCompletionSource>> holders = [];

    public int Depth { get { lock (sync) return queued.Count; } }

    public void Add(ObjectKey key)
    {
        lock (sync)
        {
            if (processing.Contains(key))
            {
                dirty.Add(key);
                return;
            }
            if (!queued.Add(key)) return;
        }
        ready.Writer.TryWrite(key);
    }

    public void AddAfter(ObjectKey key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }
        lock (sync)
        {
            if (delayed.Remove(key, out var existing)) existing.Dispose();
            delayed[key] = time.CreateTimer(_ =>
            {
                lock (sync) delayed.Remove(key);
                Add(key);
            }, null, Core.SaturatingTime.TimerDelay(delay), Timeout.InfiniteTimeSpan); // longer: added then, and its reconcile asks again
        }
    }

    /// <summary>Re-queues a failed key after 0.5 s, 1 s, 2 s ... up to 2 minutes; returns the delay.</summary>
    public TimeSpan AddRateLimited(ObjectKey key)
    {
        TimeSpan delay;
        lock (sync)
        {
            var n = failures[key] = failures.GetValueOrDefault(key) + 1;
            delay = TimeSpan.FromMilliseconds(Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, n - 1)));
        }
        AddAfter(key, delay);
        return delay;
    }

    /// <summary>An add from an event or its follow-ups: while the key is failing, its backoff timer is the only retry.</summary>
    public void AddUnlessBackingOff(ObjectKey key)
    {
        lock (sync)
        {
            if (failures.GetValueOrDefault(key) > 0) return;
        }
        Add(key);
    }

    /// <summary>An add about something that happened outside the key's reconcile (even while it backs off), unless that
    /// reconcile runs now: it reports what it did itself, and a failure of it backs off (no add can loop it).</summary>
    public void AddUnlessRunning(ObjectKey key)
    {
        lock (sync)
        {
            if (processing.Contains(key)) return;
        }
        Add(key);
    }

    public void Forget(ObjectKey key)
    {
        lock (sync) failures.Remove(key);
    }

    public int Failures(ObjectKey key)
    {
        lock (sync) return failures.GetValueOrDefault(key);
    }

    public async ValueTask<ObjectKey> TakeAsync(CancellationToken ct)
    {
        while (true)
        {
            var key = await ready.Reader.ReadAsync(ct);
            lock (sync)
            {
                if (!queued.Remove(key)) continue;
                processing.Add(key);
                return key;
            }
        }
    }

    public void Done(ObjectKey key)
    {
        bool again;
        lock (sync)
        {
            // A verb waiting to hold the key goes next, before a reconcile queued meanwhile (which runs after it).
            if (holders.TryGetValue(key, out var waiting))
            {
                var next = waiting.Dequeue();
                if (waiting.Count == 0) holders.Remove(key);
                next.SetResult();
                return;
            }
            processing.Remove(key);
            again = dirty.Remove(key);
        }
        if (again) Add(key);
    }

    /// <summary>
    /// For an API verb that plans and acts on an object outside the workers (agent start): waits until no reconcile of
    /// <paramref name="key"/> runs, then keeps one from starting until the answer is disposed, as if the verb were that
    /// key's reconcile. Verbs waiting go before reconciles queued (in the order they came); an add meanwhile (or one
    /// queued before) runs once afterwards. Without it, the reconcile the verb queues replaced a container the verb was
    /// starting (probe-20 F1: No such container) and started a dependent before the dependency the verb was starting (F2).
    /// </summary>
    public async Task<IDisposable> HoldAsync(ObjectKey key, CancellationToken ct)
    {
        TaskCompletionSource turn;
        lock (sync)
        {
            if (TryHold(key) is { } now) return now;
            if (!holders.TryGetValue(key, out var waiting)) holders[key] = waiting = new();
            waiting.Enqueue(turn = new(TaskCreationOptions.RunContinuationsAsynchronously));
        }
        try
        {
            await turn.Task.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            lock (sync)
            {
                if (!turn.Task.IsCompleted)
                {
                    var waiting = holders[key];
                    holders[key] = new(waiting.Where(t => t != turn));
                    if (holders[key].Count == 0) holders.Remove(key);
                    throw;
                }
            }
            Done(key); // its turn came as it was cancelled: handed on
            throw;
        }
        return new Held(this, key);
    }

    /// <summary>The key's hold (<see cref="HoldAsync"/>) if no reconcile of it runs now; null otherwise.</summary>
    public IDisposable? TryHold(ObjectKey key)
    {
        lock (sync)
        {
            if (!processing.Add(key)) return null;
            if (queued.Remove(key)) dirty.Add(key); // its channel entry is skipped by TakeAsync; Done adds it again
            return new Held(this, key);
        }
    }

    private sealed class Held(WorkQueue queue, ObjectKey key) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) queue.Done(key);
        }
    }
}
