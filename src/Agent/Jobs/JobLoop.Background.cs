using System.Collections.Concurrent;
using Agent.Core.Jobs;
using Agent.Core.Model;
using Agent.Engine;

namespace Agent.Jobs;

/// <summary>
/// The engine work of a <see cref="JobLoop"/> that takes time: starting an attempt, killing one, removing expired runs.
/// It runs beside the loop, so a slow engine never makes a schedule time late or skipped. Each piece of work ends by
/// queueing a change to the history; the loop applies the queue at the start of its next step (the loop alone writes
/// the history) and is woken for it. A run whose start is under way is active, so Forbid sees it and Replace kills it
/// once its container exists. Work already begun is finished when the loop stops (never a container left unrecorded).
/// </summary>
public sealed partial class JobLoop
{
    private readonly ConcurrentQueue<Func<JobHistory, JobHistory>> completed = new();
    private readonly ConcurrentDictionary<Task, byte> background = new();
    private readonly HashSet<string> starting = new(StringComparer.Ordinal);
    private readonly HashSet<string> endedWhileStarting = new(StringComparer.Ordinal); // killed (Replace, deadline) before its start was sent

    // When each start under way was sent to the engine, until its answer (or failure) comes back.
    private readonly ConcurrentDictionary<string, DateTimeOffset> startsSent = new(StringComparer.Ordinal);

    /// <summary>How long the oldest start sent to the engine has waited for its answer (zero when none waits).</summary>
    private TimeSpan OldestStartWaiting(DateTimeOffset now) => startsSent.IsEmpty ? TimeSpan.Zero : now - startsSent.Values.DefaultIfEmpty(now).Min();

    private JobHistory ApplyCompleted(JobHistory history)
    {
        while (completed.TryDequeue(out var change)) history = change(history);
        return history;
    }

    private void Complete(Func<JobHistory, JobHistory> change)
    {
        completed.Enqueue(change);
        wake.Release();
    }

    private void InBackground(Func<Task> work)
    {
        var task = Task.Run(work);
        background[task] = 0;
        task.ContinueWith(t => background.TryRemove(t, out _), TaskScheduler.Default);
    }

    /// <summary>Waits for work under way and applies its results, so nothing it did is left out of the history file.</summary>
    private async Task SettleAsync()
    {
        while (!background.IsEmpty || !completed.IsEmpty)
        {
            await Task.WhenAll(background.Keys.ToList());
            var record = store.Get(key);
            var history = ApplyCompleted(record?.History ?? new JobHistory()); // may start a last kill or removal: the loop waits for it too
            if (record is not null && history != record.History) store.Save(record with { History = history });
        }
    }

    private static JobHistory WithRun(JobHistory history, string runId, Func<JobRun, JobRun> change) =>
        history with { Runs = history.Runs.Select(r => r.Id == runId ? change(r) : r).ToList() };

    /// <summary>A run ended (killed) now: if its start is under way, that start is not sent (it was, if the run's
    /// container is running by the time the start's outcome is applied: then that container is killed).</summary>
    private void EndedWhileStarting(string runId)
    {
        lock (sync)
            if (starting.Contains(runId)) endedWhileStarting.Add(runId);
    }

    private bool StartUnderWay(string runId)
    {
        lock (sync) return starting.Contains(runId);
    }

    private void StartDone(string runId)
    {
        lock (sync)
        {
            starting.Remove(runId);
            endedWhileStarting.Remove(runId);
        }
    }

