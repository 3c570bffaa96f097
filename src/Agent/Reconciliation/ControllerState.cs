using System.Collections.Concurrent;
using Agent.Core;
using Agent.Core.Model;
using Agent.Core.Planning;

namespace Agent.Reconciliation;

/// <summary>The controller's progress, for the probes: is the first full sync done, is any reconcile stuck.</summary>
public sealed class ControllerState(TimeProvider time)
{
    private readonly ConcurrentDictionary<int, WorkerProgress> busy = new();
    // The worker whose reconcile the current async flow belongs to, so plan steps report progress without plumbing.
    private static readonly AsyncLocal<WorkerProgress?> current = new();
    private readonly Lock sync = new();
    private HashSet<ObjectKey>? firstSync;
    private readonly TaskCompletionSource firstSyncDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool synced;
    private long reconcilesStarted;

    public bool FirstSyncDone => synced;

    /// <summary>Completes when the first full sync is done.</summary>
    public Task FirstSync => firstSyncDone.Task;

    public void BeginSync(IEnumerable<ObjectKey> keys)
    {
        lock (sync)
        {
            if (synced || firstSync is not null) return;
            firstSync = keys.ToHashSet();
            if (firstSync.Count == 0) Done();
        }
    }

    public void Synced(ObjectKey key)
    {
        lock (sync)
        {
            if (firstSync is null || synced) return;
            firstSync.Remove(key);
            if (firstSync.Count == 0) Done();
        }
    }

    private void Done()
    {
        synced = true;
        Hosting.StartupTimeline.Mark("first sync");
        firstSyncDone.TrySetResult();
    }

    public void Started(int worker)
    {
        Interlocked.Increment(ref reconcilesStarted);
        busy[worker] = current.Value = new WorkerProgress(time.GetUtcNow());
    }

    /// <summary>How many reconciles have started (moves whenever the controller works; the memory release waits for quiet).</summary>
    public long ReconcilesStarted => Interlocked.Read(ref reconcilesStarted);

    /// <summary>Whether a reconcile is running now.</summary>
    public bool Reconciling => !busy.IsEmpty;

    public void Finished(int worker)
    {
        busy.TryRemove(worker, out _);
        current.Value = null;
    }

    /// <summary>
    /// A plan step of the current reconcile begins; it may take up to <paramref name="bound"/> on its own (a health gate's
    /// healthTimeout, a graceful stop). Its end is progress. Outside a reconcile (the imperative API) it does nothing.
    /// </summary>
    public IDisposable Step(TimeSpan? bound)
    {
        if (current.Value is not { } worker) return NoStep.Instance;
        var step = new StepProgress(worker, time);
        worker.Waits[step] = time.GetUtcNow().Plus(bound ?? TimeSpan.Zero);
        return step;
    }

    /// <summary>The longest any reconcile has gone without progress past the bounds of the steps it is waiting on.</summary>
    public TimeSpan LongestStall
    {
        get
        {
            var now = time.GetUtcNow();
            return busy.Values.Select(w => Liveness.Stall(now, w.LastProgress, w.Waits.Values)).DefaultIfEmpty(TimeSpan.Zero).Max();
        }
    }

    private sealed class WorkerProgress(DateTimeOffset started)
    {
        private long lastProgressTicks = started.UtcTicks;
        public readonly ConcurrentDictionary<StepProgress, DateTimeOffset> Waits = new();
        public DateTimeOffset LastProgress => new(Interlocked.Read(ref lastProgressTicks), TimeSpan.Zero);
        public void Progressed(DateTimeOffset at) => Interlocked.Exchange(ref lastProgressTicks, at.UtcTicks);
    }

    private sealed class StepProgress(WorkerProgress worker, TimeProvider time) : IDisposable
    {
        public void Dispose()
        {
            worker.Progressed(time.GetUtcNow());
            worker.Waits.TryRemove(this, out _);
        }
    }

    private sealed class NoStep : IDisposable
    {
        public static readonly NoStep Instance = new();
        public void Dispose() { }
    }
}

/// <summary>Liveness means "not stuck" (kubelet semantics): a reconcile inside a bound it chose is alive, however long.</summary>
public static class Liveness
{
    /// <summary>How long a plan step may take on its own: a pull or build <paramref name="imageTimeout"/> (it may print
    /// nothing for minutes, and is cancelled at that bound), any other step its own bound (null: none, an engine call).</summary>
    public static TimeSpan? Bound(OperationKind kind, TimeSpan? own, TimeSpan imageTimeout) =>
        kind is OperationKind.EnsureImage or OperationKind.BuildImage && imageTimeout > TimeSpan.Zero ? imageTimeout : own;

    /// <summary>
    /// How long a reconcile has been stalled at <paramref name="now"/>: time since its last progress (start or a finished
    /// step), but never before the end of a step's own bound (<paramref name="stepBounds"/>: start + bound of each running step).
    /// </summary>
    public static TimeSpan Stall(DateTimeOffset now, DateTimeOffset lastProgress, IEnumerable<DateTimeOffset> stepBounds)
    {
        var expected = stepBounds.Aggregate(lastProgress, (a, b) => a > b ? a : b);
        return now > expected ? now - expected : TimeSpan.Zero;
    }
}
