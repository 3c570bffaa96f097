namespace Agent.Telemetry;

/// <summary>
/// A gauge series that is no longer reported reads 0 rather than leaving the scrape (probe-18 F2): once every container
/// of a group exited, agent_managed_containers{state="running"} says 0. OpenTelemetry 1.20 leaves a series its callback
/// did not report out of the scrape, so a query or alert on it finds no value (and an SDK that kept the last point would
/// still say 2). Each series reported once is reported at every collection from then on, as 0 when it has no count now;
/// the series are few and bounded (kind x state).
/// </summary>
public sealed class GoneSeries<TSeries> where TSeries : notnull
{
    private readonly HashSet<TSeries> seen = [];
    private readonly Lock sync = new();

    /// <summary>This collection's counts, then a 0 for every series seen before that is missing now.</summary>
    public IReadOnlyList<(TSeries Series, int Count)> Complete(IEnumerable<(TSeries Series, int Count)> now)
    {
        var current = now.ToList();
        lock (sync)
        {
            var reported = current.Select(c => c.Series).ToHashSet();
            var gone = seen.Where(s => !reported.Contains(s)).ToList();
            seen.UnionWith(reported);
            return [.. current, .. gone.Select(s => (s, 0))];
        }
    }
}