    /// <summary>Starts the run's next attempt, at most one start per run at a time.</summary>
    private void StartInBackground(JobRun run, DesiredJob want, string? why)
    {
        lock (sync)
            if (!starting.Add(run.Id)) return;
        var sent = startsSent[run.Id] = time.GetUtcNow();
        var template = want.Template;
        var hash = run.TemplateHash ?? want.TemplateHash;
        string? late = null;
        // A scheduled run whose create or start waited long on the engine (a freeze) is judged as a container found created
        // and never started would be: it starts only while its time is still the most recent due one and within
        // startingDeadline. The creates queued in a frozen engine are not all started at the thaw (probe-25: 12 runs at
        // once, up to 60 s late, past startingDeadline).
        bool Wanted()
        {
            lock (sync)
                if (endedWhileStarting.Contains(run.Id)) return false;
            if (desired() is not { } current) return false;
            var at = time.GetUtcNow();
            if (at - sent <= StartUnanswered) return true;
            late = NeverStarted.RemoveBecause(run, run.Attempts.Count + 1, current.Cron, at);
            return late is null;
        }
        InBackground(async () =>
        {
            try
            {
                // Not cancelled with the loop: a create that was sent is finished and recorded, never left behind unknown.
                var attempt = await jobs.StartAsync(key, run, template, hash, Wanted, CancellationToken.None);
                if (attempt is null && late is { } tooLate)
                {
                    Complete(history =>
                    {
                        StartDone(run.Id);
                        return Missed(history, run.Id, $"run {run.Id} not started, the engine answered too late: {tooLate}; counted as missed");
                    });
                    return;
                }
                bool ended;
                lock (sync) ended = endedWhileStarting.Contains(run.Id);
                if (attempt is null && ended)
                {
                    // probe-33 F3: a run Replace (or its deadline) ended while its start was under way is not started
                    // afterwards beside the run that replaced it; what was made of it is removed.
                    logger.LogInformation("{Key}: run {Run} not started: it was ended while its start was under way", key, run.Id);
                    Complete(history =>
                    {
                        StartDone(run.Id);
                        return history;
                    });
                    return;
                }
                if (attempt is null)
                {
                    // The manifest was deleted meanwhile (the step that made the run saw it): kept active without a
                    // container, it starts if the manifest comes back and goes with the job's history when it is pruned.
                    logger.LogInformation("{Key}: run {Run} not started: its manifest is gone", key, run.Id);
                    Complete(history =>
                    {
                        StartDone(run.Id);
                        return history;
                    });
                    return;
                }
                if (ended)
                    // The start was sent before the run ended (Replace, deadline): the engine carried it out, the container goes.
                    logger.LogInformation("{Key}: run {Run}: the engine started {Container} after the run was ended; it is killed and removed",
                        key, run.Id, attempt.ContainerName);
                else
                {
                    if (attempt.Number == 1 && run.ScheduledTime is { } scheduled)
                        JobMetrics.Lateness.Record(Math.Max(0, (attempt.Start - scheduled).TotalSeconds));
                    logger.LogInformation("{Key}: run {Run} attempt {Attempt} started ({Container}){Why}", key, run.Id, attempt.Number, attempt.ContainerName,
                        why is null ? "" : ": " + why);
                    events?.Invoke("Normal", "Started", $"run {run.Id} attempt {attempt.Number} started: container {attempt.ContainerName}" + (why is null ? "" : $" ({why})"));
                }
                Complete(history =>
                {
                    StartDone(run.Id);
                    var current = history.Runs.FirstOrDefault(r => r.Id == run.Id);
                    if (current is null)
                    {
                        // Forgotten while it started (expired, or its object deleted): its container goes too.
                        RemoveInBackground(run with { Attempts = [attempt] });
                        return history;
                    }
                    // Killed (Replace, deadline) while it started: the container it got is killed too, and its exit code recorded.
                    if (!current.IsActive) KillInBackground(run.Id, attempt, template);
                    return WithRun(history with { ReplacedBeforeStart = 0 }, run.Id, r => r with { Attempts = [.. r.Attempts, attempt] });
                });
            }
            catch (JobStartFailedException e)
            {
                // Created, and the engine refused its start: a failed attempt (retried within backoffLimit by RunDecisions);
                // its container is removed, never started later (NeverStarted removes it should this removal fail).
                var failed = e.Attempt with { End = time.GetUtcNow(), StartError = e.Message };
                logger.LogWarning("{Key}: run {Run} attempt {Attempt} could not start: {Error}", key, run.Id, failed.Number, e.Message);
                events?.Invoke("Warning", RunReasons.StartFailed, $"run {run.Id} attempt {failed.Number} could not start: {e.Message}");
                RemoveInBackground(run with { Attempts = [failed] });
                Complete(history =>
                {
                    StartDone(run.Id);
                    return WithRun(history, run.Id, r => r with { Attempts = [.. r.Attempts, failed] });
                });
            }
            catch (Exception e) // whatever went wrong, the run must not stay "starting" for ever
            {
                // Said when the history records it (the loop's next step, which a hung engine can hold up): until then
                // the run is active, and an agent stopped in between starts it again (probe-15m: "could not start", then it ran).
                // A call cut off names the engine, not "The operation was canceled." (probe-23).
                var why = e is OperationCanceledException ? JobEngineOutage.NoAnswer : e.Message;
                logger.LogDebug("{Key}: run {Run}: the start failed, recorded at the next step: {Error}", key, run.Id, why);
                var outage = e is EngineUnavailableException or OperationCanceledException;
                if (outage && engineOutage.Failed(why, time.GetUtcNow()))
                    logger.LogWarning("Jobs: {Error}; job steps wait with back-off until it answers (first met by {Key})", why, key);
                Complete(history =>
                {
                    StartDone(run.Id);
                    if (outage && history.Runs.Any(r => r.Id == run.Id && r.IsActive))
                    {
                        // Whether it started is known only once the engine answers: SettleBrokenStartsAsync looks then.
                        brokenStarts[run.Id] = (why, e is OperationCanceledException || e.GetBaseException() is TimeoutException);
                        return history;
                    }
                    RemoveNeverStartedInBackground(run.Id);
                    return history.Runs.Any(r => r.Id == run.Id && r.IsActive) ? FailedToStart(history, run.Id, why) : history;
                });
            }
            finally
            {
                startsSent.TryRemove(run.Id, out _);
            }
        });
    }

