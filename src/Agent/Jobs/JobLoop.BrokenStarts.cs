using System.Collections.Concurrent;
using Agent.Core.Jobs;
using Agent.Core.Model;
using Agent.Engine;

namespace Agent.Jobs;

/// <summary>
/// Runs whose start the engine did not answer (<see cref="BrokenStart"/>): nothing is decided about them until the engine
/// answers again and says whether a container of the run ran. The run stays active meanwhile; a container of it created
/// and never started is removed.
/// </summary>
public sealed partial class JobLoop
{
    private readonly HashSet<string> startedAgain = new(StringComparer.Ordinal); // the loop's own: only its steps touch it
    private readonly ConcurrentDictionary<string, (string Why, bool Hung)> brokenStarts = new(StringComparer.Ordinal); // run id → why its start broke off

    private async Task<JobHistory> SettleBrokenStartsAsync(JobHistory history, CancellationToken ct)
    {
        startedAgain.RemoveWhere(id => !history.Runs.Any(r => r.Id == id && r.IsActive));
        if (brokenStarts.IsEmpty) return history;
        var containers = await jobs.ListAsync(key, ct); // the engine's answer, not the cache: it may not have seen the engine come back
        foreach (var (runId, (why, hung)) in brokenStarts.ToArray())
        {
            if (history.Runs.FirstOrDefault(r => r.Id == runId) is not { IsActive: true } run)
            {
                // Ended or dropped before the engine said: what of it landed goes, as the start's own answer would have had it.
                var recorded = history.Runs.Where(r => r.Id == runId).SelectMany(r => r.Attempts).Select(a => a.ContainerId).ToHashSet(StringComparer.Ordinal);
                foreach (var c in containers.Where(c => jobs.RunOf(c) == runId && !recorded.Contains(c.Id))) await jobs.RemoveContainerAsync(c.Id, ct);
                brokenStarts.TryRemove(runId, out _);
                continue;
            }
            var ran = new List<ContainerSummary>();
            foreach (var c in containers.Where(c => jobs.RunOf(c) == runId && jobs.AttemptOf(c) == run.Attempts.Count + 1))
                if (await RemoveIfNeverStartedAsync(c.Id, ct) is { State: not ContainerState.Created }) ran.Add(c);
            brokenStarts.TryRemove(runId, out _);
            var attempt = AttemptAdoption.Unrecorded(run, jobs.Attempts(ran));
            var decision = BrokenStart.Decide(run, attempt is not null, hung, startedAgain.Contains(runId), desired()?.Cron, time.GetUtcNow());
            switch (decision.Outcome)
            {
                case BrokenStartOutcome.Follow:
                    logger.LogInformation("{Key}: run {Run}: its start broke off ({Error}), and its container {Container} had started: the run goes on", key, runId, why,
                        attempt!.ContainerName);
                    events?.Invoke("Normal", "Started", $"run {runId} attempt {attempt.Number} started: container {attempt.ContainerName} (its start's answer was lost: {why})");
                    history = WithRun(history, runId, r => r with { Attempts = [.. r.Attempts, attempt] });
                    break;
                case BrokenStartOutcome.StartAgain:
                    startedAgain.Add(runId);
                    logger.LogInformation("{Key}: run {Run}: its start broke off ({Error}) and nothing of it ran; it starts again", key, runId, why);
                    // Started here, before the step looks at the cache, which can still list the container just removed: a
                    // run whose start is under way adopts nothing (probe-35: adopted, then "failed", BackoffLimitExceeded).
                    if (desired() is { } want) StartInBackground(run, want, "its start broke off as the engine went away, and nothing of it ran");
                    break;
                case BrokenStartOutcome.Missed:
                    RemoveNeverStartedInBackground(runId); // a create the engine carries out late is removed, never started
                    history = Missed(history, runId, $"run {runId} not started, the engine did not answer its start ({why}) and nothing of it ran; {decision.Why}; counted as missed");
                    break;
                default:
                    RemoveNeverStartedInBackground(runId);
                    history = FailedToStart(history, runId, $"{why}; nothing of it ran, and {decision.Why}");
                    break;
            }
        }
        return history;
    }

    /// <summary>An active run none of which could start ends failed (StartFailed), and is not retried.</summary>
    private JobHistory FailedToStart(JobHistory history, string runId, string why)
    {
        logger.LogWarning("{Key}: run {Run} could not start: {Error}; it is recorded failed (StartFailed) and not retried", key, runId, why);
        events?.Invoke("Warning", RunReasons.StartFailed, $"run {runId} could not start: {why}; failed (StartFailed), not retried");
        return WithRun(history, runId, FailedToStart);
    }

    private JobRun FailedToStart(JobRun run) => Finished(run with { End = time.GetUtcNow(), Phase = RunPhase.Failed, Reason = RunReasons.StartFailed });

    /// <summary>Removes the container if the engine's own answer (a list can be an event behind) has it created and never
    /// started. Returns that answer: null for a container already gone; state Created for one this call removed.</summary>
    private async Task<ContainerDetails?> RemoveIfNeverStartedAsync(string id, CancellationToken ct)
    {
        var fresh = await jobs.InspectAsync(id, ct);
        if (fresh?.State == ContainerState.Created) await jobs.RemoveContainerAsync(id, ct);
        return fresh;
    }

    /// <summary>A scheduled run none of which started leaves the history and counts as a missed schedule time.</summary>
    private JobHistory Missed(JobHistory history, string runId, string message)
    {
        if (history.Runs.FirstOrDefault(r => r.Id == runId) is not { IsActive: true, Attempts.Count: 0 }) return history;
        ReportNotRun(1, 0, message);
        return history with { Runs = history.Runs.Where(r => r.Id != runId).ToList(), MissedRuns = history.MissedRuns + 1 };
    }
}
