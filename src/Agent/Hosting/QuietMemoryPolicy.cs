namespace Agent.Hosting;

/// <summary>
/// When to give memory back after use (pure; <see cref="MemoryRelease"/> feeds it a sample every few seconds): once the
/// agent has been quiet (no API request, no reconcile started or running) for the quiet period, and its anonymous memory
/// (GC heap, thread stacks, Kestrel's pool) has grown by at least <see cref="Growth"/> since the last release. Anonymous
/// memory, not RSS: the executable's pages that fault back after a release are file pages the next release would only
/// drop again, so counting them would release over and over for nothing. The baseline is what the last release left,
/// so an agent whose live data did grow (a larger manifest folder) is released once, not at every quiet moment.
/// File pages count only when work touched far more of them than idle life faults back (<see cref="FileGrowth"/>, e.g. a
/// cold converge of 100 containers: +28 MiB of code and type data that idle never runs again; an idle agent refaults
/// about 10 MiB after a release), and only when work (an API request, a reconcile) ran since the last release: what
/// probes, /metrics scrapes and timers fault back is idle life's own working set (probe-41: a /livez every 10 s faulted
/// back 16 MiB, and the agent released after nearly every probe, 0.76 % CPU where idle is 0.1 %).
/// </summary>
public sealed class QuietMemoryPolicy(TimeSpan quietPeriod)
{
    /// <summary>More than the 4 MiB gen0 budget an idle agent fills and empties on its own, less than a burst of API
    /// load leaves behind (+7 to +19 MiB anonymous measured after 10 s of wrk on /api/v1/containers).</summary>
    public const long Growth = 6 * 1024;

    private long seenActivity = -1;
    private DateTimeOffset lastActivity;
    /// <summary>Growth of file-backed resident pages (code, the executable's type data) that counts as use.</summary>
    public const long FileGrowth = 16 * 1024;

    private long baselineKib = long.MaxValue;
    private long fileBaselineKib = long.MaxValue;
    private long activityAtRelease = long.MinValue;

    /// <param name="now">The sample's time.</param>
    /// <param name="activity">A count that moves with every API request and every reconcile started.</param>
    /// <param name="busy">Whether a reconcile is running.</param>
    /// <param name="anonymousKib">The process's anonymous resident memory (RssAnon).</param>
    /// <param name="fileKib">The process's file-backed resident memory (RssFile); 0 when not sampled.</param>
    public bool ShouldRelease(DateTimeOffset now, long activity, bool busy, long anonymousKib, long fileKib = 0)
    {
        if (activity != seenActivity || busy)
        {
            seenActivity = activity;
            lastActivity = now;
            return false;
        }
        var workSinceRelease = activity != activityAtRelease;
        return now - lastActivity >= quietPeriod
               && (anonymousKib - baselineKib >= Growth || workSinceRelease && fileKib - fileBaselineKib >= FileGrowth);
    }

    /// <summary>A release just ran, at <paramref name="activity"/> (the count <see cref="ShouldRelease"/> is given), and left
    /// this much anonymous (and file-backed) memory: growth counts from here.</summary>
    public void Released(long activity, long anonymousKib, long fileKib = long.MaxValue)
    {
        activityAtRelease = activity;
        baselineKib = anonymousKib;
        fileBaselineKib = fileKib;
    }
}
