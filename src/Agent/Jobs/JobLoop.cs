using System.Diagnostics;
using Agent.Core;
using Agent.Core.Jobs;
using Agent.Core.Model;
using Agent.Engine;

namespace Agent.Jobs;

/// <summary>
/// Runs one CronJob, Job or API job: observe its containers, decide (pure: <see cref="CronDecisions"/>,
/// <see cref="RunDecisions"/>), act through <see cref="JobEngine"/>, save the history, and sleep until the next
/// schedule time, retry, deadline or TTL. The cursor is saved before a run's container is created, so a restart
/// never runs the same schedule time twice. Engine work that takes time (starting, killing, removing) runs in the
/// background (JobLoop.Background.cs), so the schedule is never held up by the engine.
/// </summary>
public sealed partial class JobLoop(
    ObjectKey key,
    Func<DesiredJob?> desired,
    JobEngine jobs,
    JobHistoryStore store,
    JobRunnerSettings settings,
    TimeProvider time,
    ILogger logger,
    Action<string, string, string>? events = null, // records an event on the job's object status: type (Normal, Warning), reason, message
    Action? stepped = null, // after each step: the history or the next run time may have changed
    Func<string?>? stateDirProblem = null, // why the state dir cannot be trusted now (see State.StateDirWatch), or null
    JobEngineOutage? outage = null) // shared by the runner's loops: an engine that does not answer is said once
{
    private readonly JobEngineOutage engineOutage = outage ?? new JobEngineOutage();
    private int failures;
    private static readonly TimeSpan StateDirRecheck = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim wake = new(0);
    private readonly Lock sync = new();
    private bool adopted;
    private int manualRuns;

    public ObjectKey Key => key;

    public DateTimeOffset? NextRun { get; private set; }

    /// <summary>Why this loop's last step could not reach the engine (it tries again with back-off), or null.</summary>
    public string? EngineProblem { get; private set; }

    public void Wake() => wake.Release();

    /// <summary>One run now, whatever the schedule (kubectl create job --from=cronjob). <paramref name="exclusive"/> (a
    /// CronJob whose concurrencyPolicy is Forbid or Replace): false when a triggered run already waits to start.</summary>
    public bool Trigger(bool exclusive = false)
    {
        lock (sync)
        {
            if (exclusive && manualRuns > 0) return false;
            manualRuns++;
        }
        wake.Release();
        return true;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        stopping = ct;
        try
        {
            await LoopAsync(ct);
        }
        finally
        {
            await SettleAsync();
        }
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                delay = await StepAsync(ct);
                failures = 0;
                EngineProblem = null;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is EngineUnavailableException or OperationCanceledException or TimeoutException)
            {
                // The engine is away (or does not answer in time): one line for all jobs while it is, and back-off (probe-19 A).
                delay = JobEngineOutage.Backoff(++failures);
                EngineProblem = e is OperationCanceledException ? JobEngineOutage.NoAnswer : e.Message;
                if (engineOutage.Failed(EngineProblem, time.GetUtcNow()))
                    logger.LogWarning("Jobs: {Error}; job steps wait with back-off until it answers (first met by {Key})", EngineProblem, key);
                else logger.LogDebug("Job {Key}: the engine does not answer, trying again in {Delay:0.#}s: {Error}", key, delay.TotalSeconds, EngineProblem);
            }
            catch (Exception e)
            {
                logger.LogWarning("Job {Key}: step failed, trying again shortly: {Error}", key, e.Message);
                delay = TimeSpan.FromSeconds(2);
            }
            stepped?.Invoke();
            try
            {
                await wake.WaitAsync(delay, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>How long a start may wait for the engine before a _ping asks whether it answers at all.</summary>
    private static readonly TimeSpan StartUnanswered = TimeSpan.FromSeconds(5);

    private string? reportedLost;
    private TemplateSettle? seen;

    /// <summary>Until when a manifest Job's or CronJob's template must stay as it is before a run starts from it
    /// (<see cref="TemplateSettle"/>); null when it has, and for API jobs. Waiting for the template to be quiet runs the
    /// one the file ends up with, once.</summary>
    private DateTimeOffset? Settling(DesiredJob want, JobHistory history, DateTimeOffset now)
    {
        if (settings.Settle <= TimeSpan.Zero || key.Kind is not (Job.KindName or CronJob.KindName)) return null;
        seen = TemplateSettle.Look(seen, want.TemplateHash, want.IsTemplate(history.TemplateHash), now, settings.Settle);
        if (seen.Until(now, settings.Settle) is not { } until) return null;
        logger.LogDebug("{Key}: its template {Hash} is {Age:0.#}s old; a run starts once it has stayed so for {Settle:0.#}s (Agent:JobSettle)",
            key, want.TemplateHash, (now - seen.Since).TotalSeconds, settings.Settle.TotalSeconds);
        return until;
    }

    private string? reportedStateDir;

    /// <summary>Says and counts schedule times that did not run: <paramref name="missed"/> (an outage, startingDeadline,
    /// a start the engine answered too late) and <paramref name="skipped"/> (concurrencyPolicy Forbid). The caller adds
    /// them to the history.</summary>
    private void ReportNotRun(long missed, long skipped, string? message)
    {
        if (missed > 0) JobMetrics.Missed.Add(missed, new KeyValuePair<string, object?>("reason", "missed"), new KeyValuePair<string, object?>("cronjob", key.Name));
        if (skipped > 0) JobMetrics.Missed.Add(skipped, new KeyValuePair<string, object?>("reason", "forbidden"), new KeyValuePair<string, object?>("cronjob", key.Name));
        if (message is null || (missed == 0 && skipped == 0)) return;
        logger.LogInformation("CronJob {Name}: {Message}", key.Name, message);
        events?.Invoke(skipped > 0 ? "Normal" : "Warning", skipped > 0 ? "JobAlreadyActive" : "MissSchedule", message);
    }

    private async Task<TimeSpan> StepAsync(CancellationToken ct)
    {
        // Its history is the state dir's: while that is missing or another folder, nothing is decided on a guess (a
        // finished Job would run again; probe-15j M5). Looked at again each second, so it goes on once the folder is back.
        if (stateDirProblem?.Invoke() is { } unavailable)
        {
            if (unavailable != reportedStateDir) events?.Invoke("Warning", "StateDirUnavailable", unavailable);
            reportedStateDir = unavailable;
            return StateDirRecheck;
        }
        reportedStateDir = null;
        var want = desired();
        if (want is null) return settings.Resync;
        if (!adopted && key.Kind == Job.KindName) await JudgeHistoryAsync(ct);
        if (store.Get(key) is null && store.Lost(key) is { } lost)
        {
            if (lost != reportedLost) events?.Invoke("Warning", "HistoryLost", lost);
            reportedLost = lost;
            return settings.Resync; // looked at again at each resync: the operator's deletion of the marker lets it run
        }
        reportedLost = null;
        // While the engine is known away (a job loop met it, or the heartbeat found it silent), nothing is started into
        // it: one ping first, which goes to the back-off until the engine answers. Before, each tick of an every-second
        // CronJob recorded a failed run while the engine was down or hung (probe-20 F3); the schedule times that pass
        // meanwhile are decided when it answers: the most recent runs, the others count as missed.
        // A start that has waited long for the engine's answer is how a freeze shows before the heartbeat finds it (20-30
        // s): a _ping that a busy engine answers at once tells the two apart, and a hung one makes this an outage now, so
        // an every-second CronJob does not pile up runs meanwhile (probe-24: ACTIVE 13).
        var waited = OldestStartWaiting(time.GetUtcNow());
        if (engineOutage.Since is not null || jobs.EngineAway || waited > StartUnanswered)
        {
            using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                if (engineOutage.Since is null && !jobs.EngineAway) bounded.CancelAfter(StartUnanswered);
                try
                {
                    await jobs.PingAsync(bounded.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested && bounded.IsCancellationRequested)
                {
                    throw new TimeoutException($"the Docker engine has not answered a run's start for {waited.TotalSeconds:0} s, nor _ping within {StartUnanswered.TotalSeconds:0} s");
                }
            }
            if (engineOutage.Answered()) logger.LogInformation("Jobs: the Docker engine answers again; job steps go on");
        }
        var record = store.Get(key) ?? new JobRecord(key, new JobHistory { Since = time.GetUtcNow() });
        var history = ApplyCompleted(record.History);
        history = await SettleBrokenStartsAsync(history, ct);
        var cron = want.Cron;
        // The next schedule time needs no engine: shown while the engine is away too (probe-19 A: NEXT SCHEDULE <none>).
        if (cron is not null && (NextRun is null || NextRun <= time.GetUtcNow())) NextRun = CronDecisions.NextTime(cron, time.GetUtcNow());
        // The first step lists every job's containers, a finished Job's too: a create that landed after the agent gave up
        // on it (a never-started container) is removed only so (NeverStartedTests).
        // Forbid and Replace must see runs that ended; Allow decides first, so a start is not delayed by the list call.
        if (!adopted || (history.Active.Any() && (cron is null || cron.ConcurrencyPolicy != ConcurrencyPolicy.Allow)))
            history = await ObserveAsync(history, ct);
        // A run whose container ended (while the agent was down, too) is over before the schedule is decided: Forbid
        // skipped a restart's catch-up for a run that had ended before the restart (probe-15l M1).
        history = AdvanceRuns(history, want, [], endedOnly: true);

        var now = time.GetUtcNow();
        var wakeAt = new List<DateTimeOffset>();
        var starting = new List<JobRun>();
        var settling = Settling(want, history, now);
        if (settling is { } settled) wakeAt.Add(settled); // nothing starts until then; runs under way go on below
        else if (cron is not null)
        {
            if (seen is { } quiet) history = CronDecisions.BeginAfterSettle(history, quiet.Since + settings.Settle);
            var decision = CronDecisions.Decide(cron, history, now);
            NextRun = decision.Next;
            if (decision.Next is { } next) wakeAt.Add(next);
            history = Kill(history, decision.Kill, want.Template, RunReasons.Replaced, now, "replaced by the run of " + (decision.Start is { } replacing ? CronSchedule.Format(replacing) : "the next schedule time"));
            ReportNotRun(decision.Missed, decision.Skipped, decision.Message);
            history = history with
            {
                Cursor = decision.Cursor,
                MissedRuns = history.MissedRuns + decision.Missed,
                SkippedRuns = history.SkippedRuns + decision.Skipped,
            };
            if (decision.Start is { } due)
            {
                starting.Add(NewRun(history, RunTriggers.Schedule, due, now, want.TemplateHash));
                history = history with { LastScheduleTime = due };
            }
        }
        else if (history.TemplateHash != want.TemplateHash && want.IsTemplate(history.TemplateHash))
            history = history with // kept by an earlier agent with its bind sources resolved: the same template
            {
                TemplateHash = want.TemplateHash,
                Runs = history.Runs.Select(r => r.TemplateHash == want.ResolvedTemplateHash ? r with { TemplateHash = want.TemplateHash } : r).ToList(),
            };
        else if (history.TemplateHash != want.TemplateHash)
        {
            // A Job runs once per template: when it first appears, and again when it changes (the old run is replaced).
            // The ledger names it before anything runs: a state dir that cannot take that stops the step here.
            if (key.Kind == Job.KindName) store.Started.Record(key.Name);
            history = Kill(history, history.Active.Select(r => r.Id).ToList(), want.Template, RunReasons.Replaced, now, "the Job changed");
            starting.Add(NewRun(history, key.Kind == Job.KindName ? RunTriggers.Manifest : RunTriggers.Api, null, now, want.TemplateHash));
        }
        var manual = 0;
        if (settling is null) lock (sync) (manual, manualRuns) = (manualRuns, 0);
        if (manual > 0 && cron is { ConcurrencyPolicy: not ConcurrencyPolicy.Allow })
        {
            // A triggered run follows the policy like a scheduled one (probe-15c G10: 15 runs of a Forbid CronJob at once).
            manual = starting.Count > 0 ? 0 : 1;
            if (manual == 1 && history.Active.Any())
            {
                if (cron.ConcurrencyPolicy == ConcurrencyPolicy.Forbid)
                {
                    manual = 0;
                    var message = $"skipped a triggered run: run {history.Active.First().Id} is still active and concurrencyPolicy is Forbid";
                    logger.LogInformation("CronJob {Name}: {Message}", key.Name, message);
                    events?.Invoke("Normal", "JobAlreadyActive", message);
                }
                else history = Kill(history, history.Active.Select(r => r.Id).ToList(), want.Template, RunReasons.Replaced, now, "replaced by a triggered run");
            }
        }
        for (var i = 0; i < manual; i++) starting.Add(NewRun(history with { Runs = [.. history.Runs, .. starting] }, RunTriggers.Manual, null, now, want.TemplateHash));
        if (starting.Count > 0) history = history with { Runs = [.. history.Runs, .. starting], TemplateHash = want.TemplateHash };
        if (want.SpecHash.Length > 0 && history.SpecHash != want.SpecHash) history = history with { SpecHash = want.SpecHash };
        if (history != record.History) store.Save(record with { History = history }); // the cursor is on disk before any container exists

        history = AdvanceRuns(history, want, wakeAt);
        if (!adopted || history.Active.Any())
            history = await ObserveAsync(history, ct);
        history = Expire(history, want, wakeAt);
        var latest = store.Get(key) ?? record;
        if (history != latest.History) store.Save(latest with { History = history });

        if (history.Active.Any()) wakeAt.Add(time.GetUtcNow() + settings.PollInterval);
        var until = wakeAt.Count == 0 ? time.GetUtcNow() + settings.Resync : wakeAt.Min();
        var delay = until - time.GetUtcNow() + TimeSpan.FromMilliseconds(1);
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay > settings.Resync ? settings.Resync : delay;
    }

    /// <summary>At a Job's first step: a history missing (deleted whole, or torn and kept aside) while the ledger says it
    /// started is rebuilt from the containers' labels, or else lost (<see cref="HistoryLoss"/>). A history from before the ledger existed enters it.</summary>
    private async Task JudgeHistoryAsync(CancellationToken ct)
    {
        if (store.Get(key) is { History.TemplateHash: not null })
        {
            if (!store.Started.Contains(key.Name))
                try
                {
                    store.Started.Record(key.Name);
                }
                catch (State.StateWriteException e)
                {
                    logger.LogWarning("{Key}: cannot be entered in {Ledger} yet: {Error}", key, store.Started.File, e.Message);
                }
            return;
        }
        if (store.Get(key) is not null || store.Lost(key) is not null || !store.Started.Contains(key.Name)) return;
        var seen = await ObserveAsync(new JobHistory { Since = time.GetUtcNow() }, ct); // the labels' runs, if any container is left
        switch (HistoryLoss.Judge(historyKept: false, ledgerSaysStarted: true, seen.Runs.Count))
        {
            case HistoryFinding.Rebuilt:
                store.Save(new JobRecord(key, seen));
                break;
            case HistoryFinding.Lost:
                store.MarkLost(key, (store.TornBecause(key) ?? $"{store.Started.File} says it started, but its history {store.FileOf(key)} is gone") + ", and no container of it is left");
                break;
        }
    }

    private JobRun NewRun(JobHistory history, string trigger, DateTimeOffset? scheduled, DateTimeOffset now, string hash)
    {
        var seconds = (scheduled ?? now).ToUnixTimeSeconds();
        var id = trigger == RunTriggers.Schedule ? $"{key.Name}-{seconds}" : $"{key.Name}-{trigger[0]}{now.ToUnixTimeMilliseconds()}";
        var taken = history.Runs.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var unique = id;
        for (var n = 2; taken.Contains(unique); n++) unique = $"{id}-{n}";
        return new JobRun { Id = unique, Trigger = trigger, ScheduledTime = scheduled, Start = now, TemplateHash = hash };
    }

    /// <summary>Marks runs failed now and kills their containers in the background, so a new run is not held up by a
    /// grace period; the exit code is recorded once the container has stopped. A run replaced before anything of it
    /// started leaves the history: nothing of it ran, and it takes no failed-history slot (probe-32 F6; Kubernetes deletes
    /// the Job it replaces).</summary>
    private JobHistory Kill(JobHistory history, IReadOnlyList<string> runIds, JobTemplate template, string reason, DateTimeOffset now, string message)
    {
        if (runIds.Count == 0) return history;
        var dropped = new HashSet<string>(StringComparer.Ordinal);
        var runs = history.Runs.Select(r =>
        {
            if (!runIds.Contains(r.Id) || !r.IsActive) return r;
            if (reason == RunReasons.Replaced && r.Attempts.Count == 0)
            {
                EndedWhileStarting(r.Id); // a start under way is not sent; a container it got is removed (the run is gone)
                logger.LogInformation("{Key}: run {Run} replaced before it started ({Message}): dropped{Rest}", key, r.Id, message,
                    StartUnderWay(r.Id) ? "; its start is under way: a container the engine makes or starts of it is removed" : ", nothing of it ran");
                events?.Invoke("Normal", reason, $"run {r.Id} dropped before it started: {message}");
                dropped.Add(r.Id);
                return r;
            }
            if (r.Current is { Finished: false } attempt) KillInBackground(r.Id, attempt, template);
            EndedWhileStarting(r.Id);
            logger.LogInformation("{Key}: run {Run} killed ({Reason}): {Message}", key, r.Id, reason, message);
            events?.Invoke("Normal", reason, $"run {r.Id} killed: {message}");
            return Finished(r with { End = now, Phase = RunPhase.Failed, Reason = reason });
        }).ToList();
        if (dropped.Count == 0) return history with { Runs = runs };
        var after = history with { Runs = runs.Where(r => !dropped.Contains(r.Id)).ToList(), ReplacedBeforeStart = history.ReplacedBeforeStart + dropped.Count };
        if (history.ReplacedBeforeStart < JobConditions.ReplacedBeforeStartLimit && JobConditions.NeverStarting(after) is { } never)
        {
            logger.LogWarning("{Key}: {Message}", key, never);
            events?.Invoke("Warning", JobConditions.ReplacedBeforeStart, never);
        }
        return after;
    }

    /// <summary>Takes each active run a step: starts, kills or finishes it, or notes when to look again;
    /// <paramref name="endedOnly"/>: only records the end of runs that are over.</summary>
    private JobHistory AdvanceRuns(JobHistory history, DesiredJob want, List<DateTimeOffset> wakeAt, bool endedOnly = false)
    {
        var runs = history.Runs.ToList();
        var lastSuccess = history.LastSuccessfulTime;
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            if (!run.IsActive) continue;
            var now = time.GetUtcNow();
            var step = RunDecisions.Step(want.Template, run, now, settings.BackoffBase);
            if (endedOnly && step.Action != RunAction.Finish) continue;
            switch (step.Action)
            {
                case RunAction.StartAttempt:
                    StartInBackground(run, want, step.Message);
                    break;
                case RunAction.Kill:
                    if (run.Current is { Finished: false } current) KillInBackground(run.Id, current, want.Template);
                    EndedWhileStarting(run.Id);
                    runs[i] = Finished(run with { End = now, Phase = step.Phase, Reason = step.Reason });
                    logger.LogInformation("{Key}: run {Run} {Reason}: {Message}", key, run.Id, step.Reason, step.Message);
                    events?.Invoke("Warning", step.Reason!, $"run {run.Id}: {step.Message}");
                    break;
                case RunAction.Finish:
                    EndedWhileStarting(run.Id); // a deadline that passed while its first start is under way: that start is not sent (probe-36 2)
                    runs[i] = Finished(run with { End = run.Current?.End ?? now, Phase = step.Phase, Reason = step.Reason, ExitCode = run.Current?.ExitCode });
                    if (step.Phase == RunPhase.Succeeded) lastSuccess = runs[i].End;
                    logger.LogInformation("{Key}: run {Run} {Phase} ({Reason}): {Message}", key, run.Id, step.Phase, step.Reason, step.Message);
                    events?.Invoke(step.Phase == RunPhase.Succeeded ? "Normal" : "Warning", step.Reason!, $"run {run.Id} {step.Phase.ToString().ToLowerInvariant()}: {step.Message}");
                    break;
                default:
                    if (step.Until is { } until) wakeAt.Add(until);
                    break;
            }
        }
        return history with { Runs = runs, LastSuccessfulTime = lastSuccess };
    }

    private JobRun Finished(JobRun run)
    {
        var tags = new TagList { { "kind", key.Kind }, { "result", run.Phase == RunPhase.Succeeded ? "succeeded" : "failed" }, { "reason", run.Reason } };
        // The manifest's name, so an alert can say which CronJob failed; an API job's id is made per request: "" keeps it bounded.
        JobMetrics.Runs.Add(1, [.. tags, new("name", key.Kind == Job.ImperativeKind ? "" : key.Name)]);
        if (run.Duration is { } d) JobMetrics.Duration.Record(d.TotalSeconds, new TagList { { "kind", key.Kind }, { "result", tags[1].Value } });
        return run;
    }

    /// <summary>Reads the job's containers: ends of attempts, and runs only the labels remember (a lost history file).</summary>
    private async Task<JobHistory> ObserveAsync(JobHistory history, CancellationToken ct)
    {
        // The first look asks the engine (runs only the labels remember are recovered from it); later ones may use the cache.
        var containers = adopted
            ? await jobs.ListAsync(key, history.Runs.Select(r => r.Current).OfType<JobAttempt>().Where(a => !a.Finished).Select(a => a.ContainerId).ToList(), ct)
            : await jobs.ListAsync(key, ct);
        if (engineOutage.Answered()) logger.LogInformation("Jobs: the Docker engine answers again; job steps go on");
        var runs = history.Runs.ToList();
        var missed = new List<(string Run, string Why)>();
        containers = await RemoveNeverStartedAsync(containers, runs, missed, ct);
        if (!adopted)
        {
            // A history one run behind its containers (a failed save, an older copy) takes the runs they name, and the
            // template of the newest one: the stale history's template does not run the new one again (probe-16 F4).
            var (merged, lost) = RecoveredRuns.Merge(history with { Runs = runs }, jobs.RunsFromLabels(containers));
            if (lost.Count > 0)
            {
                logger.LogInformation("{Key}: {Count} run(s) recovered from container labels", key, lost.Count);
                if (merged.TemplateHash != history.TemplateHash && history.TemplateHash is not null)
                    logger.LogInformation("{Key}: its history's template {Stale} is older than recovered run {Run}'s ({Hash}): that template ran", key,
                        history.TemplateHash, lost.OrderBy(r => r.Start).Last().Id, merged.TemplateHash);
                runs = merged.Runs.ToList();
                history = merged;
            }
            // An active run takes every attempt its containers name, each as it ended: a history saved while the run went
            // on (a full state dir) holds fewer, and its failures did not count toward backoffLimit (probe-39: a third
            // attempt of a run reported Failed). Then the run is judged as it was in memory (AdvanceRuns).
            history = history with { Runs = await WithLabelledAttemptsAsync(runs, containers, ct) };
            // A run a later one had replaced (its end not saved either) is ended so, not retried beside it.
            if (desired() is { } want
                && RecoveredRuns.Superseded(history, want.Template, want.Cron is null || want.Cron.ConcurrencyPolicy == ConcurrencyPolicy.Replace,
                    time.GetUtcNow(), settings.BackoffBase) is { Count: > 0 } replaced)
                history = Kill(history, replaced, want.Template, RunReasons.Replaced, time.GetUtcNow(),
                    "a later run had started before the agent's restart (this run's end was not saved)");
            runs = history.Runs.ToList();
            adopted = true;
        }
        var byId = containers.ToDictionary(c => c.Id, StringComparer.Ordinal);
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            // An attempt whose start is under way here is recorded when it has started; any other container of the run's
            // next attempt was made by an agent killed before it recorded it: that container is the attempt.
            if (!starting.Contains(run.Id) && AttemptAdoption.Unrecorded(run, jobs.Attempts(containers)) is { } leftover)
            {
                logger.LogInformation("{Key}: run {Run} attempt {Attempt}: container {Container} made before a restart is adopted", key, run.Id, leftover.Number,
                    leftover.ContainerName);
                runs[i] = run = run with { Attempts = [.. run.Attempts, leftover] };
            }
            if (run.Current is not { Finished: false } attempt) continue;
            if (!byId.TryGetValue(attempt.ContainerId, out var c))
            {
                runs[i] = run with { Attempts = [.. run.Attempts.SkipLast(1), attempt with { End = time.GetUtcNow() }] };
                continue;
            }
            if (c.State == ContainerState.Created && !starting.Contains(run.Id) && run.IsActive)
            {
                // Created and never started by an agent killed before its start (RemoveNeverStartedAsync kept it): it runs now, once.
                var (started, refused) = await jobs.StartLeftoverAsync(c.Id, ct);
                if (refused is not null)
                {
                    logger.LogWarning("{Key}: run {Run} attempt {Attempt} not started: {Error}", key, run.Id, attempt.Number, refused);
                    runs[i] = run with { Attempts = [.. run.Attempts.SkipLast(1), attempt with { End = time.GetUtcNow(), ExitCode = -1 }] };
                }
                else if (started) events?.Invoke("Normal", "Started", $"run {run.Id} attempt {attempt.Number} started: container {attempt.ContainerName} (made before a restart)");
                continue;
            }
            if (c.State is not (ContainerState.Exited or ContainerState.Dead)) continue;
            var details = await jobs.InspectAsync(c.Id, ct);
            runs[i] = run with
            {
                Attempts = [.. run.Attempts.SkipLast(1), attempt with
                {
                    Start = details?.StartedAt ?? attempt.Start,
                    End = details?.FinishedAt ?? time.GetUtcNow(),
                    ExitCode = details?.ExitCode ?? c.ExitCode ?? -1,
                }],
            };
        }
        history = history with { Runs = runs };
        foreach (var (run, why) in missed)
            history = Missed(history, run, $"run {run} not started: its container, created and never started, is removed ({why}); counted as missed");
        return history;
    }

    /// <summary>The active runs with every attempt the containers' labels name (<see cref="RecoveredRuns.WithLabelledAttempts"/>);
    /// how each ended is asked of the engine (an inspect per exited container of an active run, at the first look only).</summary>
    private async Task<List<JobRun>> WithLabelledAttemptsAsync(List<JobRun> runs, IReadOnlyList<ContainerSummary> containers, CancellationToken ct)
    {
        var active = runs.Where(r => r.IsActive && !starting.Contains(r.Id)).Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        if (active.Count == 0) return runs;
        var labelled = new List<LabelledAttempt>();
        foreach (var (c, attempt) in containers.Zip(jobs.Attempts(containers)))
        {
            if (!active.Contains(attempt.RunId)) continue;
            if (c.State is ContainerState.Exited or ContainerState.Dead)
            {
                var details = await jobs.InspectAsync(c.Id, ct);
                labelled.Add(attempt with { Started = details?.StartedAt, Ended = details?.FinishedAt ?? c.Created, ExitCode = details?.ExitCode ?? c.ExitCode });
            }
            else labelled.Add(attempt with { NeverStarted = c.State == ContainerState.Created });
        }
        return runs.Select(r =>
        {
            if (!active.Contains(r.Id)) return r;
            var rebuilt = RecoveredRuns.WithLabelledAttempts(r, labelled);
            if (rebuilt.Attempts.Count > r.Attempts.Count || rebuilt.Attempts.Count(a => a.Finished) > r.Attempts.Count(a => a.Finished))
                logger.LogInformation("{Key}: run {Run}: {Attempts} attempt(s) found on its containers' labels ({Ended} ended), its history held {Recorded}",
                    key, r.Id, rebuilt.Attempts.Count, rebuilt.Attempts.Count(a => a.Finished), r.Attempts.Count);
            return rebuilt;
        }).ToList();
    }

    /// <summary>Removes the job's containers that were created and never started unless they are an active run's
    /// attempt still in time (<see cref="NeverStarted"/>); an active run whose container is too late fails. Returns the
    /// containers left. A removal that fails is tried again at the next look (the container keeps its labels). A scheduled
    /// run none of which ran is a missed time (<paramref name="missed"/>), as one whose start broke off is (probe-35: after
    /// an agent restart it was a failed run).</summary>
    private async Task<IReadOnlyList<ContainerSummary>> RemoveNeverStartedAsync(IReadOnlyList<ContainerSummary> containers, List<JobRun> runs,
        List<(string Run, string Why)> missed, CancellationToken ct)
    {
        var kept = new List<ContainerSummary>();
        foreach (var c in containers)
        {
            var runId = jobs.RunOf(c);
            if (c.State != ContainerState.Created || starting.Contains(runId)) { kept.Add(c); continue; }
            var index = runs.FindIndex(r => r.Id == runId);
            var run = index < 0 ? null : runs[index];
            var attempt = jobs.AttemptOf(c);
            if (NeverStarted.RemoveBecause(run, attempt, desired()?.Cron, time.GetUtcNow()) is not { } why) { kept.Add(c); continue; }
            // The cache may still hold the container as created after its start (the start's event not applied yet on a
            // busy engine, probe-21 #4): the removal is verified against the engine's own answer first.
            try
            {
                var fresh = await RemoveIfNeverStartedAsync(c.Id, ct);
                if (fresh is null) continue;
                if (fresh.State != ContainerState.Created)
                {
                    kept.Add(c with { State = fresh.State, ExitCode = fresh.ExitCode, Status = ContainerSummary.StatusOf(fresh.State, fresh.ExitCode) });
                    continue;
                }
            }
            catch (EngineException e)
            {
                logger.LogWarning("{Key}: container {Container} was never started and is not removed yet: {Error}", key, c.Name, e.Message);
                continue; // not started either way
            }
            logger.LogWarning("{Key}: removed container {Container}, created and never started: {Why}", key, c.Name, why);
            events?.Invoke("Warning", "NeverStartedRemoved", $"container {c.Name} removed, never started: {why}");
            if (run is { ScheduledTime: not null, IsActive: true, Attempts.Count: 0 }) missed.Add((run.Id, why));
            else if (run is { IsActive: true } && !run.Attempts.Any(a => a.Number == attempt && a.Finished)) // an ended attempt's run goes on with its retry
                runs[index] = FailedToStart(run);
        }
        return kept;
    }

    private JobHistory Expire(JobHistory history, DesiredJob want, List<DateTimeOffset> wakeAt)
    {
        var now = time.GetUtcNow();
        var expired = RunDecisions.Expired(history.Runs, want.SuccessfulLimit, want.FailedLimit, want.Template.TtlAfterFinished, now);
        foreach (var run in history.Runs.Where(r => expired.Contains(r.Id))) RemoveInBackground(run);
        if (want.Template.TtlAfterFinished is { } ttl)
            foreach (var run in history.Runs.Where(r => !r.IsActive && !expired.Contains(r.Id)))
                wakeAt.Add(run.End!.Value.Plus(ttl));
        if (expired.Count == 0) return history;
        var removed = history.Runs.Where(r => expired.Contains(r.Id)).Append(history.LastRemoved).OfType<JobRun>().MaxBy(r => r.Start)!;
        return history with { Runs = history.Runs.Where(r => !expired.Contains(r.Id)).ToList(), LastRemoved = removed };
    }
}

/// <summary>The runner's timings (from AgentOptions).</summary>
/// <param name="Settle">How long a manifest Job's or CronJob's template must stay unchanged before a run starts from it
/// (Agent:JobSettle): a run cannot be taken back, so a file caught half-written never runs (probe-15l H5).</param>
public sealed record JobRunnerSettings(TimeSpan BackoffBase, TimeSpan PollInterval, TimeSpan Resync, TimeSpan Settle = default);
