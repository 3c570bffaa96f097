namespace Agent.Core.Jobs;

/// <summary>
/// Merges the runs a job's containers' labels name into its history (pure). A history the state dir kept can be one
/// run behind its containers (a save that failed on a full disk, an older copy put back): a run found on the engine is
/// a run, and when it started after every run the history knows, its template is the one the job last ran, whatever the
/// stale history says. Before, the stale history's template hash stayed and a changed Job ran its new template a second
/// time at every restart (probe-16 F4).
/// </summary>
public static class RecoveredRuns
{
    /// <summary>The history with <paramref name="fromLabels"/>' runs it does not know added; <c>Recovered</c>: those runs.</summary>
    public static (JobHistory History, IReadOnlyList<JobRun> Recovered) Merge(JobHistory history, IEnumerable<JobRun> fromLabels)
    {
        var known = history.Runs.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var lost = fromLabels.Where(r => !known.Contains(r.Id)).ToList();
        if (lost.Count == 0) return (history, lost);
        var merged = history with { Runs = [.. history.Runs, .. lost] };
        var latestScheduled = lost.Max(r => r.ScheduledTime);
        if (latestScheduled is not null && (merged.Cursor is null || latestScheduled > merged.Cursor))
            merged = merged with { Cursor = latestScheduled, LastScheduleTime = latestScheduled };
        // The template of the latest run started: a recovered run newer than all the history knows decides it.
        var newestKnown = history.Runs.Count == 0 ? (DateTimeOffset?)null : history.Runs.Max(r => r.Start);
        var newestLost = lost.Where(r => r.TemplateHash is not null).OrderBy(r => r.Start).LastOrDefault();
        if (newestLost is not null && (merged.TemplateHash is null || newestKnown is null || newestLost.Start > newestKnown))
            merged = merged with { TemplateHash = newestLost.TemplateHash };
        return (merged, lost);
    }
}
