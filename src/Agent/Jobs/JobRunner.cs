using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Engine;
using Agent.Hosting;
using Agent.Reconciliation;
using Agent.Core.Jobs;
using Agent.Core.Status;
using Agent.Sources;
using Agent.Status;
using Microsoft.Extensions.Options;

namespace Agent.Jobs;

/// <summary>
/// The job runner: one <see cref="JobLoop"/> per CronJob and Job of the manifests and per job made through the API.
/// A broken manifest keeps its last good object running; a deleted one (only once the first sync has shown the
/// manifests were read) has its loop stopped, its containers removed and its history forgotten, like a Kubernetes
/// CronJob deleted with its Jobs.
/// </summary>
public sealed class JobRunner(
    ManifestStore manifests,
    JobEngine jobs,
    Admission.BindSourceFolders bindFolders,
    JobHistoryStore store,
    ControllerState controller,
    RuntimeOverrides overrides,
    StatusStore status,
    PruneGate pruneGate,
    State.StateDirWatch stateDir,
    TimeProvider time,
    IOptions<AgentOptions> options,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly ConcurrentDictionary<ObjectKey, Running> loops = new();
    private readonly ConcurrentDictionary<ObjectKey, JobTemplate> apiJobs = new();
    // The last object each CronJob and Job manifest defined in this run: a deletion the mass-prune guard holds keeps the
    // CronJob on its schedule at this spec until an admin confirms or the manifest comes back (probe-16 F2).
    private readonly ConcurrentDictionary<ObjectKey, Core.Manifests.IManifestObject> lastGood = new();
    private readonly ConcurrentDictionary<ObjectKey, byte> keptByGuard = new();
    private readonly ILogger logger = loggers.CreateLogger<JobRunner>();
    private readonly JobEngineOutage engineOutage = new();
    private CancellationToken stopping;
    private Meter? gauges;

    private sealed record Running(JobLoop Loop, CancellationTokenSource Stop, Task Task, string Fingerprint);

    // Also what the orphan check waits for: a job whose manifest is held (unreadable, prune held) is looked at again.
    private static readonly TimeSpan OrphanCheckInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan HeldRecheck = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim wake = new(0);
    private readonly Lock publishing = new();

    private void Wake()
    {
        if (wake.CurrentCount == 0) wake.Release();
    }

    private JobRunnerSettings Settings => new(options.Value.JobBackoffBase, options.Value.JobPollInterval, TimeSpan.FromSeconds(30), options.Value.JobSettle);

    public JobLoop? Get(ObjectKey key) => loops.TryGetValue(key, out var r) ? r.Loop : null;

    /// <summary>What a job wants now; a CronJob suspended through the API (persisted override) counts as suspended, and so
    /// does every CronJob while that record is lost (<see cref="RuntimeOverrides.LostHolds"/>).</summary>
    public DesiredJob? Desired(ObjectKey key)
    {
        if (key.Kind == Job.ImperativeKind) return apiJobs.TryGetValue(key, out var t) ? new DesiredJob(key, t, null, 1, 1) : null;
        var entry = manifests.Get(key);
        if (entry?.Object is CronJob or Job) lastGood[key] = entry.Object;
        var desired = DesiredJob.From(entry?.Object ?? GuardKept(key));
        return desired is { Cron: { Suspend: false } cron } && (overrides.IsSuspended(key) || overrides.Lost is not null) ? desired with { Cron = cron with { Suspend = true } } : desired;
    }

    private const string EngineSilent = "the Docker engine does not answer (Agent:EngineHeartbeat)";

    /// <summary>The loop's next schedule time, or the schedule's next from now once that has passed: a loop held up by an
    /// engine that hangs does not say "in 0s" for minutes (probe-20 F3).</summary>
    private DateTimeOffset? NextRun(ObjectKey key, CronJobSpec spec)
    {
        var now = time.GetUtcNow();
        return Get(key)?.NextRun is { } next && next > now ? next : CronDecisions.NextTime(spec, now);
    }

    public CronJobView? CronJobStatus(string name)
    {
        var key = new ObjectKey(CronJob.KindName, name);
        var entry = manifests.Get(key);
        var history = store.Get(key)?.History ?? new Core.Jobs.JobHistory();
        if ((entry?.Object ?? GuardKept(key)) is not CronJob cron)
            return HeldWithoutSpec(key) is { } unknown
                ? new CronJobView(name, "", "", "", false, null, history.LastScheduleTime, history.LastSuccessfulTime, null, history.MissedRuns, history.SkippedRuns,
                    history.Active.Select(RunView.Of).ToList(), history.Runs.Where(r => !r.IsActive).OrderByDescending(r => r.Start).Select(RunView.Of).ToList(),
                    null, entry?.Errors.Select(e => e.ToString()).ToList() ?? [], unknown.Message)
                : null;
        var suspendedBy = cron.Spec.Suspend ? "spec.suspend" : overrides.IsSuspended(key) ? "api" : overrides.Lost is not null ? "lost-record (suspended.json.lost)" : null;
        var next = NextRun(key, cron.Spec);
        return new CronJobView(name, cron.Spec.Schedule.Text, cron.Spec.TimeZone, cron.Spec.ConcurrencyPolicy.ToString(), suspendedBy is not null, suspendedBy,
            history.LastScheduleTime, history.LastSuccessfulTime, suspendedBy is null ? next : null, history.MissedRuns, history.SkippedRuns,
            history.Active.Select(RunView.Of).ToList(), history.Runs.Where(r => !r.IsActive).OrderByDescending(r => r.Start).Select(RunView.Of).ToList(),
            cron.Source.ToString(), entry?.Errors.Select(e => e.ToString()).ToList() ?? [], Hold(key)?.Message);
    }

    public IReadOnlyList<CronJobView> CronJobStatuses() =>
        manifests.All().Where(e => e.Object is CronJob).Select(e => e.Key).Concat(HeldKeys(CronJob.KindName)).Distinct()
            .Select(k => CronJobStatus(k.Name)).OfType<CronJobView>().OrderBy(v => v.Name, StringComparer.Ordinal).ToList();

    /// <summary>The last good object of a CronJob or Job whose deletion the mass-prune guard holds (it keeps running at it).</summary>
    private Core.Manifests.IManifestObject? GuardKept(ObjectKey key) =>
        manifests.Get(key) is null && pruneGate.HeldNow(key) is not null ? lastGood.GetValueOrDefault(key) : null;

    /// <summary>Keys of <paramref name="kind"/> without a manifest object whose runs and history are held, not deleted: the
    /// folder cannot be read, the file that defined them cannot, their prune delay runs or the mass-prune guard holds them.</summary>
    private IEnumerable<ObjectKey> HeldKeys(string kind) =>
        store.All().Select(r => r.Key).Concat(loops.Keys).Where(k => k.Kind == kind && manifests.Get(k)?.Object is null).Distinct()
            .Where(k => GuardKept(k) is not null || HeldWithoutSpec(k) is not null);

    /// <summary>Why a CronJob or Job manifest object is held now (its last good state kept, nothing pruned), or null.</summary>
    private (string Reason, string Message)? Hold(ObjectKey key)
    {
        if (key.Kind is not (CronJob.KindName or Job.KindName)) return null;
        if (manifests.SourceError is { } source) return (SourceUnavailable, $"{source}; the last good state is kept and nothing is pruned");
        var entry = manifests.Get(key);
        if (entry is { Object: not null }) return null; // a broken manifest: its own error says why (JobConditions)
        if (entry is { IsBroken: true }) return (entry.HeldReason, entry.Errors[0].ToString());
        if (entry is not null) return null; // not selected by this host: a deletion here
        if (pruneGate.HeldNow(key) is { } blocked) return (ConditionTypes.PruneBlocked, blocked);
        if (manifests.PruneDelayLeft(key) is not null && manifests.PruneHold(key) is { } pending) return (Hold_PrunePending, pending);
        if (!controller.FirstSyncDone) return null; // not judged yet
        return manifests.KeepReason(key) is { } kept ? (DesiredEntry.ManifestUnreadable, kept) : null;
    }

    private const string SourceUnavailable = "SourceUnavailable";
    private const string Hold_PrunePending = Core.Planning.Hold.PrunePending;

    /// <summary>A CronJob or Job held whose spec this run has not read (the agent started while its manifest could not be
    /// read, or with its deletion held from the last run): listed with its history and runs, which are kept, and why; it
    /// cannot be scheduled or run without its spec, so nothing new starts until the manifests read again.</summary>
    private (string Reason, string Message)? HeldWithoutSpec(ObjectKey key) =>
        key.Kind is CronJob.KindName or Job.KindName && Desired(key) is null && store.Get(key) is not null && Hold(key) is { } hold ? hold : null;

    /// <summary>A Job by its manifest name or an API job by its id.</summary>
    public JobView? JobStatus(string id)
    {
        var key = apiJobs.ContainsKey(new ObjectKey(Job.ImperativeKind, id)) ? new ObjectKey(Job.ImperativeKind, id) : new ObjectKey(Job.KindName, id);
        var entry = key.Kind == Job.KindName ? manifests.Get(key) : null;
        var desired = Desired(key);
        if (desired is null && HeldWithoutSpec(key) is null) return null;
        var history = store.Get(key)?.History ?? new Core.Jobs.JobHistory();
        var lost = HistoryLost(key);
        return new JobView(id, key.Kind, desired?.Template.Container.Image ?? "", JobConditions.Summarize(history, lost is not null).Phase!, history.LastSuccessfulTime,
            history.Active.Select(RunView.Of).ToList(),
            // Its run removed after ttlAfterFinished, a Job shows that run, marked removed, as the status counts it.
            history.LatestRemoved ? [RunView.OfRemoved(history.LastRemoved!)] : history.Runs.Where(r => !r.IsActive).OrderByDescending(r => r.Start).Select(RunView.Of).ToList(),
            entry?.Object?.Source.ToString(), entry?.Errors.Select(e => e.ToString()).ToList() ?? [], lost, Hold(key)?.Message);
    }

    /// <summary>Why a Job starts no run because its history was lost (the marker's text), or null.</summary>
    private string? HistoryLost(ObjectKey key) => key.Kind == Job.KindName && store.Get(key) is null ? store.Lost(key) : null;

    public IReadOnlyList<JobView> JobStatuses() =>
        manifests.All().Where(e => e.Object is Job).Select(e => e.Key.Name).Concat(HeldKeys(Job.KindName).Select(k => k.Name)).Distinct(StringComparer.Ordinal)
            .Concat(apiJobs.Keys.Select(k => k.Name))
            .Select(JobStatus).OfType<JobView>().OrderBy(v => v.Id, StringComparer.Ordinal).ToList();

    /// <summary>The key behind a job id (API job id or Job manifest name).</summary>
    public ObjectKey? JobKey(string id) =>
        apiJobs.ContainsKey(new ObjectKey(Job.ImperativeKind, id)) ? new ObjectKey(Job.ImperativeKind, id)
        : manifests.Get(new ObjectKey(Job.KindName, id))?.Object is Job ? new ObjectKey(Job.KindName, id) : null;

    public Core.Jobs.JobHistory? History(ObjectKey key) => store.Get(key)?.History;

    /// <summary>Starts a job from the API; its template is kept in the state dir so it finishes across restarts.</summary>
    public ObjectKey Submit(JobRequest request)
    {
        var key = new ObjectKey(Job.ImperativeKind, $"{request.Name}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}");
        store.SaveNew(new JobRecord(key, new Core.Jobs.JobHistory { Since = time.GetUtcNow() }, request.Template)); // 507 before anything starts
        apiJobs[key] = request.Template;
        Start(key, "");
        return key;
    }

    public override void Dispose()
    {
        gauges?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        stopping = stoppingToken;
        gauges = new Meter(JobMetrics.GaugeMeterName);
        gauges.CreateObservableGauge("agent.cronjob.next_run", () => CronJobStatuses()
                .Where(c => c.NextRunTime is not null)
                .Select(c => new Measurement<double>(c.NextRunTime!.Value.ToUnixTimeMilliseconds() / 1000.0, new KeyValuePair<string, object?>("cronjob", c.Name))),
            "s", "When each CronJob runs next, in Unix seconds (absent while suspended).");
        gauges.CreateObservableGauge("agent.job.active", () => loops.Keys.GroupBy(k => k.Kind)
                .Select(g => new Measurement<int>(g.Sum(k => store.Get(k)?.History.Active.Count() ?? 0), new KeyValuePair<string, object?>("kind", g.Key))),
            "{run}", "Runs in progress, by kind.");
        foreach (var record in store.All(Job.ImperativeKind))
            if (record.Template is not null)
            {
                apiJobs[record.Key] = record.Template;
                Start(record.Key, "");
            }
        // Woken, not polling: by a read of the manifests (a job added, changed or deleted), by the first sync being done,
        // and when a deleted job's prune delay or the next check for jobs deleted while the agent was down is due. A loop
        // publishes its own status after each of its steps.
        manifests.Read += Wake;
        _ = controller.FirstSync.ContinueWith(_ => Wake(), TaskScheduler.Default);
        var orphanCheck = DateTimeOffset.MinValue;
        List<ObjectKey> shownHeld = [];
        var publisher = PublishLoopAsync(stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var next = OrphanCheckInterval;
                try
                {
                    var wanted = manifests.All().Where(e => e.Object is CronJob or Job).ToDictionary(e => e.Key, e => ManifestStore.Fingerprint(e.Object));
                    foreach (var (key, fingerprint) in wanted)
                    {
                        if (!loops.TryGetValue(key, out var running)) Start(key, fingerprint);
                        else if (running.Fingerprint != fingerprint)
                        {
                            loops[key] = running with { Fingerprint = fingerprint };
                            running.Loop.Wake();
                        }
                    }
                    if (controller.FirstSyncDone)
                    {
                        foreach (var key in loops.Keys.Where(k => k.Kind != Job.ImperativeKind && !wanted.ContainsKey(k)).ToList())
                        {
                            if (await KnownDeletedAsync(key, stoppingToken)) await ForgetAsync(key, "its manifest was deleted", stoppingToken);
                            // Held by the mass-prune guard: it runs on at its last good spec (Desired), from now on.
                            else if (pruneGate.HeldNow(key) is not null && keptByGuard.TryAdd(key, 0) && loops.TryGetValue(key, out var kept))
                            {
                                logger.LogWarning("{Key}: its deletion is held by the mass-prune guard: it keeps running at its last spec until an admin confirms or its manifest comes back", key);
                                kept.Loop.Wake();
                            }
                            // Held: by its prune delay (due then), or by the mass-prune guard, which a confirm through the
                            // API lifts without a read of the manifests: looked at again each second while held.
                            else if ((manifests.PruneDelayLeft(key) is { } left && left < HeldRecheck ? left : HeldRecheck) is var recheck && recheck < next) next = recheck;
                        }
                        if (time.GetUtcNow() - orphanCheck >= OrphanCheckInterval)
                        {
                            orphanCheck = time.GetUtcNow();
                            foreach (var record in store.All().Where(r => r.Key.Kind != Job.ImperativeKind && !wanted.ContainsKey(r.Key) && !loops.ContainsKey(r.Key)))
                                if (await KnownDeletedAsync(record.Key, stoppingToken))
                                    await ForgetAsync(record.Key, "its manifest was deleted while the agent was down", stoppingToken);
                        }
                    }
                    foreach (var key in keptByGuard.Keys.Where(k => wanted.ContainsKey(k) || !loops.ContainsKey(k) || pruneGate.HeldNow(k) is null)) keptByGuard.TryRemove(key, out _);
                    foreach (var key in loops.Keys) Publish(key);
                    // Held without a spec read in this run (the folder or their file could not be read at start): listed,
                    // with their history, and looked at again soon (a confirm or the folder back changes what they show).
                    var heldWithoutSpec = HeldKeys(CronJob.KindName).Concat(HeldKeys(Job.KindName)).Where(k => !loops.ContainsKey(k)).ToList();
                    foreach (var key in heldWithoutSpec) Publish(key);
                    foreach (var key in shownHeld.Except(heldWithoutSpec).Where(k => !loops.ContainsKey(k) && !wanted.ContainsKey(k)).ToList())
                        if (controller.FirstSyncDone && await KnownDeletedAsync(key, stoppingToken)) await ForgetAsync(key, "its manifest was deleted", stoppingToken);
                    shownHeld = heldWithoutSpec;
                    if (heldWithoutSpec.Count > 0 && next > HeldRecheck * 2) next = HeldRecheck * 2;
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (EngineException e)
                {
                    logger.LogWarning("Job runner: {Error}", e.Message);
                    next = TimeSpan.FromSeconds(1);
                }
                try
                {
                    await wake.WaitAsync(next + TimeSpan.FromMilliseconds(1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            manifests.Read -= Wake;
        }
        await publisher;
        await Task.WhenAll(loops.Values.Select(r => r.Task));
    }

    /// <summary>Publishes every job's status each second while the engine is away or a shown next run has passed (NEXT
    /// SCHEDULE never in the past, EngineUnavailable shown), and each heartbeat interval otherwise, so the heartbeat's
    /// finding reaches the CronJobs as fast as the groups (probe-21). It runs on its own: the runner's loop can wait on the
    /// engine (a deletion's prune check, an orphan's removal) for a whole freeze, and a CronJob read Ready with runs
    /// "active" meanwhile (probe-23 F3). A loop publishes after its own steps too; one held up by a hung engine does not.</summary>
    private async Task PublishLoopAsync(CancellationToken ct)
    {
        var interval = options.Value.EngineHeartbeat > TimeSpan.Zero ? options.Value.EngineHeartbeat : OrphanCheckInterval;
        var last = time.GetUtcNow();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(HeldRecheck, time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var now = time.GetUtcNow();
            var stale = jobs.EngineAway || engineOutage.Since is not null || loops.Keys.Any(k => Get(k)?.NextRun is { } n && n <= now);
            if (!stale && now - last < interval) continue;
            last = now;
            try
            {
                foreach (var key in loops.Keys) Publish(key);
                // The heartbeat finds the engine answering again while the job loops still back off from its outage (up
                // to 30 s): they look now, as the groups do (probe-22 F3: an every-second CronJob ran nothing for 28 s).
                if (engineOutage.Since is not null && !jobs.EngineAway)
                    foreach (var running in loops.Values) running.Loop.Wake();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Publishing the jobs' status failed; tried again in a second");
            }
        }
    }

    /// <summary>The job's conditions and kubectl-style fields in the status store, so GET /objects and `agent get` show it.</summary>
    private void Publish(ObjectKey key)
    {
        // From the runner and from each loop after its step: one at a time, so an older view never lands last.
        lock (publishing) PublishCore(key);
    }

    private void PublishCore(ObjectKey key)
    {
        var desired = Desired(key);
        var unknown = desired is null ? HeldWithoutSpec(key) : null;
        if (desired is null && unknown is null) return;
        var entry = key.Kind == Job.ImperativeKind ? null : manifests.Get(key);
        var history = store.Get(key)?.History ?? new JobHistory();
        string? suspendedBy = desired?.Cron is null ? null
            : entry?.Object is CronJob { Spec.Suspend: true } ? "spec.suspend" : overrides.IsSuspended(key) ? "api"
            : desired.Cron.Suspend ? "lost-record (suspended.json.lost)" : null;
        var next = suspendedBy is null && desired?.Cron is { } schedule ? NextRun(key, schedule) : null;
        var decided = unknown is { } held ? JobConditions.HeldWithoutSpec(key.Kind, held.Reason, held.Message) : JobConditions.Decide(new JobStatusInput(key.Kind, history)
        {
            SuspendedBy = suspendedBy,
            NextRun = next,
            ManifestError = entry?.Errors.FirstOrDefault()?.ToString(),
            HeldReason = entry?.HeldReason ?? DesiredEntry.InvalidManifest,
            HistoryLost = HistoryLost(key),
        });
        // Kept at its last good spec while nothing can come from its manifest: it runs on, and says why (probe-16 F6, F2).
        if (unknown is null && stateDir.Check() is { } unavailable) decided = JobConditions.StateDirDown(decided, unavailable);
        else if (unknown is null && Hold(key) is { } hold) decided = JobConditions.Held(decided, hold.Reason, hold.Message);
        // Its loop cannot reach the engine: what it shows is what it last knew, and nothing it schedules can start (probe-19 A).
        else if (unknown is null && (entry?.Errors.Count ?? 0) == 0 && (Get(key)?.EngineProblem ?? (jobs.EngineAway ? EngineSilent : null)) is { } down) decided = JobConditions.EngineDown(decided, down);
        else if (unknown is null && store.Unsaved(key) is { } notSaved) decided = JobConditions.Held(decided, JobConditions.HistoryNotSaved, notSaved);
        var summary = JobConditions.Summarize(history, HistoryLost(key) is not null) with
        {
            Schedule = desired?.Cron?.Schedule.Text,
            TimeZone = desired?.Cron?.TimeZone,
            ConcurrencyPolicy = desired?.Cron?.ConcurrencyPolicy.ToString(),
            Suspended = suspendedBy is not null,
            NextRunTime = next,
        };
        var now = time.GetUtcNow();
        status.Update(key, s =>
        {
            IReadOnlyList<Condition> conditions = s.Conditions
                .Where(c => c.Type != ConditionTypes.PruneBlocked && (!JobConditions.Types.Contains(c.Type) || decided.Any(d => d.Type == c.Type))).ToList();
            foreach (var c in decided) conditions = Conditions.Set(conditions, c.Type, c.Status, c.Reason, c.Message, now);
            var generation = entry?.Generation ?? (unknown is null ? 1 : s.Generation);
            return s with
            {
                Source = entry?.Object?.Source.ToString() ?? (key.Kind == Job.ImperativeKind ? "api" : null),
                Generation = generation,
                ObservedGeneration = entry is { IsBroken: true } || unknown is not null ? s.ObservedGeneration : generation,
                Conditions = conditions,
                ManifestErrors = entry?.Errors.Select(e => e.ToString()).ToList() ?? [],
                Job = summary,
            };
        });
    }

    private void Start(ObjectKey key, string fingerprint)
    {
        var loop = new JobLoop(key, () => Desired(key), jobs, store, Settings, time, loggers.CreateLogger<JobLoop>(),
            (type, reason, message) => status.Record(key, type, reason, message), () => Publish(key), stateDir.Check, engineOutage);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        loops[key] = new Running(loop, stop, Task.Run(() => loop.RunAsync(stop.Token), CancellationToken.None), fingerprint);
    }

    /// <summary>A job's history and containers go only when its manifest is known to be gone: not while the folder
    /// cannot be read, a file that may define it cannot be read (an entry held without its object), its prune delay runs,
    /// or the mass-prune guard holds the read that dropped it (then it says so, as a group does).</summary>
    private async Task<bool> KnownDeletedAsync(ObjectKey key, CancellationToken ct)
    {
        if (manifests.Get(key) is not null || manifests.PruneHold(key) is not null || stateDir.Check() is not null) return false;
        if (await pruneGate.CheckAsync(key, ct) is not { } blocked) return true;
        if (status.Get(key)?.Condition(ConditionTypes.PruneBlocked) is not { Status: "True" } shown || shown.Message != blocked)
            status.MarkPruneBlocked(key, blocked);
        return false;
    }

    /// <summary>Stops a job's loop and removes its containers and history (API jobs: DELETE, manifests: deletion).</summary>
    public async Task ForgetAsync(ObjectKey key, string why, CancellationToken ct)
    {
        if (loops.TryRemove(key, out var running))
        {
            await running.Stop.CancelAsync();
            await running.Task;
            running.Stop.Dispose();
        }
        await jobs.RemoveAllAsync(key, ct);
        store.Remove(key);
        bindFolders.Forget(key);
        pruneGate.Removed(key);
        status.Remove(key);
        apiJobs.TryRemove(key, out _);
        try
        {
            overrides.Forget(key); // a CronJob suspended through the API: a new manifest of its name starts unsuspended
        }
        catch (State.StateWriteException e)
        {
            logger.LogWarning("{Key}: its suspend through the API could not be forgotten ({Error}): a new manifest of this name stays suspended until resumed", key, e.Message);
        }
        logger.LogInformation("{Key}: removed with its runs: {Why}", key, why);
    }
}
