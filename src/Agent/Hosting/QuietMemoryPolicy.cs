namespace Agent.Hosting;

/// <summary>
/// When to give memory back after use (pure; <see cref="MemoryRelease"/> feeds it a sample every second): once the
/// agent has been quiet (no API request for the quiet period, and no reconcile started or running for
/// <see cref="AfterReconciles"/>), and its anonymous memory (GC heap, thread stacks, Kestrel's pool) has grown by at least
/// <see cref="Growth"/> since the last release. Anonymous memory, not RSS: the executable's pages that fault back after a
/// release are file pages the next release would only drop again, so counting them would release over and over for
/// nothing. The baseline is what the last release left, so an agent whose live data did grow (a larger manifest folder)
/// is released once, not at every quiet moment.
/// File pages count only when work touched far more of them than idle life faults back (<see cref="FileGrowth"/>, e.g. a
/// cold converge of 100 containers: +28 MiB of code and type data that idle never runs again; an idle agent refaults
/// about 10 MiB after a release), and only when work (an API request, a reconcile) ran since the last release: what
/// probes, /metrics scrapes and timers fault back is idle life's own working set (probe-41: a /livez every 10 s faulted
/// back 16 MiB, and the agent released after nearly every probe, 0.76 % CPU where idle is 0.1 %).
/// Reconciles wait only <see cref="AfterReconciles"/>, not the quiet period: the controller's own work ends when its
/// queue is empty, and nothing comes back soon the way an API client does. The resync every 60 s faults back some 12 MiB
/// of code and type data; with the full quiet period that stayed resident 10 to 15 s of each minute. Releases are still
/// at least a quiet period apart, so a container that crash-loops costs at most one release per period.
/// </summary>
public sealed class QuietMemoryPolicy(TimeSpan quietPeriod)
{
    /// <summary>More than the 4 MiB gen0 budget an idle agent fills and empties on its own, less than a burst of API
    /// load leaves behind (+7 to +19 MiB anonymous measured after 10 s of wrk on /api/v1/containers).</summary>
    public const long Growth = 6 * 1024;

    /// <summary>Growth of file-backed resident pages (code, the executable's type data) that counts as use.</summary>
    public const long FileGrowth = 16 * 1024;

    /// <summary>How long after the last reconcile ended (none running, none started) the controller's work counts as done.</summary>
    public static readonly TimeSpan AfterReconciles = TimeSpan.FromSeconds(2);

    private long seenRequests = -1, seenReconciles = -1;
    private DateTimeOffset lastRequest, lastReconcile, lastRelease = DateTimeOffset.MinValue;

    private long baselineKib = long.MaxValue;
    private long fileBaselineKib = long.MaxValue;
    private (long Requests, long Reconciles) workAtRelease = (long.MinValue, long.MinValue);

    /// <param name="now">The sample's time.</param>
    /// <param name="requests">A count that moves with every API request (probes and /metrics aside).</param>
    /// <param name="reconciles">A count that moves with the controller's and the jobs' work: every reconcile started, every job history kept.</param>
    /// <param name="busy">Whether a reconcile is running.</param>
    /// <param name="anonymousKib">The process's anonymous resident memory (RssAnon).</param>
    /// <param name="fileKib">The process's file-backed resident memory (RssFile); 0 when not sampled.</param>
    public bool ShouldRelease(DateTimeOffset now, long requests, long reconciles, bool busy, long anonymousKib, long fileKib = 0)
    {
        var moved = false;
        if (requests != seenRequests)
        {
            seenRequests = requests;
            lastRequest = now;
            moved = true;
        }
        if (reconciles != seenReconciles || busy)
        {
            seenReconciles = reconciles;
            lastReconcile = now;
            moved = true;
        }
        if (moved) return false;
        var workSinceRelease = (requests, reconciles) != workAtRelease;
        return now - lastRequest >= quietPeriod
               && now - lastReconcile >= AfterReconciles
               && now - lastRelease >= quietPeriod
               && (anonymousKib - baselineKib >= Growth || workSinceRelease && fileKib - fileBaselineKib >= FileGrowth);
    }

    /// <summary>Whether the anonymous memory grew enough since the last release for a compacting collection to give back
    /// something; when only file pages grew (a job's run, a resync), paging them out is the whole release.</summary>
    public bool HeapGrew(long anonymousKib) => anonymousKib - baselineKib >= Growth;

    /// <summary>A release just ran at <paramref name="now"/>, with the counts <see cref="ShouldRelease"/> is given, and
    /// left this much anonymous (and file-backed) memory: growth counts from here. A release that paged out file pages
    /// only (<paramref name="collected"/> false) leaves the anonymous baseline where the last collection put it, so the
    /// heap's slow growth still adds up to a collection.</summary>
    public void Released(DateTimeOffset now, long requests, long reconciles, long anonymousKib, long fileKib = long.MaxValue, bool collected = true)
    {
        lastRelease = now;
        workAtRelease = (requests, reconciles);
        baselineKib = collected ? anonymousKib : Math.Min(baselineKib, anonymousKib);
        fileBaselineKib = fileKib;
    }
}