    // A create that timed out here may land in the engine later (a hung engine answers its queue when it comes back).
    private static readonly TimeSpan[] NeverStartedSweeps = [TimeSpan.Zero, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60)];

    private CancellationToken stopping;

    /// <summary>After a failed start, removes any container of that run that was created and never started, looking a few
    /// times while a late create may still land (probe-15l H2: started minutes later by the next agent, after the run was
    /// reported failed). A container landing after the last look is removed at the next start (<see cref="NeverStarted"/>).</summary>
    private void RemoveNeverStartedInBackground(string runId) => InBackground(async () =>
    {
        foreach (var wait in NeverStartedSweeps)
        {
            try
            {
                await Task.Delay(wait, stopping);
                lock (sync)
                    if (starting.Contains(runId)) return; // started again (a retry): that start owns the run's containers now
                if (await jobs.RemoveNeverStartedAsync(key, runId, stopping) > 0)
                {
                    logger.LogWarning("{Key}: run {Run} had failed to start; its container, created and never started, is removed", key, runId);
                    events?.Invoke("Warning", "NeverStartedRemoved", $"run {runId} failed to start: its container, created and never started, is removed");
                    return;
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return; // the agent stops: the next start removes it
            }
            catch (OperationCanceledException e) // the engine did not answer in time: look again
            {
                logger.LogDebug("{Key}: looking for a container of run {Run} that failed to start: {Error}", key, runId, e.Message);
            }
            catch (EngineException e)
            {
                logger.LogDebug("{Key}: looking for a container of run {Run} that failed to start: {Error}", key, runId, e.Message);
            }
        }
    });

    /// <summary>Stops an attempt's container with its own signal and grace period, waits for it to stop, and records how it ended.</summary>
    private void KillInBackground(string runId, JobAttempt attempt, JobTemplate template) => InBackground(async () =>
    {
        try
        {
            await jobs.StopAsync(attempt.ContainerId, template, CancellationToken.None);
            var details = await jobs.InspectAsync(attempt.ContainerId, CancellationToken.None);
            var end = details?.FinishedAt ?? time.GetUtcNow();
            var exit = details?.ExitCode;
            Complete(history =>
            {
                history = WithRun(history, runId, r => r with
                {
                    ExitCode = exit,
                    Attempts = r.Attempts.Select(a => a.ContainerId == attempt.ContainerId ? a with { End = a.End ?? end, ExitCode = a.ExitCode ?? exit } : a).ToList(),
                });
                if (history.Runs.FirstOrDefault(r => r.Id == runId) is not { } killed
                    || RunDecisions.CompletedBeforeKill(killed, attempt.ContainerId, details?.FinishedAt, exit) is not { } completed)
                    return history;
                // Counted failed in the runs metric when the kill was decided; a counter is not taken back.
                logger.LogInformation("{Key}: run {Run} had completed before it was killed ({Reason}): {Container} exited 0 at {Finished:O}; it is recorded succeeded",
                    key, runId, killed.Reason, attempt.ContainerName, completed.End);
                events?.Invoke("Normal", RunReasons.Completed, $"run {runId} succeeded: attempt {attempt.Number} exited 0 before the kill ({killed.Reason}) reached it");
                return WithRun(history, runId, _ => completed) with
                {
                    LastSuccessfulTime = history.LastSuccessfulTime > completed.End ? history.LastSuccessfulTime : completed.End,
                };
            });
        }
        catch (EngineException e)
        {
            logger.LogWarning("{Key}: stopping {Container} failed: {Error}", key, attempt.ContainerName, e.Message);
        }
    });

    /// <summary>Removes an expired run's containers; one that cannot be removed keeps its labels and is found again on the next start.</summary>
    private void RemoveInBackground(JobRun run) => InBackground(async () =>
    {
        try
        {
            await jobs.RemoveRunAsync(run, CancellationToken.None);
        }
        catch (EngineException e)
        {
            logger.LogWarning("{Key}: removing run {Run} failed: {Error}", key, run.Id, e.Message);
        }
    });
}
