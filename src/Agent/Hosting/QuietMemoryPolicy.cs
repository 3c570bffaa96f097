namespace Agent.Hosting;

/// <summary>
/// When to give memory back after use (pure; <see cref="MemoryRelease"/> feeds it a sample every few seconds): once the
/// agent has been quiet (no API request, no reconcile started or running) for the quiet period, and its anonymous memory
/// (GC heap, thread stacks, Kestrel's pool) has grown by at least <see cref="Growth"/> since the last release. Anonymous
/// memory, not RSS: the executable's pages that fault back after a release are file pages the next release would only
/// drop again, so counting them would release over and over for nothing. The baseline is what the last release left,
/// so an agent whose live data did grow (a larger manifest folder) is released once, not at every quiet moment.
/// </summary>
public sealed class QuietMemoryPolicy(TimeSpan quietPeriod)
{
    /// <summary>More than the 4 MiB gen0 budget an idle agent fills and empties on its own, less than a burst of API
    /// load leaves behind (+7 to +19 MiB anonymous measured after 10 s of wrk on /api/v1/containers).</summary>
    public const long Growth = 6 * 1024;

    private long seenActivity = -1;
    private DateTimeOffset lastActivity;
    private long baselineKib = long.MaxValue;

    /// <param name="now">The sample's time.</param>
    /// <param name="activity">A count that moves with every API request and every reconcile started.</param>
    /// <param name="busy">Whether a reconcile is running.</param>
    /// <param name="anonymousKib">The process's anonymous resident memory (RssAnon).</param>
    public bool ShouldRelease(DateTimeOffset now, long activity, bool busy, long anonymousKib)
    {
        if (activity != seenActivity || busy)
        {
            seenActivity = activity;
            lastActivity = now;
            return false;
        }
        return now - lastActivity >= quietPeriod && anonymousKib - baselineKib >= Growth;
    }

    /// <summary>A release just ran and left this much anonymous memory: growth counts from here.</summary>
    public void Released(long anonymousKib) => baselineKib = anonymousKib;
}
