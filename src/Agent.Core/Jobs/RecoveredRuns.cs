using Agent.Core.Model;

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

    /// <summary>
    /// An active run with every attempt its containers' labels name, as the agent knew it before a restart. A history saved
    /// while the run went on (a save that failed on a full state dir, an older copy, a file rebuilt from the labels) holds
    /// fewer attempts than ran, or holds them as still running: only the last one was looked at, so a run whose attempts
    /// were exhausted counted one failure and ran another attempt past backoffLimit after the restart (probe-39). Each
    /// attempt whose container ended takes its start, end and exit code; every attempt before the last ended (a retry starts
    /// only after the attempt before it ended), so one whose container is gone or was never started is a failed attempt.
    /// A last attempt whose container runs, was never started or is gone is left for the caller to follow (start or end
    /// it). Then <see cref="RunDecisions.Step"/> judges the run as it did in memory:
    /// succeeded, failed past backoffLimit or activeDeadline, or retried within them. A finished run is the truth as saved.
    /// </summary>
    /// <param name="containers">The job's containers: run and attempt from their labels, and how each ended.</param>
    public static JobRun WithLabelledAttempts(JobRun run, IEnumerable<LabelledAttempt> containers)
    {
        if (!run.IsActive) return run;
        var mine = containers.Where(c => c.RunId == run.Id && c.Attempt >= 1).ToList();
        var byNumber = mine.GroupBy(c => c.Attempt)
            .ToDictionary(g => g.Key, g => g.OrderBy(c => c.Created).ThenBy(c => c.ContainerId, StringComparer.Ordinal).First());
        var last = Math.Max(run.Attempts.Count == 0 ? 0 : run.Attempts.Max(a => a.Number), byNumber.Count == 0 ? 0 : byNumber.Keys.Max());
        if (last == 0) return run;

        var attempts = new JobAttempt[last];
        DateTimeOffset? nextStart = null; // the start of the attempt after: the one before it had ended by then
        for (var n = last; n >= 1; n--)
        {
            var recorded = run.Attempts.FirstOrDefault(a => a.Number == n);
            var seen = recorded is null ? byNumber.GetValueOrDefault(n) : mine.FirstOrDefault(c => c.ContainerId == recorded.ContainerId);
            var attempt = recorded
                ?? (seen is null
                    ? new JobAttempt(n, "", "", nextStart ?? run.Start) // its container is gone (removed after a refused start)
                    : new JobAttempt(n, seen.ContainerId, seen.ContainerName, seen.Started ?? seen.Created));
            if (!attempt.Finished && seen is { Ended: { } ended })
                attempt = attempt with { Start = seen.Started ?? attempt.Start, End = ended, ExitCode = seen.ExitCode };
            else if (!attempt.Finished && n < last)
                attempt = seen is { NeverStarted: true }
                    ? attempt with { End = seen.Created, StartError = "its container was created and never started" }
                    : attempt with { End = nextStart ?? attempt.Start }; // gone, or running (cannot be: a later attempt started): a failed attempt
            attempts[n - 1] = attempt;
            nextStart = attempt.Start;
        }
        return attempts.SequenceEqual(run.Attempts) ? run : run with { Attempts = attempts.ToList() };
    }

    /// <summary>
    /// The active runs a later run had replaced: where only one run is active at a time (a Job or API job, whose changed
    /// template replaces its run; a CronJob with concurrencyPolicy Replace), a run older than the job's newest run had
    /// ended before that one started. When its attempts do not say how (<see cref="RunDecisions.Step"/> does not finish it),
    /// it was replaced: a history saved before that (a full state dir) holds it as active, and it must not be retried or
    /// followed beside the run that replaced it. Call it with each run's attempts as its containers' labels name them
    /// (<see cref="WithLabelledAttempts"/>).
    /// </summary>
    public static IReadOnlyList<string> Superseded(JobHistory history, JobTemplate template, bool oneRunAtATime, DateTimeOffset now, TimeSpan backoffBase)
    {
        if (!oneRunAtATime || history.Runs.Count < 2) return [];
        var newest = history.Runs.MaxBy(r => r.Start)!;
        return history.Runs
            .Where(r => r.IsActive && r.Id != newest.Id && r.Start <= newest.Start && RunDecisions.Step(template, r, now, backoffBase).Action != RunAction.Finish)
            .Select(r => r.Id)
            .ToList();
    }
}
