using System.Collections.Concurrent;
using Agent.Core.Model;

namespace Agent.Reconciliation;

/// <summary>The controller's progress, for the probes: is the first full sync done, is any reconcile stuck.</summary>
public sealed class ControllerState(TimeProvider time)
{
    private readonly ConcurrentDictionary<int, DateTimeOffset> busy = new();
    private readonly Lock sync = new();
    private HashSet<ObjectKey>? firstSync;
    private readonly TaskCompletionSource firstSyncDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool synced;

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

    public void Started(int worker) => busy[worker] = time.GetUtcNow();
    public void Finished(int worker) => busy.TryRemove(worker, out _);

    /// <summary>The longest a reconcile has been running right now.</summary>
    public TimeSpan LongestRunning => busy.Values.Select(t => time.GetUtcNow() - t).DefaultIfEmpty(TimeSpan.Zero).Max();
}
