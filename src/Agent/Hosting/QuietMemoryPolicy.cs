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
/// about 10 MiB after a release).
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
        return now - lastActivity >= quietPeriod && (anonymousKib - baselineKib >= Growth || fileKib - fileBaselineKib >= FileGrowth);
    }

    /// <summary>A release just ran and left this much anonymous (and file-backed) memory: growth counts from here.</summary>
    public void Released(long anonymousKib, long fileKib = long.MaxValue)
    {
        baselineKib = anonymousKib;
        fileBaselineKib = fileKib;
    }
}
