using System.Threading.RateLimiting;

namespace Agent.Http;

/// <summary>
/// A fixed window of permits per client (<see cref="RateLimitClient"/>), counted from the clock at each request: no
/// timer. <c>PartitionedRateLimiter.Create</c> keeps a 100 ms heartbeat running for the life of the process (10 timer
/// ticks and thread-pool work items a second on an idle agent), which this avoids. A client's window opens with its first
/// request and lasts <c>window</c>; windows that ended are dropped while counting, at most once per window.
/// </summary>
public sealed class ClientRateLimiter(int permits, TimeSpan window, TimeProvider time, Func<HttpContext, string?> clientOf)
    : PartitionedRateLimiter<HttpContext>
{
    private static readonly Lease Granted = new(true, null);
    private readonly Dictionary<string, ClientWindow> windows = new(StringComparer.Ordinal);
    private readonly Lock sync = new();
    private long lastSweep = time.GetTimestamp();

    public int Permits => permits;
    public TimeSpan Window => window;

    private sealed class ClientWindow(long start)
    {
        public long Start = start;
        public long Used;
    }

    public override RateLimiterStatistics? GetStatistics(HttpContext resource)
    {
        if (clientOf(resource) is not { } client) return null;
        lock (sync)
        {
            var now = time.GetTimestamp();
            var used = windows.TryGetValue(client, out var w) && time.GetElapsedTime(w.Start, now) < window ? w.Used : 0;
            return new RateLimiterStatistics { CurrentAvailablePermits = Math.Max(0, permits - used), CurrentQueuedCount = 0 };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount)
    {
        if (permitCount > permits) throw new ArgumentOutOfRangeException(nameof(permitCount), permitCount, $"at most {permits} permits");
        if (clientOf(resource) is not { } client) return Granted;
        lock (sync)
        {
            var now = time.GetTimestamp();
            Sweep(now);
            if (!windows.TryGetValue(client, out var w)) windows[client] = w = new ClientWindow(now);
            else if (time.GetElapsedTime(w.Start, now) >= window) (w.Start, w.Used) = (now, 0);
            if (w.Used + permitCount <= permits && (permitCount > 0 || w.Used < permits))
            {
                w.Used += permitCount;
                return Granted;
            }
            return new Lease(false, window - time.GetElapsedTime(w.Start, now));
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(resource, permitCount)); // no queue: a request over the limit is turned away at once

    private void Sweep(long now)
    {
        if (time.GetElapsedTime(lastSweep, now) < window) return;
        lastSweep = now;
        foreach (var (client, w) in windows)
            if (time.GetElapsedTime(w.Start, now) >= window) windows.Remove(client);
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter is { } r && metadataName == MetadataName.RetryAfter.Name ? r : null;
            return metadata is not null;
        }
    }
}
