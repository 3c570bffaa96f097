using System.Diagnostics;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Core.Status;
using Agent.Hosting;
using Agent.Sources;
using Agent.Status;
using Agent.Telemetry;
using Microsoft.Extensions.Options;

namespace Agent.Reconciliation;

/// <summary>What a reconcile asks of the queue: come back after this long (null: at the next resync).</summary>
/// <param name="Abandoned">The apply stopped part way, as its manifest changed, went or was suspended meanwhile: the
/// next reconcile plans it anew.</param>
public sealed record ReconcileResult(TimeSpan? RequeueAfter, bool Abandoned = false);

/// <summary>
/// Reconciles one object by key, controller-runtime style: reads the world fresh, plans, executes, reports status.
/// It never trusts the event that woke it, and running it twice changes nothing the second time.
/// </summary>
public sealed class Reconciler(
    ManifestStore manifests,
    EngineObserver observer,
    ObservedCache cache,
    PlanExecutor executor,
    ImageBuilder builder,
    StatusStore status,
    RuntimeOverrides overrides,
    ComposeAdoptions adoptions,
    PruneGate pruneGate,
    State.StateDirWatch stateDir,
    RolledBackUpdates rolledBackUpdates,
    Admission.BindSourceFolders bindFolders,
    UserStops userStops,
    AgentLabels labels,
    TimeProvider time,
    IOptions<AgentOptions> options,
    ILogger<Reconciler> logger)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);
    /// <summary>The result (also the metrics tag) of a reconcile whose apply stopped part way: see <see cref="ReconcileResult.Abandoned"/>.</summary>
    private const string AbandonedResult = "abandoned";
    private readonly Dictionary<ObjectKey, string> loggedConflicts = [];
    private readonly Dictionary<ObjectKey, string> lastPlans = [];
    private readonly Lock sync = new();

    /// <param name="leaveStartsToStart">Run by the start verb under its hold: see <see cref="PlanInput.LeaveStartsToStart"/>.</param>
    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken ct, bool leaveStartsToStart = false)
    {
        var started = Stopwatch.GetTimestamp();
        var result = "error";
        try
        {
            var outcome = await ReconcileCoreAsync(key, ct, leaveStartsToStart);
            result = outcome.Result;
            return new ReconcileResult(outcome.RequeueAfter, outcome.Result == AbandonedResult);
        }
        catch (Exception e) when (e is Agent.Engine.EngineException or State.StateWriteException && manifests.Get(key) is { Object: not null })
        {
            // A reconcile that could not even observe (or record what it must before acting: a full state dir) still
            // leaves Ready/Progressing/Degraded saying why.
            var reason = e is Agent.Engine.EngineUnavailableException ? "EngineUnavailable" : "ReconcileFailed";
            status.SetCondition(key, ConditionTypes.Ready, false, reason, e.Message);
            status.SetCondition(key, ConditionTypes.Progressing, true, "Retrying", "retrying with back-off");
            status.SetCondition(key, ConditionTypes.Degraded, true, reason, e.Message);
            throw;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && manifests.Get(key) is { Object: not null })
        {
            ReportEngineUnavailable(key, EngineTimeoutMessage); // an engine call ran out of Agent:EngineRequestTimeout
            throw;
        }
        finally
        {
            var tags = new TagList { { "kind", key.Kind }, { "result", result } };
            AgentMetrics.Reconciles.Add(1, tags);
            AgentMetrics.ReconcileDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    private string EngineTimeoutMessage =>
        $"the Docker engine at {Agent.Engine.EngineEndpoint.Resolve(options.Value.DockerHost)} did not answer within {options.Value.EngineRequestTimeout.TotalSeconds:0.#}s (Agent:EngineRequestTimeout)";

    /// <summary>Every object with a manifest says the engine does not answer: what the cache last saw is not what runs now.</summary>
    public void ReportEngineUnavailable(string message)
    {
        foreach (var entry in manifests.All().Where(e => e.Object is not null && !Job.IsJobKind(e.Key.Kind) && e.Key.Kind != GitRepository.KindName))
            ReportEngineUnavailable(entry.Key, message);
    }

    private void ReportEngineUnavailable(ObjectKey key, string message)
    {
        status.SetCondition(key, ConditionTypes.Ready, false, "EngineUnavailable", message);
        status.SetCondition(key, ConditionTypes.Progressing, true, "Retrying", "retrying with back-off");
        status.SetCondition(key, ConditionTypes.Degraded, true, "EngineUnavailable", message);
    }

    public Plan PlanFor(ObjectKey key, IManifestObject? desired, ObservedState observed, bool leaveStartsToStart = false) =>
        Planner.PlanGroup(InputFor(key, desired, observed) with { LeaveStartsToStart = leaveStartsToStart });

    /// <summary>The object's plan, and what a start (or resume) of an object the API stopped or suspended would change (its
    /// manifest's own suspend holds; null otherwise): `agent diff` shows it, so a stopped project with an edit waiting does not read as merely in sync.</summary>
    /// <remarks>For an object its manifest suspends (<c>suspend: true</c>) and no verb holds, OnResume lists what removing
    /// the suspend would apply (an edit made meanwhile shows there, probe-22 F10).</remarks>
    public (Plan Plan, IReadOnlyList<Change> OnStart, IReadOnlyList<Change> OnResume) PlanWithStart(ObjectKey key, IManifestObject? desired, ObservedState observed)
    {
        var input = InputFor(key, desired, observed) with { WholeRoll = true };
        var plan = Planner.PlanGroup(input);
        if (desired is not ServiceGroup g) return (plan, [], []);
        var specSuspended = g.Spec.Suspend && !overrides.IsSuspended(key);
        if (!specSuspended && !input.StoppedOnly && !(input.Suspended && !g.Spec.Suspend)) return (plan, UserStoppedUpdates(input, plan), []);
        var reconcile = PlanSummary.Describe(Planner.PlanGroup(input with { Suspended = false, StoppedOnly = false }));
        if (specSuspended) return (plan, [], reconcile);
        // The start verb starts the stopped containers first (a one-shot that completed too, as docker compose start
        // does), then the reconcile it runs makes or recreates what it must.
        var (first, deferred) = StartPlanner.PlanInOrder(g, observed, PlanInput.DefaultDependencyTimeout, deferDrifted: true);
        var starts = PlanSummary.Describe(first);
        // The start's second pass starts what waited for a service the reconcile makes or recreates (a completed one-shot
        // too: it runs again, after its dependency, probe-23 F1).
        var rank = deferred.Select((service, i) => (service, i)).ToDictionary(x => x.service, x => x.i, StringComparer.Ordinal);
        var afterMade = observed.Containers.Where(c => rank.ContainsKey(c.Service) && !c.IsRunning)
            .OrderBy(c => rank[c.Service]).ThenBy(c => c.Replica)
            .Select(c => new Change("start", c.Name, "after the services it depends on are made or recreated"));
        return (plan, [.. starts.Where(s => reconcile.All(r => r.Resource != s.Resource)), .. reconcile, .. afterMade.Where(s => reconcile.All(r => r.Resource != s.Resource))], []);
    }

    /// <summary>The recreates that wait for the start of a container a user stopped (an edit of it made while it is
    /// stopped, kept until it is started: probe-24, where `agent diff` read "in sync").</summary>
    private static IReadOnlyList<Change> UserStoppedUpdates(PlanInput input, Plan plan)
    {
        if (input.Suspended || !input.Observed.Containers.Any(c => c.StoppedByUser is not null && !c.IsRunning)) return [];
        var started = input.Observed with
        {
            Containers = input.Observed.Containers.Select(c => c.StoppedByUser is not null && !c.IsRunning ? c with { StoppedByUser = null, StoppedByAgent = true } : c).ToList(),
        };
        var now = PlanSummary.Describe(plan).Select(c => c.Resource).ToHashSet(StringComparer.Ordinal);
        return PlanSummary.Describe(Planner.PlanGroup(input with { Observed = started }))
            .Where(c => c.Verb == "recreate" && !now.Contains(c.Resource))
            .Select(c => c with { Cause = c.Cause + "; waits until it is started again (a user stopped it)" })
            .ToList();
    }

    private PlanInput InputFor(ObjectKey key, IManifestObject? desired, ObservedState observed) =>
        new(key, desired as ServiceGroup, observed, labels, time.GetUtcNow())
        {
            Suspended = desired is ServiceGroup g && (g.Spec.Suspend || overrides.IsSuspended(key)),
            RemoveVolumes = desired is ServiceGroup { Compose: not null } && overrides.RemovesVolumes(key),
            StoppedOnly = desired is ServiceGroup { Compose: not null, Spec.Suspend: false } && overrides.IsStoppedOnly(key),
            UnhealthyGrace = options.Value.UnhealthyGrace,
            FailedUpdates = FailedUpdates(key, desired),
            PruneReason = manifests.Get(key)?.NotSelected is not null ? "not selected by this host's labels (spec.placement)" : "manifest deleted",
            ServicesLeaving = manifests.ServicesLeaving(key),
        };

    private async Task<(string Result, TimeSpan? RequeueAfter)> ReconcileCoreAsync(ObjectKey key, CancellationToken ct, bool leaveStartsToStart)
    {
        // Jobs run to completion under the job runner; self-healing never touches them.
        if (Job.IsJobKind(key.Kind)) return ("ignored", null);
        // A GitRepository is a source: the git sync reports it; the objects it brings reconcile under their own keys.
        if (key.Kind == GitRepository.KindName) return ("ignored", null);
        var entry = manifests.Get(key);
        if (entry is { IsBroken: true })
        {
            var first = entry.Errors[0];
            var reason = entry.HeldReason;
            status.Update(key, s => s with { ManifestErrors = entry.Errors.Select(e => e.ToString()).ToList(), Generation = entry.Generation });
            status.SetCondition(key, ConditionTypes.Progressing, false, reason, reason switch
            {
                DesiredEntry.ManifestUnreadable => "the manifest file cannot be read; the last good state is kept and nothing is changed",
                DesiredEntry.WritableBindsLost => "the record of folders containers write was lost; what runs is kept and nothing is changed",
                Hold.PrunePending => "the manifest looks half-written; the last good state is kept and nothing is changed",
                DesiredEntry.NameConflict => "refused: an object that runs names its containers as this manifest would; nothing is created for it",
                _ => "the manifest does not load; the last good state is kept and nothing is changed",
            });
            status.SetCondition(key, ConditionTypes.Degraded, true, reason, first.ToString());
            status.SetCondition(key, ConditionTypes.Ready, false, reason, (reason is Hold.PrunePending or DesiredEntry.WritableBindsLost ? "held: " : reason is DesiredEntry.NameConflict ? "refused: " : "the manifest does not load: ") + first);
            status.Record(key, "Warning", reason, first.ToString());
            TimeSpan? healAgain = null;
            try
            {
                if (entry.Object is ServiceGroup lastGood && reason is not (DesiredEntry.NameConflict or DesiredEntry.WritableBindsLost))
                    healAgain = await HealAsync(key, lastGood, ct);
            }
            finally
            {
                await RefreshServicesAsync(key, entry, ct); // also when the engine failed the heal: what runs is shown
            }
            return ("stalled", healAgain);
        }

        var desired = entry?.Object;
        if (desired is ServiceGroup && overrides.Lost is { } suspendsLost) return await HoldSuspendsLostAsync(key, entry!, suspendsLost, ct);
        var observed = await observer.ObserveAsync(key, ct, entry?.Object as ServiceGroup);
        if (desired is null && observed.Containers.Count == 0 && observed.Networks.Count == 0)
        {
            Deleted(key, entry);
            if (entry?.NotSelected is { } why) return ReportNotSelected(key, why);
            status.Remove(key);
            return ("deleted", null);
        }

        if (desired is null && await PruneHeldAsync(key, observed, ct) is { } held) return ("held", held.RequeueAfter);

        var plan = PlanFor(key, desired, observed, leaveStartsToStart);
        if (!observed.Fresh && (!plan.IsEmpty || plan.Adopted.Count > 0))
        {
            // Planned from the cache, which can be a moment behind: nothing changes on a plan that the engine's answer
            // now would not give (the "never take down what runs" rules see what is there).
            observed = await observer.ObserveFreshAsync(key, ct, desired as ServiceGroup);
            plan = PlanFor(key, desired, observed, leaveStartsToStart);
        }
        // What docker compose made: its containers come with the listing; its networks and volumes are looked for only when
        // there are such containers or the plan would create something.
        if (desired is ServiceGroup { Compose: not null }
            && (!observed.Foreign.IsEmpty || plan.Operations.Any(o => o.Kind is OperationKind.CreateContainer or OperationKind.CreateNetwork or OperationKind.CreateVolume)))
        {
            var foreign = await observer.ObserveForeignAsync(key, ct);
            if (!foreign.IsEmpty || !observed.Foreign.IsEmpty)
            {
                observed = observed with { Foreign = foreign };
                plan = PlanFor(key, desired, observed, leaveStartsToStart);
            }
        }
        // The folder cannot be read: its last good state is enforced, nothing of it changed (probe-19 F1: an apply stopped
        // at its first step for this, and was planned again at once, for as long as the folder was away).
        var healing = desired is not null && manifests.SourceError is not null;
        if (healing) plan = HealOnly.Of(plan);
        if (plan.Adopted.Count > 0)
        {
            adoptions.Record(key, plan.Adopted); // before anything runs: an interrupted adoption resumes from this record
            logger.LogInformation("{Key}: adopting what docker compose made: {Resources}", key, string.Join(", ", plan.Adopted));
        }
        if (desired is ServiceGroup group && WaitingFor(group, plan) is { } waiting)
        {
            // What runs of it shows meanwhile (probe-38: after a restart, `services: []` and AGE from the restart for as long
            // as its dependencies took to be ready, while its containers ran).
            var waitingServices = ServicesOf(key, group, observed);
            status.Update(key, s => s with { Services = waitingServices, Since = StatusStore.Earliest(s.Since, observed.Containers.Select(c => c.Created)) });
            status.SetCondition(key, ConditionTypes.Progressing, true, "WaitingForDependencies", waiting);
            status.SetCondition(key, ConditionTypes.Ready, false, "WaitingForDependencies", waiting);
            return ("waiting", TimeSpan.FromSeconds(1));
        }

        ExecutionResult? execution = null;
        (long Generation, bool Suspended) applyStarted = default;
        if (!plan.IsEmpty)
        {
            if (desired is not null) ReportApplying(key, entry!.Generation, desired.Source.ToString(), plan);
            if (desired is ServiceGroup stopping) ReportStopping(key, stopping, observed);
            else if (entry?.NotSelected is null) ReportPruning(key, plan);
            // One line before (a plan can take minutes); each change is logged by the executor once it is done.
            var repeated = IsRepeated(key, plan.ToString());
            logger.Log(repeated ? LogLevel.Debug : LogLevel.Information, "{Key}: applying {Count} operation(s)", key, plan.Operations.Count(o => o.IsMutation));
            // A prune stops as soon as the manifest is back (or cannot be read): what is desired again is not taken down.
            applyStarted = (entry?.Generation ?? 0, overrides.IsSuspended(key));
            // An update's health gates, a stop's grace periods, or the creates of many replicas can take minutes: meanwhile
            // status follows what serves (probe-16 F8; probe-32 F1: READY counted a replica a stop had ended; probe-38: while
            // 30 removed replicas were made again, READY and health stood still for 12 s), not the containers seen before it.
            using var stopLive = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var live = desired is ServiceGroup followed
                ? FollowServingAsync(key, followed, entry!.Generation, updating: StopOf(key, followed) is null && IsUpdate(plan), stopLive.Token) : Task.CompletedTask;
            try
            {
                execution = await executor.RunAsync(key, plan, options.Value.Parallelism, ct,
                    desired is null ? () => PruneMustStop(key) : ApplyMustStop(key, entry!.Generation, healing),
                    desired is null ? null : op => UpdateReverted(key, entry!.Generation, op));
            }
            finally
            {
                await stopLive.CancelAsync();
                await live; // never writes status after the outcome below
            }
            RememberRollbacks(key, execution);
            // A rebuild retags the image name; the image the replaced container ran is garbage once that container is gone.
            if (plan.Operations.Any(o => o.Kind == OperationKind.BuildImage) && plan.Operations.Any(o => o.Kind == OperationKind.RemoveContainer))
                await builder.RemoveSupersededAsync(ct);
            // Network and volume events carry no labels, so the events stream does not bring this plan's: list them.
            if (plan.Operations.Any(o => o.Kind is OperationKind.CreateNetwork or OperationKind.RemoveNetwork or OperationKind.CreateVolume or OperationKind.RemoveVolume))
                await cache.RelistObjectAsync(key, ct);
        }

        if (desired is null && execution is { Abandoned.Count: > 0 }) return AbandonPrune(key, plan, execution);
        if (desired is not null && execution is { Abandoned.Count: > 0 })
        {
            // What is left was planned for a manifest that changed, went or was suspended meanwhile: the next reconcile
            // plans it anew from what this one did (as after an interrupted apply).
            var why = WhyApplyStops(key, applyStarted.Generation, applyStarted.Suspended, healing) ?? "its manifest changed";
            logger.LogInformation("{Key}: the apply stopped, {Why}: {Count} operation(s) not run, planning again", key, why, execution.Abandoned.Count);
            return (AbandonedResult, TimeSpan.Zero);
        }
        if (desired is null)
        {
            if (execution is { Succeeded: false })
            {
                await ReportPruneFailedAsync(key, observed, execution, ct);
                throw new ReconcileException(string.Join("; ", execution.Failures));
            }
            if (plan.Operations.Count > 0) logger.LogInformation("{Key}: pruned ({Count} operation(s))", key, plan.Operations.Count);
            Deleted(key, entry);
            if (entry?.NotSelected is { } why) return ReportNotSelected(key, why);
            status.Remove(key);
            return ("pruned", null);
        }

        // What the plan did shows in the containers listed, not what was there before it ran (the cache follows the events).
        var shown = execution is null ? observed : await observer.ObserveCachedContainersAsync(key, ct) ?? observed;
        return Report(key, entry!, (ServiceGroup)desired, observed, shown, plan, execution);
    }

    private static readonly TimeSpan LiveInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>A plan that replaces containers of another spec (an update, start-first or stop-first).</summary>
    private static bool IsUpdate(Plan plan) =>
        plan.Operations.Any(o => o is { Kind: OperationKind.CreateContainer, PreviousSpec: not null });

    /// <summary>
    /// While an update applies, every <see cref="LiveInterval"/>: the containers and READY count from the cache (no engine
    /// call), Ready (True while every replica serves) and Progressing ("updating: 1 of 2 replicas on generation N"), both
    /// reason Updating (<see cref="GroupConditions.WhileUpdating"/>). The reconcile's outcome replaces them once it ends.
    /// </summary>
    /// <param name="updating">An update: Ready and Progressing follow too; else a stop or another apply, whose conditions
    /// say so already: only the containers and READY follow.</param>
    private async Task FollowServingAsync(ObjectKey key, ServiceGroup group, long generation, bool updating, CancellationToken stop)
    {
        var network = ContainerNames.Network(group.Metadata.Name);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(LiveInterval, time, stop);
                if (await observer.ObserveCachedContainersAsync(key, stop) is not { } observed) continue;
                var now = time.GetUtcNow();
                var services = ServicesOf(key, group, observed);
                if (!updating)
                {
                    if (!stop.IsCancellationRequested) status.Update(key, s => s with { Services = services });
                    continue;
                }
                var onNewSpec = group.Spec.Services.Sum(s => ServiceReadiness.ServingSpec(
                    observed.Containers.Where(c => c.Service == s.Name), SpecHash.Of(s.Container, network), s.Replicas, now));
                var conditions = GroupConditions.WhileUpdating(services.Sum(s => s.ReadyReplicas), onNewSpec, services.Sum(s => s.DesiredReplicas), generation);
                if (stop.IsCancellationRequested) return;
                status.Update(key, s => s with { Services = services });
                if (conditions is var (ready, progressing))
                {
                    status.SetCondition(key, ready.Type, ready.Status, ready.Reason, ready.Message);
                    status.SetCondition(key, progressing.Type, progressing.Status, progressing.Reason, progressing.Message);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Agent.Engine.EngineException)
            {
                // the engine is away: the status stays as last seen; the apply reports it
            }
        }
    }

    /// <summary>The object's manifest is gone and nothing of it is left in the engine: what the agent kept for it goes too,
    /// its API stop included (persisted), so a new manifest of the same name starts fresh (probe-15m: it stayed 0/0
    /// Suspended without a word). An object only not selected, or a folder that cannot be read, is no deletion.</summary>
    private void Deleted(ObjectKey key, DesiredEntry? entry)
    {
        if (entry is null) pruneGate.Removed(key);
        adoptions.Forget(key);
        rolledBackUpdates.Forget(key);
        foreach (var said in backOffSaid.Keys.Where(k => k.Key == key)) backOffSaid.TryRemove(said, out _);
        if (entry is null && manifests.SourceError is null) bindFolders.Forget(key);
        if (entry is null && manifests.SourceError is null && overrides.Forget(key))
            logger.LogInformation("{Key}: deleted; its stop through the API is forgotten (a new manifest of this name runs)", key);
    }

    /// <summary>A running apply stops at the next step when its manifest changed (a new generation), was deleted or the
    /// object was suspended (agent stop): a deleted 3,000-service manifest no longer goes on creating containers for
    /// minutes before they are pruned (probe-15l M4). A manifest that turns broken keeps its last good spec: that goes on.</summary>
    private Func<bool> ApplyMustStop(ObjectKey key, long generation, bool healing)
    {
        var suspended = overrides.IsSuspended(key); // spec.suspend is in the generation; agent stop/start is not
        return () => WhyApplyStops(key, generation, suspended, healing) is not null;
    }

    /// <summary>Why an apply of <paramref name="generation"/> begun with the object (not) stopped through the API must stop
    /// now, for the log; null while it goes on. A heal-only apply (<see cref="HealOnly"/>) was planned for a folder that
    /// cannot be read: that is no reason to stop it.</summary>
    private string? WhyApplyStops(ObjectKey key, long generation, bool suspended, bool healing) =>
        !healing && manifests.SourceError is not null ? "the manifests cannot be read"
        : manifests.Get(key) is not { Object: not null } now ? "its manifest was deleted"
        : !now.IsBroken && now.Generation != generation ? $"the manifest changed (generation {now.Generation})"
        : overrides.IsSuspended(key) != suspended ? (suspended ? "it was started through the API" : "it was stopped through the API")
        : null;

    /// <summary>Why the health wait of an update applied for <paramref name="generation"/> ends now: the manifest (a newer,
    /// loading generation) wants the replaced container's spec again for that service (probe-16 F11); null otherwise.</summary>
    private string? UpdateReverted(ObjectKey key, long generation, Operation op) =>
        op.Replaces is { } replaced && manifests.Get(key) is { IsBroken: false, Object: ServiceGroup now } entry && entry.Generation != generation
        && now.Spec.Services.FirstOrDefault(s => s.Name == replaced.Service) is { } service
        && SpecHash.Of(service.Container, ContainerNames.Network(now.Metadata.Name)) == replaced.Hash
            ? $"the manifest was reverted to spec {replaced.Hash} of service {replaced.Service} (generation {entry.Generation})"
            : null;

    /// <summary>A running prune stops when the object's manifest is there again (valid or not) or the manifests cannot be
    /// read (nothing is pruned then).</summary>
    private bool PruneMustStop(ObjectKey key) =>
        manifests.Get(key) is { Object: not null } or { IsBroken: true } || manifests.SourceError is not null;

    /// <summary>The prune stopped half-way: the object reconciles anew at once. What the prune stopped and did not remove
    /// is the agent's own stop, so that reconcile starts it again, in dependsOn order, after making what the prune removed
    /// (probe-25: an undo of its own started db and app in the same second, before migrate was made again and had run).</summary>
    private (string, TimeSpan?) AbandonPrune(ObjectKey key, Plan prune, ExecutionResult execution)
    {
        pruneGate.Settled(key);
        var message = $"the manifest is back: the prune stopped with {execution.Abandoned.Count} of {prune.Operations.Count} operation(s) not run";
        logger.LogInformation("{Key}: {Message}; what it stopped starts again, in dependsOn order", key, message);
        status.SetCondition(key, ConditionTypes.Progressing, true, "PruneAbandoned", message);
        // Not "the manifest is deleted" any more (probe-28 F6): it is being brought back.
        status.SetCondition(key, ConditionTypes.Ready, false, "PruneAbandoned",
            $"{message}; what it stopped starts again once its stop has landed, in dependsOn order");
        status.Record(key, "Normal", "PruneAbandoned", message);
        return ("prune_abandoned", TimeSpan.Zero);
    }

    /// <summary>A prune that failed (a stop the state dir could not record first, an engine error) is tried again with
    /// back-off; meanwhile the object is Degraded naming why, and READY counts the replicas that still serve (probe-31 F6:
    /// it read Pruning, Degraded False, 0/N, while both containers ran, and only the log said the state dir was read-only).</summary>
    private async Task ReportPruneFailedAsync(ObjectKey key, ObservedState observed, ExecutionResult execution, CancellationToken ct)
    {
        var left = await observer.ObserveCachedContainersAsync(key, ct) ?? observed;
        var now = time.GetUtcNow();
        status.Update(key, s => s with { Services = HeldServices.From(left.Containers, now) });
        var message = $"the manifest is deleted, but its prune failed (tried again with back-off): {string.Join("; ", execution.Failures)}";
        status.SetCondition(key, ConditionTypes.Degraded, true, PruneFailed, message);
        status.SetCondition(key, ConditionTypes.Ready, false, PruneFailed, message);
        status.SetCondition(key, ConditionTypes.Progressing, false, PruneFailed, message);
        status.Record(key, "Warning", PruneFailed, message);
    }

    private const string PruneFailed = "PruneFailed";

    /// <summary>Status while a prune runs (a stop can take its grace period): not Ready, and why.</summary>
    private void ReportPruning(ObjectKey key, Plan plan)
    {
        var containers = plan.Operations.Count(o => o.Kind == OperationKind.RemoveContainer);
        var message = $"the manifest is deleted: removing {containers} container(s) and what else the object made";
        status.SetCondition(key, ConditionTypes.Ready, false, "Pruning", message);
        status.SetCondition(key, ConditionTypes.Progressing, true, "Pruning", message);
        status.SetCondition(key, ConditionTypes.Degraded, false, "Pruning", "");
        // Let through (confirmed, or the guard holds no more): the guard's hold is over (probe-27: PruneBlocked, "nothing is
        // removed until an admin confirms", shown while the confirmed removal ran).
        status.Update(key, s => s with { Conditions = s.Conditions.Where(c => c.Type != ConditionTypes.PruneBlocked).ToList() });
    }

    /// <summary>A stopped or suspended group whose plan stops what still runs of it says so at once (probe-29 F6: spec.suspend
    /// read `1/1 Ready`, Ready True Updating, for a 40 s stop grace; after an agent restart during a stop, READY `-` and
    /// STATUS Reconciling with AGE from the restart): Suspended True, Ready False with the hold's reason, and the containers
    /// as observed, so `agent get` shows READY and Stopping while one still runs.</summary>
    private void ReportStopping(ObjectKey key, ServiceGroup group, ObservedState observed)
    {
        if (StopOf(key, group) is not { } stop) return;
        var services = ServicesOf(key, group, observed);
        status.Update(key, s => s with { Services = services, Since = StatusStore.Earliest(s.Since, observed.Containers.Select(c => c.Created)) });
        status.SetCondition(key, ConditionTypes.Suspended, true, stop.Reason, stop.Why);
        // A stop or down asked through the API reads StopRequested/DownRequested until its outcome (StatusStore.MarkToggled).
        if (status.Get(key)?.Condition(ConditionTypes.Ready) is { Status: "False" } ready && ready.Reason.EndsWith("Requested", StringComparison.Ordinal)) return;
        status.SetCondition(key, ConditionTypes.Ready, false, stop.Reason, $"its containers are being stopped ({stop.Why})");
    }

    /// <summary>Status while a plan applies. A condition left by a hold that is over (a manifest that did not read or was
    /// gone, a prune) says so no longer: the object is being applied again.</summary>
    private void ReportApplying(ObjectKey key, long generation, string source, Plan plan)
    {
        var message = $"applying generation {generation}: {plan.Operations.Count} operation(s)";
        var before = status.Get(key);
        // The generation being applied, and the manifest it comes from, show at once (probe-24: Source <none> during the
        // first apply after a restart); observedGeneration stays at the applied one until the outcome.
        status.Update(key, s => s with { Generation = generation, Source = source });
        status.SetCondition(key, ConditionTypes.Progressing, true, "Applying", message);
        var conditions = before?.Conditions ?? [];
        var held = conditions.Any(c => c.Type is ConditionTypes.Ready or ConditionTypes.Degraded && HeldReasons.Contains(c.Reason));
        if (GroupConditions.ReadyWhileApplying(before?.IsReady == true, held, before?.ObservedGeneration ?? 0, generation, message, plan.StopsServingReplicas) is { } ready)
            status.SetCondition(key, ready.Type, ready.Status, ready.Reason, ready.Message);
        if (held) status.SetCondition(key, ConditionTypes.Degraded, false, "Applying", "");
    }

    /// <summary>Reasons of conditions that describe a held or deleted manifest, not the object's containers.</summary>
    private static readonly HashSet<string> HeldReasons =
        [DesiredEntry.InvalidManifest, DesiredEntry.ManifestUnreadable, DesiredEntry.WritableBindsLost, SuspendsLost, "SourceUnavailable", Hold.PrunePending, "Pruning", PruneFailed, "PruneAbandoned", ConditionTypes.PruneBlocked, StateDirUnavailable];

    /// <summary>A manifest whose placement selects other hosts: nothing of it runs here, and status says why.</summary>
    private (string, TimeSpan?) ReportNotSelected(ObjectKey key, string why)
    {
        status.Update(key, s => s with { Services = [], ManifestErrors = [], LastAppliedRevision = null });
        status.SetCondition(key, ConditionTypes.Ready, false, Placement.NotSelectedReason, why);
        status.SetCondition(key, ConditionTypes.Progressing, false, Placement.NotSelectedReason, why);
        status.SetCondition(key, ConditionTypes.Degraded, false, Placement.NotSelectedReason, why);
        return ("not_selected", null);
    }

    private sealed record Held(TimeSpan? RequeueAfter);

    private const string StateDirUnavailable = "StateDirUnavailable";

    /// <summary>An object without a manifest is pruned only after a complete read that the mass-prune guard lets through:
    /// why it is held (and when to look again), or null when it may be pruned now.</summary>
    private async Task<Held?> PruneHeldAsync(ObjectKey key, ObservedState observed, CancellationToken ct)
    {
        // No spec is known here (its manifest is gone or unread since the agent started): what runs is shown as its
        // containers hold it, READY counted from them, AGE from the oldest (probe-18 F7: READY "-" and AGE 10s beside
        // three running containers 22 minutes old, after an agent start while the manifests folder was missing).
        status.Update(key, s => s with
        {
            Services = HeldServices.From(observed.Containers, time.GetUtcNow()),
            Since = StatusStore.Earliest(s.Since, observed.Containers.Select(c => c.Created)),
        });
        if (stateDir.Check() is { } unavailable) // what holds it (prune-held.json, its confirmation) cannot be read now
        {
            status.SetCondition(key, ConditionTypes.Degraded, true, StateDirUnavailable, unavailable);
            status.SetCondition(key, ConditionTypes.Progressing, false, StateDirUnavailable, "nothing is removed until the state dir is back");
            if (HeldReplicas.Down(observed.Containers, "nothing is removed") is { } stopped)
                status.SetCondition(key, ConditionTypes.Ready, false, StateDirUnavailable, stopped);
            return new Held(TimeSpan.FromSeconds(1));
        }
        if (manifests.PruneHold(key) is { } hold)
        {
            var delay = manifests.PruneDelayLeft(key);
            var reason = manifests.SourceError is not null ? "SourceUnavailable"
                : delay is not null ? Hold.PrunePending
                : manifests.KeptFrom(key) is not null ? ConditionTypes.Orphaned : DesiredEntry.ManifestUnreadable;
            status.SetCondition(key, ConditionTypes.Degraded, true, reason, hold);
            status.SetCondition(key, ConditionTypes.Progressing, false, reason, "nothing is changed or removed until the manifests read again");
            if (reason == ConditionTypes.Orphaned) // kept, but its spec is not known (the agent restarted): not healed, so not Ready
                status.SetCondition(key, ConditionTypes.Ready, false, reason, $"{hold}; its spec is not known since the agent restarted, " +
                    "so it is not healed: restore the GitRepository or name the object in a manifest");
            else if (HeldReplicas.Down(observed.Containers, "nothing is changed or removed") is { } down)
                status.SetCondition(key, ConditionTypes.Ready, false, reason, down);
            else if (status.Get(key)?.Condition(ConditionTypes.Ready) is null or { Status: "Unknown" })
                // Held since the agent started (the folder or its file could not be read): what runs is kept, but its spec
                // is not known, so it is neither healed nor Ready; `agent get` said Ready=Unknown Reconciling (probe-16 F6).
                status.SetCondition(key, ConditionTypes.Ready, false, reason, $"{hold}; its spec has not been read since the agent started, " +
                    "so its containers are kept as they run and not healed until its manifest reads again");
            status.Record(key, "Warning", reason, hold);
            return new Held(delay is { } left ? left + TimeSpan.FromMilliseconds(100) : null);
        }
        if (await pruneGate.CheckAsync(key, ct) is { } blocked)
        {
            status.MarkPruneBlocked(key, blocked, HeldReplicas.Down(observed.Containers, "its removal is held by the mass-prune guard"));
            return new Held(null);
        }
        return null;
    }

    /// <summary>A group creates nothing until the groups it depends on, and every group of earlier phases, are ready.</summary>
    private string? WaitingFor(ServiceGroup group, Plan plan)
    {
        if (!plan.Operations.Any(o => o.Kind == OperationKind.CreateContainer)) return null;
        bool Stopped(ServiceGroup other) => other.Spec.Suspend || overrides.IsSuspended(other.Key);
        // A group named in spec.dependsOn is waited for also while it is stopped or suspended: nothing of this group is made
        // on it (probe-29 F0: sapp's replica, removed, was made again at once beside sdb stopped by `agent stop`, or while
        // sdb's stop was still under way). An earlier phase orders the first start only: a stopped one holds nothing.
        var blockers = manifests.All()
            .Select(e => e.Object as ServiceGroup)
            .OfType<ServiceGroup>()
            .Where(other => other.Metadata.Name != group.Metadata.Name
                            && (group.Spec.DependsOn.Contains(other.Metadata.Name) || other.Spec.Phase < group.Spec.Phase && !Stopped(other)))
            .Where(other => !status.IsReady(other.Key))
            .OrderBy(other => other.Metadata.Name, StringComparer.Ordinal)
            .ToList();
        // A group named in spec.dependsOn that has no manifest now (moved away and being pruned, or back but not read whole
        // yet) is waited for too until it reads Ready: probe-30 F18, sapp (held at its last good spec) was healed onto a db
        // whose prune was stopping it.
        ObjectKey[] KeysOf(string name) => [new(ServiceGroup.KindName, name), new(ServiceGroup.ComposeKindName, name)];
        var absent = group.Spec.DependsOn.Where(name => blockers.All(b => b.Metadata.Name != name)
                && KeysOf(name).All(k => manifests.Get(k) is not { Object: ServiceGroup } && !status.IsReady(k)))
            .Order(StringComparer.Ordinal).ToList();
        if (blockers.Count == 0 && absent.Count == 0) return null;
        var notes = blockers.Where(Stopped).Select(b => b.Spec.Suspend
            ? $"{b.Metadata.Name} is suspended in its manifest (spec.suspend: false runs it again)"
            : $"{b.Metadata.Name} is stopped (`agent start servicegroup/{b.Metadata.Name}` runs it again)")
            .Concat(absent.Select(name => $"{name} has no manifest now"));
        var waited = blockers.Select(b => b.Metadata.Name).Concat(absent).Order(StringComparer.Ordinal);
        return $"waiting for group(s) {string.Join(", ", waited)} to be ready" + string.Concat(notes.Select(n => "; " + n));
    }

    /// <summary>Why the group is held stopped (spec.suspend, or a stop or down through the API), or null when it runs.</summary>
    private StopState? StopOf(ObjectKey key, ServiceGroup group) =>
        StopState.Of(key, group.Spec.Suspend, overrides.IsSuspended(key), overrides.IsDown(key), overrides.RemovesVolumes(key));

    private (string, TimeSpan?) Report(ObjectKey key, DesiredEntry entry, ServiceGroup group, ObservedState observed, ObservedState shown, Plan plan, ExecutionResult? execution)
    {
        var stop = StopOf(key, group);
        var suspended = stop is not null;
        var services = ServicesOf(key, group, shown);

        status.Update(key, s => s with
        {
            Conditions = s.Conditions.Where(c => c.Type != ConditionTypes.PruneBlocked && (c.Type != ConditionTypes.Orphaned || entry.KeptFrom is not null)).ToList(),
            Source = group.Source.ToString(),
            LastAppliedRevision = entry.Revision,
            Generation = entry.Generation,
            ObservedGeneration = entry.Generation,
            SpecHash = ManifestStore.Fingerprint(group),
            Services = services,
            ManifestErrors = [],
            LastReconcileTime = time.GetUtcNow(),
            Since = StatusStore.Earliest(s.Since, observed.Containers.Select(c => c.Created)),
            LastError = execution is { Succeeded: false } ? GroupConditions.Joined(execution.Failures) : plan.IsEmpty ? null : s.LastError,
        });
        if (entry.KeptFrom is { } repository)
        {
            var kept = $"kept: GitRepository {repository}, which brought it, was deleted with prune: false; healed at its last applied spec " +
                       $"({entry.Revision ?? "unknown revision"}) until a manifest names it again";
            status.SetCondition(key, ConditionTypes.Orphaned, true, "SourceDeleted", kept);
            status.Record(key, "Normal", ConditionTypes.Orphaned, kept);
        }
        status.SetCondition(key, ConditionTypes.Suspended, suspended, stop?.Reason ?? "Active", stop?.Why ?? "reconciling");

        // desiredReplicas stays the manifest's while stopped (READY 0/3 Stopped): a stopped group is not missing replicas.
        var notReady = suspended ? [] : services.Where(s => s.ReadyReplicas < s.DesiredReplicas).ToList();
        var userStopped = UserStopped(group, observed);
        var shortReplicas = notReady.Sum(s => s.DesiredReplicas - s.ReadyReplicas);
        var exited = suspended ? [] : ExitedReplicas.Of(observed.Containers,
            c => group.Spec.Services.FirstOrDefault(s => s.Name == c.Service)?.Container.Restart);
        // probe-31 F3: what depends on a user-stopped container waits for it (its replica removed meanwhile is not made):
        // nothing progresses until the user starts it, as for the stopped container itself.
        var heldBehindUserStops = userStopped.Count > 0 && plan.Held.Count > 0
            && plan.Held.All(h => h.Reason == Hold.DependencyNotRunning && userStopped.Any(u => h.Message.StartsWith($"not done until {u.Name} runs:", StringComparison.Ordinal)));
        var outcome = new ReconcileOutcome(entry.Generation)
        {
            StoppedByUser = userStopped.Count > 0 && (shortReplicas <= userStopped.Count + exited.Count || heldBehindUserStops)
                ? UserStopMessage(userStopped) + UnsavedStops(userStopped) + (heldBehindUserStops ? "; " + string.Join("; ", plan.Held.Select(h => h.Message)) : "") : null,
            ShortReplicas = shortReplicas,
            Exited = exited,
            StartHint = ExitedReplicas.StartCommand(key),
            Suspended = suspended,
            Stop = stop,
            Operations = plan.Operations.Count,
            Failures = execution?.Failures ?? [],
            NameConflicts = execution?.NameConflicts ?? [],
            RolledBack = execution?.RolledBack ?? [],
            RollbackCauses = execution?.RollbackCauses ?? new Dictionary<string, string>(),
            Held = WithRollbackCauses(key, group, plan.Held),
            NotReady = notReady.Count == 0 ? null : string.Join(", ", notReady.Select(s => $"{s.Name} {s.ReadyReplicas}/{s.DesiredReplicas} ready")) + WithEngine(key, observed),
        };
        var conditions = GroupConditions.Decide(outcome);
        foreach (var c in conditions) status.SetCondition(key, c.Type, c.Status, c.Reason, c.Message);
        ReportConflict(key, plan);
        var degraded = conditions.Single(c => c.Type == ConditionTypes.Degraded);
        if (degraded.Status && (outcome.RolledBack.Count > 0 || outcome.Failures.Count > 0))
            status.Record(key, "Warning", degraded.Reason, degraded.Message);
        RecordBackOff(key, plan.Held, observed);
        if (manifests.SourceError is { } source)
        {
            // The last good state is kept and healed, but nothing new can come from the folder: say so on every object.
            status.SetCondition(key, ConditionTypes.Degraded, true, "SourceUnavailable", $"{source}; the last good state is kept and nothing is pruned");
            status.Record(key, "Warning", "SourceUnavailable", source);
        }
        if (execution is { Applied: > 0 })
            status.Record(key, "Normal", "Applied", $"{execution.Applied} change(s): {string.Join("; ", execution.Changes.Take(5))}{(execution.Changes.Count > 5 ? "; ..." : "")}");

        LogConflictChange(key, outcome.NameConflicts);
        // A name held by someone else does not go away by retrying: no backoff storm, the next resync looks again.
        if (outcome.IsNameConflictOnly) return ("conflict", null);
        if (outcome.Failures.Count > 0 && outcome.RolledBack.Count == 0) throw new ReconcileException(GroupConditions.FailedMessage(outcome));
        if (!plan.IsEmpty) return ("applied", plan.RequeueAfter is { } r && r < Settle ? r : Settle);
        if (outcome.NotReady is not null && !suspended) return ("up_to_date", plan.RequeueAfter ?? TimeSpan.FromSeconds(2));
        return ("up_to_date", plan.RequeueAfter);
    }

    /// <summary>A RolledBack hold names why the update was rolled back (kept with the rollback, across restarts too), so
    /// Degraded says it at every reconcile, not only at the one that rolled back.</summary>
    private IReadOnlyList<Hold> WithRollbackCauses(ObjectKey key, ServiceGroup group, IReadOnlyList<Hold> held)
    {
        if (!held.Any(h => h.Reason == Hold.RolledBack)) return held;
        var network = ContainerNames.Network(group.Metadata.Name);
        var causes = group.Spec.Services.Select(s => (Hash: SpecHash.Of(s.Container, network), Cause: rolledBackUpdates.CauseOf(key, $"{s.Name}@{SpecHash.Of(s.Container, network)}")))
            .Where(c => c.Cause is not null).ToList();
        return held.Select(h => h.Reason == Hold.RolledBack && causes.FirstOrDefault(c => h.Message.Contains($"spec {c.Hash} ", StringComparison.Ordinal)) is { Cause: { } cause }
            ? h with { Message = $"{h.Message} ({cause})" }
            : h).ToList();
    }

    /// <summary>What each service of <paramref name="group"/> runs, as status shows it.</summary>
    private List<ServiceStatus> ServicesOf(ObjectKey key, ServiceGroup group, ObservedState observed)
    {
        return group.Spec.Services.Select(s =>
        {
            // READY counts the replicas that serve, of whatever spec (kubectl during a rollout): the old replicas while an
            // update waits on its gate, the previous spec's after a rollback; a stopped one or an X-next still in its gate does not.
            var containers = observed.Containers.Where(c => c.Service == s.Name).OrderBy(c => c.Replica).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
            var ready = ServiceReadiness.Serving(containers, s.Replicas, time.GetUtcNow());
            // desiredReplicas is the manifest's replicas also while stopped or down, as kubectl and compose users read READY 0/3.
            return new ServiceStatus(s.Name, s.Replicas, ready, containers.Select(c => ContainerStatus.Of(c.Name, c.Id, c.State, c.Health, c.SpecHash, ContainerMessage(c, s))).ToList());
        }).ToList();
    }

    /// <summary>The record of suspends could not be read (probe-15j M7): whether an operator stopped this object is unknown,
    /// so nothing of it is started, stopped, created or removed until the marker is deleted (<see cref="RuntimeOverrides.LostHolds"/>).</summary>
    private async Task<(string, TimeSpan?)> HoldSuspendsLostAsync(ObjectKey key, DesiredEntry entry, string why, CancellationToken ct)
    {
        status.Update(key, s => s with { Generation = entry.Generation });
        status.SetCondition(key, ConditionTypes.Progressing, false, SuspendsLost, "the record of stopped and suspended objects was lost; what runs is kept and nothing is changed");
        status.SetCondition(key, ConditionTypes.Degraded, true, SuspendsLost, why);
        status.SetCondition(key, ConditionTypes.Ready, false, SuspendsLost, "held: " + why);
        status.Record(key, "Warning", SuspendsLost, why);
        await RefreshServicesAsync(key, entry, ct);
        return ("stalled", null);
    }

    private const string SuspendsLost = "SuspendsLost";

    /// <summary>A manifest that does not load (or whose file cannot be read) keeps its last good spec, and that spec keeps
    /// being enforced: a removed replica is created again, an exited one started (<see cref="HealOnly"/>); nothing that
    /// runs is changed (probe-19 F1: a replica removed while its manifest was broken stayed gone until the file was fixed).
    /// Every create is admitted again as always (a bind folder swapped for a link since is refused). False when a step
    /// failed: logged once per failure, tried again after <see cref="HealRetry"/>; the object's status keeps saying why it is held.
    /// A replica is made again only once the groups its last good spec depends on are ready, as for any create (CI: sapp's
    /// manifest, broken while sdb's was away, healed sapp's removed replica onto the db sdb's prune was stopping).
    /// Returns when to look again: null when nothing is left to do.</summary>
    private async Task<TimeSpan?> HealAsync(ObjectKey key, ServiceGroup lastGood, CancellationToken ct)
    {
        var observed = await observer.ObserveAsync(key, ct, lastGood);
        var plan = HealOnly.Of(PlanFor(key, lastGood, observed));
        if (plan.IsEmpty) return null;
        if (!observed.Fresh)
        {
            observed = await observer.ObserveFreshAsync(key, ct, lastGood);
            plan = HealOnly.Of(PlanFor(key, lastGood, observed));
            if (plan.IsEmpty) return null;
        }
        if (WaitingFor(lastGood, plan) is { } waiting)
        {
            logger.Log(IsRepeated(key, "heal-wait:" + waiting) ? LogLevel.Debug : LogLevel.Information,
                "{Key}: the manifest does not load; its last good spec is brought back once its dependencies are ready: {Waiting}", key, waiting);
            return TimeSpan.FromSeconds(1);
        }
        var repeated = IsRepeated(key, "heal:" + plan);
        logger.Log(repeated ? LogLevel.Debug : LogLevel.Information, "{Key}: the manifest does not load; bringing back what its last good spec runs: {Count} operation(s)",
            key, plan.Operations.Count(o => o.IsMutation));
        var execution = await executor.RunAsync(key, plan, options.Value.Parallelism, ct);
        if (execution.Succeeded) return null;
        logger.Log(repeated ? LogLevel.Debug : LogLevel.Warning, "{Key}: bringing back its last good spec failed, trying again in {Retry}: {Error}",
            key, HealRetry, string.Join("; ", execution.Failures));
        return HealRetry;
    }

    /// <summary>The same plan as the last one for this object (a name still held, a retry) is not news: logged at debug level.</summary>
    private bool IsRepeated(ObjectKey key, string plan)
    {
        lock (sync)
        {
            var repeated = lastPlans.TryGetValue(key, out var last) && last == plan;
            lastPlans[key] = plan;
            return repeated;
        }
    }

    private static readonly TimeSpan HealRetry = TimeSpan.FromSeconds(30);

    /// <summary>A held object (its manifest does not load) is not changed, but what runs of it is still shown as it is now
    /// (a container removed meanwhile, e.g. for a moved bind source, is no longer listed): from its last good spec, or,
    /// held without one since the agent started, from its containers (<see cref="HeldServices"/>); its AGE reaches back
    /// to its oldest container as for any object.</summary>
    private async Task RefreshServicesAsync(ObjectKey key, DesiredEntry entry, CancellationToken ct)
    {
        if (entry.Object is not (null or ServiceGroup)) return;
        var group = entry.Object as ServiceGroup;
        try
        {
            var observed = await observer.ObserveAsync(key, ct, group);
            status.Update(key, s => s with
            {
                Services = group is null ? HeldServices.From(observed.Containers, time.GetUtcNow()) : ServicesOf(key, group, observed),
                Since = StatusStore.Earliest(s.Since, observed.Containers.Select(c => c.Created)),
            });
        }
        catch (Agent.Engine.EngineException)
        {
            // the engine is away: the list stays as it was last seen
        }
    }

    /// <summary>One log line when an object's name conflicts change (appear, differ, or are resolved), not one per resync.</summary>
    private void LogConflictChange(ObjectKey key, IReadOnlyList<string> conflicts)
    {
        var now = string.Join("; ", conflicts.Order(StringComparer.Ordinal));
        string? before;
        lock (sync)
        {
            before = loggedConflicts.GetValueOrDefault(key);
            if (before == now || (before is null && now.Length == 0)) return;
            if (now.Length == 0) loggedConflicts.Remove(key);
            else loggedConflicts[key] = now;
        }
        if (now.Length > 0) logger.LogWarning("{Key}: name conflict, looked at again every resync: {Conflicts}", key, now);
        else logger.LogInformation("{Key}: name conflict resolved", key);
    }

    /// <summary>The Conflict condition of a compose project `docker compose up` started: set while foreign containers
    /// are left alone, cleared once they are adopted or gone.</summary>
    private void ReportConflict(ObjectKey key, Plan plan)
    {
        var conflict = plan.Held.FirstOrDefault(h => h.Reason == Hold.Conflict);
        var previous = status.Get(key)?.Conditions.FirstOrDefault(c => c.Type == ConditionTypes.Conflict);
        if (conflict is not null)
        {
            if (previous is null || previous.Status != "True" || previous.Message != conflict.Message)
                status.Record(key, "Warning", ConditionTypes.Conflict, conflict.Message);
            status.SetCondition(key, ConditionTypes.Conflict, true, "ForeignContainers", conflict.Message);
        }
        else if (previous is { Status: "True" })
        {
            status.SetCondition(key, ConditionTypes.Conflict, false, plan.Adopted.Count > 0 || plan.Operations.Any(o => o.Cause.StartsWith("adopting", StringComparison.Ordinal)) ? "Adopted" : "Resolved", "");
        }
    }

    private const string StoppedByUser = "Stopped by user", PausedByUser = "Paused by user", HeldStopped = "Held stopped",
        ExitedWithEngine = "Exited when the engine stopped";

    /// <summary>"; exited when the engine stopped: NAMES ...": the containers the engine's shutdown stopped that are still
    /// exited (restart: no, or on-failure, leaves them so, as Docker does), or "" when there are none.</summary>
    private static string WithEngine(ObjectKey key, ObservedState observed)
    {
        var names = observed.Containers.Where(c => c is { StoppedWithEngine: true, State: ContainerState.Exited or ContainerState.Dead })
            .Select(c => c.Name).Order(StringComparer.Ordinal).ToList();
        if (names.Count == 0) return "";
        var start = ExitedReplicas.StartCommand(key);
        return $"; exited when the engine stopped, and their restart policy leaves them so: {string.Join(", ", names)} ({start}, or docker start, starts them)";
    }

    /// <summary>A Warning event and a log line when a replica enters a crash loop, as kubectl shows "Back-off restarting
    /// failed container" (probe-63: only a Degraded condition said so): once per container and exit code, whatever the
    /// other containers do (probe-64: 44 lines in 2 minutes as the set of looping names changed).</summary>
    private void RecordBackOff(ObjectKey key, IReadOnlyList<Hold> held, ObservedState observed)
    {
        var looping = held.Where(h => h is { Reason: Hold.CrashLoopBackOff, Container: not null }).Select(h => h.Container!).ToHashSet(StringComparer.Ordinal);
        foreach (var said in backOffSaid.Keys.Where(k => k.Key == key && !looping.Contains(k.Container))) backOffSaid.TryRemove(said, out _);
        foreach (var name in looping.Order(StringComparer.Ordinal))
        {
            var code = observed.Containers.FirstOrDefault(c => c.Name == name)?.LatestExitCode;
            if (backOffSaid.TryGetValue((key, name), out var before) && (before == code || code is null)) continue;
            backOffSaid[(key, name)] = code;
            var message = $"Back-off restarting failed container {name}{(code is { } exit ? $" (exit code {exit})" : "")}";
            status.Record(key, "Warning", BackOff, message);
            logger.LogWarning("{Key}: {Message}", key, message);
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(ObjectKey Key, string Container), int?> backOffSaid = new();

    private const string BackOff = "BackOff";

    private static string? ContainerMessage(ObservedContainer c, ServiceSpec service) =>
        c is { State: ContainerState.Running, StopInFlight: true } ? c.StopInFlightByUser ? StoppingByUser : StoppingByAgent
        : c.State == ContainerState.Paused && service.Container.Restart.Mode != RestartMode.Always ? PausedByUser
        : c.StoppedByUser == UserStops.ByUnknown ? HeldStopped
        : c.StoppedByUser is not null && (c.StoppedByUser == UserStops.ByApi || service.Container.Restart.Mode != RestartMode.Always) ? StoppedByUser
        : c is { StoppedWithEngine: true, State: ContainerState.Exited or ContainerState.Dead } ? ExitedWithEngine
        : c.State == ContainerState.Restarting
            ? $"CrashLoopBackOff: the engine restarts it{(c.LatestExitCode is { } exit ? $", last exit code {exit}" : "")}{(c.Failures > 0 ? $", failed {c.Failures} times" : "")}"
        : c.State is ContainerState.Exited && service.Container.Restart is { Mode: RestartMode.OnFailure, MaxRetries: > 0 } limit && c.Failures > limit.MaxRetries
            ? $"BackoffLimitExceeded: failed {c.Failures} times"
        : ExitedReplicas.Of(c, service.Container.Restart) is { } left
            ? left.Completed ? "Completed (exit code 0)" : $"Exited{(left.ExitCode is { } code ? $" ({code})" : "")}, restart: {RestartText(service.Container.Restart)}"
        : null;

    // probe-33 F9: a replica whose stop is under way says so (it no longer counts as ready), not nothing until it lands.
    private const string StoppingByUser = "Stopping: a stop through the API is under way";
    private const string StoppingByAgent = "Stopping: the agent's stop is under way";

    private static string RestartText(RestartPolicy p) => p.Mode switch
    {
        RestartMode.OnFailure => p.MaxRetries > 0 ? $"on-failure:{p.MaxRetries}" : "on-failure",
        _ => "no",
    };

    /// <summary>Replicas a user stopped or paused, each with its message, by name.</summary>
    private static List<(string Name, string Message)> UserStopped(ServiceGroup group, ObservedState observed) =>
        observed.Containers.Select(c => (c.Name, Message: group.Spec.Services.FirstOrDefault(s => s.Name == c.Service) is { } s ? ContainerMessage(c, s) : null))
            .Where(c => c.Message is StoppedByUser or PausedByUser or HeldStopped)
            .Select(c => (c.Name, c.Message!)).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();

    private static string UserStopMessage(List<(string Name, string Message)> stopped) => string.Join("; ", new[]
    {
        (StoppedByUser, "(start it through the API or docker start)"),
        (PausedByUser, "(start it through the API or docker unpause)"),
        (HeldStopped, $"(the record of user stops was lost: start it through the API or docker start if it should run, then delete {UserStops.FileName}.lost from the state dir)"),
    }.Select(m => (m.Item1, m.Item2, Names: stopped.Where(c => c.Message == m.Item1).Select(c => c.Name).ToList()))
        .Where(m => m.Names.Count > 0).Select(m => $"{m.Item1}: {string.Join(", ", m.Names)} {m.Item2}"));

    /// <summary>"; not saved: ..." while the record of user stops is kept in memory only (the state dir cannot take it:
    /// probe-18 F10), so a user stop shown is known to be lost by a restart of the agent until the file is saved again.</summary>
    private string UnsavedStops(List<(string Name, string Message)> stopped) =>
        userStops.Unsaved is { } cause && stopped.Any(c => c.Message == StoppedByUser)
            ? $"; the record of user stops is kept in memory only: {UserStops.FileName} cannot be saved ({cause}), a restart of the agent before it is would forget the stop"
            : "";

    /// <summary>The updates of <paramref name="key"/> rolled back before, by this agent or an earlier run of it.</summary>
    private IReadOnlySet<string> FailedUpdates(ObjectKey key, IManifestObject? desired) =>
        rolledBackUpdates.Of(key, desired is ServiceGroup g
            ? g.Spec.Services.Select(s => $"{s.Name}@{SpecHash.Of(s.Container, ContainerNames.Network(g.Metadata.Name))}").ToHashSet()
            : null);

    private void RememberRollbacks(ObjectKey key, ExecutionResult execution)
    {
        if (execution.RolledBack.Count > 0) rolledBackUpdates.Remember(key, execution.RolledBack, execution.RollbackCauses);
    }
}

/// <summary>A reconcile that did not reach the desired state; the queue retries it with backoff.</summary>
public sealed class ReconcileException(string message) : Exception(message);
