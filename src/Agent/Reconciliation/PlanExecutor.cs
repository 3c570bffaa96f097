using System.Collections.Concurrent;
using Agent.Admission;
using Agent.Core;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Engine;
using Agent.Hosting;
using Agent.Telemetry;
using Microsoft.Extensions.Options;

namespace Agent.Reconciliation;

/// <summary>The result of running a plan: what was applied, what failed, and which updates were rolled back.</summary>
/// <remarks><see cref="Changes"/> names each change counted in <see cref="Applied"/> (waits and image checks are steps, not
/// changes), so an event's count always agrees with its list.</remarks>
public sealed record ExecutionResult(int Applied, IReadOnlyList<string> Failures, IReadOnlyList<string> RolledBack, IReadOnlyList<string> Changes)
{
    public bool Succeeded => Failures.Count == 0;

    /// <summary>Failures because a name is held by an object the agent does not own (also in <see cref="Failures"/>).</summary>
    public IReadOnlyList<string> NameConflicts { get; init; } = [];

    /// <summary>Ids of the operations that ran and succeeded.</summary>
    public IReadOnlySet<int> Completed { get; init; } = new HashSet<int>();

    /// <summary>Ids of the operations not run because the run was abandoned (see RunAsync's abandon).</summary>
    public IReadOnlySet<int> Abandoned { get; init; } = new HashSet<int>();

    /// <summary>Why each of <see cref="RolledBack"/> was rolled back: "its new container did not start: ..." (the engine's
    /// error) or "its new container did not become healthy: ..." (the last health check, or the exit).</summary>
    public IReadOnlyDictionary<string, string> RollbackCauses { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Execute: walks a plan's DAG with bounded parallelism, one engine call per operation. It decides nothing:
/// a failed operation skips its dependents and runs its compensations.
/// </summary>
public sealed class PlanExecutor(IContainerEngine engine, AgentLabels labels, HealthTracker health, ContainerAdmission admission, BindSourceFolders bindFolders, UserStops userStops, ImageBuilder builder, HostNetworks hostNetworks, OwnCreates ownCreates, ObservedCache cache, ControllerState progress, IOptions<AgentOptions> options, ILogger<PlanExecutor> logger)
{
    /// <summary>Test hook, off unless set: a container's name (or id); the agent kills itself (SIGKILL, as kill -9) right after the
    /// engine started that container for a plan, before the start is recorded (its stop record ended), so that tests reach
    /// the window between a start and its record deterministically.</summary>
    public const string KillAfterStartVariable = "AGENT_TEST_KILL_AFTER_START";

    private static readonly string? KillAfterStart = Environment.GetEnvironmentVariable(KillAfterStartVariable) is { Length: > 0 } v ? v : null;

    /// <summary>Test hook: the container whose start kills the agent (<see cref="KillAfterStartVariable"/>). Its start event
    /// is not applied either: on a loaded machine it could reach the events loop before the kill and end the record the
    /// test needs left behind (CI, session 60), which the hook stands for: a start no running agent saw.</summary>
    internal static bool KillsAfterStartOf(string? name) => KillAfterStart is not null && KillAfterStart == name;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How long an exit seen by inspect waits for its die event (and the kill before it) from the events stream.
    /// The die ends the wait, so it is long only when the stream lags (a loaded machine): a user's kill not read yet must
    /// not be taken for the new container's own failure, and rolled back for good.</summary>
    private static readonly TimeSpan ExitEventWait = TimeSpan.FromSeconds(20);

    /// <summary>How long an exit seen after the events stream broke waits for the stream to be back (its replay may bring
    /// the kill that caused the exit) before the exit is taken as not known to be the container's own.</summary>
    private static readonly TimeSpan StreamBackWait = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="plan"/> for <paramref name="key"/>; each change is logged once it is done, never before.
    /// <paramref name="abandon"/> is asked before each operation: once it says true, no further operation starts (one in
    /// flight finishes) and the rest are reported as abandoned, not failed.</summary>
    /// <paramref name="reverted"/> is asked during an update's health wait (<see cref="Operation.Replaces"/>): once it
    /// says why (the manifest is back at the replaced container's spec), the wait ends, its rollback runs (the new
    /// container goes, the old one runs again under its name), and the rest is reported as abandoned: nothing was judged.</summary>
    public async Task<ExecutionResult> RunAsync(ObjectKey key, Plan plan, int parallelism, CancellationToken ct, Func<bool>? abandon = null,
        Func<Operation, string?>? reverted = null)
    {
        var failures = new ConcurrentQueue<string>();
        var rolledBack = new ConcurrentQueue<string>();
        var rollbackCauses = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var changes = new ConcurrentQueue<string>();
        var conflicts = new ConcurrentQueue<string>();
        var applied = 0;
        var done = new ConcurrentDictionary<int, bool>(); // id -> succeeded
        var abandoned = new ConcurrentDictionary<int, bool>();
        var abandoning = false;
        var ids = new ConcurrentDictionary<string, string>(StringComparer.Ordinal); // created name -> id
        var created = new ConcurrentDictionary<string, ContainerCreateRequest>(StringComparer.Ordinal); // created name -> its request
        using var gate = new SemaphoreSlim(Math.Max(1, parallelism));
        var tasks = new Dictionary<int, Task>();

        // A start whose only prerequisite is a create, and which is that create's only dependent, runs right after it in
        // the same slot (like `docker run`): the engine then works through create+start pairs, not all creates first.
        var dependents = plan.Operations.SelectMany(o => o.After.Select(a => (Before: a, After: o.Id))).ToLookup(x => x.Before, x => x.After);
        var fused = plan.Operations
            .Where(o => o.Kind == OperationKind.StartContainer && o.After.Count == 1
                        && plan.Operations[o.After[0] - 1].Kind == OperationKind.CreateContainer && dependents[o.After[0]].Count() == 1)
            .ToDictionary(o => o.After[0], o => o);

        var teardowns = TeardownsOfReplacements(plan);
        async Task JudgeReplacementAsync(Operation create)
        {
            try
            {
                await AdmitAsync(create, ct);
            }
            catch (OperationFailedException e)
            {
                throw new OperationFailedException($"the running container is kept: {e.Message}");
            }
        }

        // Runs op's compensations (op.OnFailure) in order; one that fails is a failure "... failed during rollback" and the
        // next still runs. With a causePrefix (an update undone because the manifest was reverted: a change the agent chose)
        // each one is counted as applied and logged as a change with that prefix; without one (the rollback of a failed
        // operation, whose failure is already reported) it is not a change of its own.
        async Task CompensateAsync(Operation op, string? causePrefix)
        {
            foreach (var compensation in op.OnFailure)
            {
                try
                {
                    await ExecuteAsync(compensation, ids, created, ct);
                    if (causePrefix is not null)
                    {
                        Interlocked.Increment(ref applied);
                        logger.LogInformation("{Key}: {Resource} {Operation}: {Cause}", key, compensation.ResourceId, compensation.Kind, causePrefix + compensation.Cause);
                        changes.Enqueue($"{compensation.ResourceId} {compensation.Kind}: {causePrefix}{compensation.Cause}");
                    }
                }
                catch (EngineException ce)
                {
                    failures.Enqueue($"{compensation.ResourceId} {compensation.Kind} failed during rollback: {ce.Message}");
                }
            }
        }

        async Task<bool> RunOneAsync(Operation op)
        {
            if (abandon is not null && (Volatile.Read(ref abandoning) || abandon()))
            {
                Volatile.Write(ref abandoning, true);
                done[op.Id] = false;
                abandoned[op.Id] = true;
                return false;
            }
            var engineHeldFrom = cache.CurrentMark();
            try
            {
                if (teardowns.TryGetValue(op.Id, out var replacement)) await JudgeReplacementAsync(replacement);
                await ExecuteAsync(op, ids, created, ct, reverted is null || op.Replaces is null ? null : () => reverted(op), abandon);
                done[op.Id] = true;
                if (op.IsMutation)
                {
                    Interlocked.Increment(ref applied);
                    logger.LogInformation("{Key}: {Resource} {Operation}: {Cause}", key, op.ResourceId, op.Kind, op.Cause);
                    changes.Enqueue($"{op.ResourceId} {op.Kind}: {op.Cause}");
                }
                return true;
            }
            catch (WaitAbandonedException e)
            {
                // The manifest changed (or the object was deleted or stopped) while a dependency was waited for: nothing
                // was changed by the wait, and the object is planned anew for what it is now (probe-65 M1).
                Volatile.Write(ref abandoning, true);
                done[op.Id] = false;
                abandoned[op.Id] = true;
                logger.LogInformation("{Key}: {Resource} {Operation} ended: {Why}", key, op.ResourceId, op.Kind, e.Message);
                return false;
            }
            catch (UpdateRevertedException e)
            {
                // Not a failure: the update is no longer wanted. Undone now, and the object is planned anew.
                done[op.Id] = false;
                abandoned[op.Id] = true;
                logger.LogInformation("{Key}: {Resource} {Operation} ended: {Why}", key, op.ResourceId, op.Kind, e.Message);
                await CompensateAsync(op, "manifest reverted: ");
                return false;
            }
            catch (Exception e) when (e is EngineException or OperationFailedException)
            {
                done[op.Id] = false;
                var failure = $"{op.ResourceId} {op.Kind} failed: {e.Message}";
                failures.Enqueue(failure);
                if (e is NameConflictException) conflicts.Enqueue(e.Message); // logged once per change by the reconciler
                else logger.LogWarning("{Resource} {Operation} failed: {Error}", op.ResourceId, op.Kind, e.Message);
                await CompensateAsync(op, causePrefix: null);
                if (op.RollbackOf is { } rollback && JudgesTheSpec(op, e) && await EngineHeldAsync(op, engineHeldFrom, e))
                {
                    rolledBack.Enqueue(rollback);
                    rollbackCauses.TryAdd(rollback, (op.Kind == OperationKind.StartContainer ? "its new container did not start: " : "its new container did not become healthy: ") + failure);
                }
                return false;
            }
        }

        var fusedStarts = fused.Values.Select(o => o.Id).ToHashSet();
        foreach (var op in plan.Operations) // ids are in dependency order, so every prerequisite task already exists
        {
            var prerequisites = op.After.Select(a => tasks[a]).ToArray();
            tasks[op.Id] = Task.Run(async () =>
            {
                await Task.WhenAll(prerequisites);
                if (fusedStarts.Contains(op.Id)) return; // run by its create
                // A dependency's wait that no operation comes after gates nothing (its dependents already run): waited for,
                // it would fail the apply of a group whose running db turned unhealthy (probe-66 F3), where Compose never
                // re-gates running dependents. The dependency's own health is its replicas' readiness.
                if (op is { Kind: OperationKind.WaitHealthy or OperationKind.WaitCompleted, Replaces: null } && !dependents[op.Id].Any()
                    && op.After.All(a => done[a]))
                {
                    done[op.Id] = true;
                    return;
                }
                if (op.After.Any(a => !done[a]))
                {
                    done[op.Id] = false;
                    if (op.After.Any(abandoned.ContainsKey)) abandoned[op.Id] = true;
                    if (fused.TryGetValue(op.Id, out var skipped))
                    {
                        done[skipped.Id] = false;
                        if (abandoned.ContainsKey(op.Id)) abandoned[skipped.Id] = true;
                    }
                    return;
                }
                await gate.WaitAsync(ct);
                try
                {
                    if (await RunOneAsync(op) && fused.TryGetValue(op.Id, out var start)) await RunOneAsync(start);
                    else if (fused.TryGetValue(op.Id, out var notStarted))
                    {
                        done[notStarted.Id] = false;
                        if (abandoned.ContainsKey(op.Id)) abandoned[notStarted.Id] = true;
                    }
                }
                finally
                {
                    gate.Release();
                }
            }, ct);
        }
        await Task.WhenAll(tasks.Values);
        return new ExecutionResult(applied, failures.ToList(), rolledBack.ToList(), changes.ToList())
        {
            NameConflicts = conflicts.ToList(),
            RollbackCauses = rollbackCauses.ToDictionary(StringComparer.Ordinal),
            Completed = done.Where(d => d.Value).Select(d => d.Key).ToHashSet(),
            Abandoned = abandoned.Keys.ToHashSet(),
        };
    }

    private async Task ExecuteAsync(Operation op, ConcurrentDictionary<string, string> ids, ConcurrentDictionary<string, ContainerCreateRequest> created, CancellationToken ct,
        Func<string?>? reverted = null, Func<bool>? abandon = null)
    {
        var target = op.Target ?? throw new InvalidOperationException($"operation {op} has no target");
        // A dependency's wait (no update's gate) ends once the apply is to stop; an update's gate has its own end (reverted).
        var dependencyWait = op.Replaces is null ? abandon : null;
        using var step = progress.Step(Liveness.Bound(op.Kind, op.Timeout, options.Value.ImageTimeout));
        switch (op.Kind)
        {
            case OperationKind.CreateNetwork:
                ids[NetworkKey(target)] = await CreateNetworkAsync(target, op.NetworkDefinition ?? new NetworkSpec(target), ObjectLabels(op), ct);
                break;
            case OperationKind.CreateVolume:
                // The engine answers a create for an existing name with that volume, options and all: never adopt one.
                if (await engine.InspectVolumeAsync(target, ct) is { } existing && !labels.IsOwned(existing.Labels))
                    throw new OperationFailedException($"volume {target} already exists and was not made by this agent (it lacks this instance's labels): it is not adopted nor mounted; remove it, or declare it external and allow it in Agent:Security:AllowedExternalVolumes");
                await engine.CreateVolumeAsync(target, op.Volume?.Driver ?? "local", op.Volume?.DriverOptions ?? new Dictionary<string, string>(), ObjectLabels(op), ct);
                break;
            case OperationKind.EnsureImage:
                await WithinImageTimeoutAsync("pull", target, t => EnsureImageAsync(target, op, t), ct);
                break;
            case OperationKind.BuildImage:
                var build = op.Spec?.Build ?? throw new InvalidOperationException($"operation {op} has no build");
                await WithinImageTimeoutAsync("build", target, t => builder.EnsureBuiltAsync(target, build, t), ct);
                break;
            case OperationKind.CreateContainer:
                var labelsForCreate = op.Labels ?? throw new InvalidOperationException("create without labels");
                var admitted = await AdmitAsync(op, ct);
                // The network by id: a name can be held by another instance's network too ("network is ambiguous").
                string? Resolve(string? address) => address is not null && ids.TryGetValue(NetworkKey(address), out var networkId) ? networkId : address;
                var request = new ContainerCreateRequest(target, admitted, labelsForCreate, Resolve(op.Network))
                {
                    Aliases = labelsForCreate.TryGetValue(labels.Service, out var service) ? [service] : [],
                    Endpoints = op.Endpoints?.Select(e => e with { Address = Resolve(e.Address)! }).ToList(),
                };
                string id;
                try
                {
                    id = await ownCreates.CreateAsync(engine, request, ct);
                }
                catch (EngineConflictException)
                {
                    // Never taken over nor removed: the holder is someone else's. Its owner is named so a person can act.
                    if (await engine.InspectContainerAsync(target, ct) is not { } holder || labels.IsOwned(holder.Labels)) throw;
                    throw new NameConflictException($"container name {target} is held by {Holder(holder.Labels)} (container {holder.Id[..12]}): it is not touched; rename or remove it, or rename this service", Holder(holder.Labels));
                }
                ids[target] = id;
                created[target] = request;
                break;
            case OperationKind.StartContainer:
                // Created by this run: started by its id, with the binds it was created with (no inspect to learn them).
                var createdHere = created.TryGetValue(target, out var createdWith) ? createdWith : null;
                var startee = createdHere is not null && ids.TryGetValue(target, out var createdId) ? createdId : target;
                if (startee != target && await HealthAfterStartAsync(createdHere!.Spec, ct) is { } afterStart) cache.ExpectStart(startee, afterStart);
                if (await admission.StartAsync(startee, () => engine.StartContainerAsync(startee, ct), ct, startee == target ? null : createdHere) is { } moved)
                    throw new OperationFailedException(moved);
                if (KillAfterStart is { } killed && (killed == target || op.ResourceId == $"container:{killed}")) System.Diagnostics.Process.GetCurrentProcess().Kill(); // test hook
                health.RecordStart(startee);
                userStops.ClearSeen(startee); // at once, not at its start event: a one-shot that exits is not read as still held stopped
                break;
            case OperationKind.RestartContainer:
                MarkOwnStop(target, op.Timeout, "restarted");
                if (await admission.StartAsync(target, () => engine.RestartContainerAsync(target, op.Timeout, ct), ct) is { } movedAtRestart)
                    throw new OperationFailedException(movedAtRestart);
                health.RecordStart(target);
                break;
            case OperationKind.StopContainer:
                MarkOwnStop(target, op.Timeout, "stopped");
                // Not cut off by the agent's shutdown: the engine goes on with a stop it was asked for, so the agent waits
                // for it (up to the grace period) rather than leave it to land under the next agent (probe-26 F5: that
                // agent ran migrate against a db a second before the engine killed it). Agent:EngineRequestTimeout bounds it.
                await engine.StopAndHoldAsync(target, op.Timeout, CancellationToken.None);
                break;
            case OperationKind.RemoveContainer:
                MarkOwnStop(target, null, "removed");
                await engine.RemoveContainerAsync(target, force: true, ct);
                health.Forget(target);
                break;
            case OperationKind.UnpauseContainer:
                await engine.UnpauseContainerAsync(target, ct);
                break;
            case OperationKind.RenameContainer:
                await engine.RenameContainerAsync(target, op.NewName!, ct);
                break;
            case OperationKind.WaitHealthy:
                await WaitAsync(target, op.Timeout ?? TimeSpan.FromMinutes(2), healthy: true, ct, reverted, dependencyWait, dependency: op.Replaces is null);
                break;
            case OperationKind.WaitCompleted:
                await WaitAsync(target, op.Timeout ?? TimeSpan.FromMinutes(2), healthy: false, ct, abandon: dependencyWait, dependency: true);
                break;
            case OperationKind.RemoveNetwork:
                await engine.RemoveNetworkAsync(target, ct);
                break;
            case OperationKind.RemoveVolume:
                await engine.RemoveVolumeAsync(target, ct);
                break;
        }
        if (op.IsMutation) AgentMetrics.DriftCorrections.Add(1, new KeyValuePair<string, object?>("operation", op.Kind.ToString()));
    }

    private static string NetworkKey(string name) => "network:" + name;

    /// <summary>Records that the coming stop is the agent's own before it is asked of the engine, or fails the operation
    /// naming why (probe-29 F4: a full state dir failed the whole reconcile in a loop, the status saying nothing of it).</summary>
    private void MarkOwnStop(string target, TimeSpan? grace, string verb)
    {
        try
        {
            userStops.MarkOwn(target, grace);
        }
        catch (State.StateWriteException e)
        {
            throw new OperationFailedException($"not {verb}: the record that its stop is the agent's own could not be saved first ({e.Message}); " +
                "free space in the state dir (or make it writable): it is tried again");
        }
    }

    /// <summary>
    /// Whether a failed step of an update is a verdict on the new spec: a failed health gate, or a start the engine answered
    /// with an error (a host port held, a device or user missing: probe-15n F7). An engine that went away, a new container
    /// someone removed (probe-15l M3) or killed or stopped (probe-15m), or a start the agent refused (a moved bind source)
    /// says nothing about the spec: the update is tried again. So is a start the engine fails on what a crash of its own
    /// left behind (containerd still holding the container's task or id; probe-35: read as a failed spec, RolledBack, the
    /// replicas were left on two specs).
    /// </summary>
    internal static bool JudgesTheSpec(Operation op, Exception e) => op.Kind == OperationKind.StartContainer
        ? e is EngineException { StatusCode: 400 or 500 } && !EngineLeftover(e.Message)
        : e is OperationFailedException and not WaitInterruptedException;

    /// <summary>
    /// Whether the engine served without a break while <paramref name="op"/> ran (its events stream held since
    /// <paramref name="mark"/>) and still takes new connections: only then is a failed start or health gate a verdict on
    /// the new spec. An engine that stopped or restarted meanwhile (a shutting-down dockerd closes its listener first, then
    /// kills every container; one that restarts resets health) says nothing of the spec, and a verdict then would hold the
    /// update rolled back for good (CI, session 60: one service of six was left on the old spec after an engine restart
    /// during a start-first update). The update is tried again instead.
    /// </summary>
    private async Task<bool> EngineHeldAsync(Operation op, long? mark, Exception failure)
    {
        bool accepts;
        try
        {
            accepts = cache.CurrentSince(mark) && await engine.AcceptsConnectionsAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is EngineException or OperationCanceledException)
        {
            accepts = false;
        }
        if (!accepts || !cache.CurrentSince(mark))
        {
            logger.LogWarning("{Resource} {Operation} failed while the engine stopped or restarted ({Error}): not taken as a verdict on the new spec; the update is tried again",
                op.ResourceId, op.Kind, failure.Message);
            return false;
        }
        return true;
    }

    private static bool EngineLeftover(string message) =>
        message.Contains("already exists", StringComparison.Ordinal) || message.Contains("id already in use", StringComparison.Ordinal);

    /// <summary>The spec <paramref name="create"/> may send (bind sources pinned, missing ones made), or why not.</summary>
    private async Task<ContainerSpec> AdmitAsync(Operation create, CancellationToken ct)
    {
        var createLabels = create.Labels ?? throw new InvalidOperationException("create without labels");
        ObjectKey? owner = createLabels.TryGetValue(labels.Kind, out var kind) && createLabels.TryGetValue(labels.Object, out var obj) ? new ObjectKey(kind, obj) : null;
        Admitted admitted;
        try
        {
            admitted = await admission.CheckAsync(create.Spec!, owner, owner ?? new ObjectKey("", create.Target ?? ""), fromManifests: true, ct);
        }
        catch (State.StateWriteException e)
        {
            throw new OperationFailedException($"{create.Target} is not created: its read-write binds could not be recorded first ({e.Message}); " +
                "free space in the state dir (or make it writable): the create is tried again");
        }
        if (admitted.Refused is { } refused)
            throw new OperationFailedException($"{create.Target} is not created: {refused}");
        if (bindFolders.CreateMissing(admitted.Spec!, owner ?? new ObjectKey("", create.Target ?? "")) is { } failed) throw new OperationFailedException(failed);
        return admitted.Spec!;
    }

    /// <summary>
    /// The first stop or removal each replacing create waits for (stop-first updates): before it runs, the new container is
    /// judged as its create will judge it, so a refused volume or bind fails the update with the old container still
    /// running. The planner puts these after the volumes and networks the new container needs, so they exist by then.
    /// </summary>
    private static Dictionary<int, Operation> TeardownsOfReplacements(Plan plan)
    {
        var guarded = new Dictionary<int, Operation>();
        foreach (var create in plan.Operations.Where(o => o is { Kind: OperationKind.CreateContainer, PreviousSpec: not null, Spec: not null }))
            foreach (var before in create.After.Select(id => plan.Operations[id - 1]))
            {
                if (before.Kind == OperationKind.StopContainer) guarded.TryAdd(before.Id, create);
                if (before.Kind != OperationKind.RemoveContainer) continue;
                var stop = before.After.Select(id => plan.Operations[id - 1]).FirstOrDefault(o => o.Kind == OperationKind.StopContainer && o.Target == before.Target);
                guarded.TryAdd(stop?.Id ?? before.Id, create);
            }
        return guarded;
    }

    /// <summary>
    /// Creates the object's network and returns its id. A name held by a network this object does not own (another
    /// instance's group of the same name, or one made by hand) is never shared nor touched: the network is made under
    /// the name with this instance's id appended. Everything after addresses it by id, found through its labels.
    /// </summary>
    private async Task<string> CreateNetworkAsync(string name, NetworkSpec definition, Dictionary<string, string> objectLabels, CancellationToken ct)
    {
        var alternative = $"{name}_{NameSafe(labels.InstanceId)}";
        string? holder = null;
        foreach (var candidate in new[] { name, alternative })
        {
            var holders = await engine.FindNetworksByNameAsync(candidate, ct);
            // Made by an interrupted run of this object: take it, like a volume of our own.
            if (holders.FirstOrDefault(h => SameObject(h.Labels, objectLabels)) is { } own) return own.Id;
            if (holders.Count == 0)
            {
                if (hostNetworks.Problem(definition) is { } refused)
                    throw new OperationFailedException($"network {name} refused by the security policy: {refused.Field}: {refused.Message}");
                if (holder is not null)
                    logger.LogWarning("Network name {Name} is held by {Holder}: this object's network is {Alternative}", name, holder, candidate);
                return await engine.CreateNetworkAsync(candidate, definition, objectLabels, ct);
            }
            holder ??= Holder(holders[0].Labels);
        }
        throw new NameConflictException($"network names {name} and {alternative} are both held by {holder}", holder!);
    }

    private bool SameObject(IReadOnlyDictionary<string, string> found, Dictionary<string, string> wanted) =>
        labels.IsOwned(found) && new[] { labels.Kind, labels.Object, labels.Network }
            .All(k => found.GetValueOrDefault(k) == wanted.GetValueOrDefault(k));

    /// <summary>Who holds a name, for a person: the agent instance that made it, or that no agent did.</summary>
    private string Holder(IReadOnlyDictionary<string, string> found) =>
        found.TryGetValue(labels.Instance, out var instance) && found.GetValueOrDefault(labels.Managed) == "true"
            ? $"agent instance {instance}" + (found.TryGetValue(labels.Object, out var obj) ? $" ({found.GetValueOrDefault(labels.Kind)} {obj})" : "")
            : "an object not managed by agent";

    private static string NameSafe(string text) =>
        new(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '-').ToArray());

    private Dictionary<string, string> ObjectLabels(Operation op) =>
        op.Labels?.ToDictionary() ?? labels.ForInstance();

    /// <summary>A pull or build past Agent:ImageTimeout is cancelled (closing the engine's stream ends a classic build)
    /// and fails the step.</summary>
    private async Task WithinImageTimeoutAsync(string what, string image, Func<CancellationToken, Task> action, CancellationToken ct)
    {
        var limit = options.Value.ImageTimeout;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (limit > TimeSpan.Zero && limit < TimeSpan.FromDays(40)) bounded.CancelAfter(limit); // else: no bound (CancelAfter's range)
        try
        {
            await action(bounded.Token);
        }
        catch (Exception) when (!ct.IsCancellationRequested && bounded.IsCancellationRequested)
        {
            // Whatever the cut stream threw (a cancellation, an I/O error read as the engine going away): the bound did it.
            throw new OperationFailedException($"{what} of {image} did not finish within {Durations.Format(limit)} (Agent:ImageTimeout): cancelled");
        }
    }

    /// <summary>The health a container this run created has right after its start, when that is known without an inspect:
    /// no bind mount (whose check inspects it anyway), no published port (the host port it got shows in status as soon as
    /// it runs, as `docker ps` shows it: only a look tells it), and a healthcheck of its own or its image's (or none). Null
    /// otherwise: the observed cache inspects it after its start event.</summary>
    private async Task<HealthState?> HealthAfterStartAsync(ContainerSpec spec, CancellationToken ct)
    {
        if (Admission.BindMountGuard.BindsOf(spec).Count > 0 || spec.Ports.Count > 0) return null;
        var hasHealthcheck = spec.Healthcheck is { } own ? !own.Disabled : await imageHealthchecks.HasAsync(spec.Image, ct);
        return hasHealthcheck switch { true => HealthState.Starting, false => HealthState.None, null => null };
    }

    private readonly ImageHealthchecks imageHealthchecks = new(engine);

    private async Task EnsureImageAsync(string image, Operation check, CancellationToken ct)
    {
        var policy = check.PullPolicy;
        var inspected = await engine.InspectImageAsync(image, ct);
        if (inspected is not null) imageHealthchecks.Saw(image, inspected);
        var present = inspected is not null;
        if (policy == PullPolicy.Never && !present)
            throw new OperationFailedException($"image {image} is not present, and {check.Cause} forbids a pull");
        if (present && policy != PullPolicy.Always) return;
        logger.LogInformation("Pulling {Image}", image);
        var lastReport = DateTime.MinValue;
        await engine.PullImageAsync(image, new Progress<ImageProgress>(line =>
        {
            if (DateTime.UtcNow - lastReport < TimeSpan.FromSeconds(2)) return;
            lastReport = DateTime.UtcNow;
            logger.LogInformation("Pulling {Image}: {Progress}", image, line.Id is null ? line.Status : $"{line.Id}: {line.Status}");
        }), ct);
        if (await BuiltImageLabels.RemoveIfPulledClaimingOwnershipAsync(engine, labels, image, ct) is { } claimed) throw new OperationFailedException(claimed);
    }

    /// <summary>Who stopped a container found exited (<see cref="UserStops.StopOfExitAsync"/>), and whether that is known:
    /// only when the events stream held since <paramref name="watchedFrom"/>, so that every kill came. When it broke
    /// meanwhile (an engine restart, a stream cut, a reconnect refused a moment after it seemed to hold), the stream is
    /// waited for (up to <see cref="StreamBackWait"/>) and asked again: its replay of the events since the last one seen
    /// may bring the kill. A kill it does not bring is not ruled out: the engine keeps only its last 256 events for a
    /// replay, and a busy engine (health checks, other clients) rolls them over within seconds.</summary>
    private async Task<(string? By, bool Known)> StopOfExitAsync(string id, long? watchedFrom, CancellationToken ct)
    {
        var by = await userStops.StopOfExitAsync(id, ExitEventWait, ct);
        if (by is not null || cache.CurrentSince(watchedFrom)) return (by, true);
        var until = DateTime.UtcNow.Plus(StreamBackWait);
        while (!cache.IsCurrent && DateTime.UtcNow < until) await Task.Delay(PollInterval, ct);
        if (cache.IsCurrent) by = await userStops.StopOfExitAsync(id, ExitEventWait, ct);
        return (by, by is not null);
    }

    /// <param name="abandon">Says when the wait is no longer wanted (the manifest changed): it ends as abandoned.</param>
    /// <param name="dependency">A dependency's wait (depends_on service_healthy), not an update's gate: an unhealthy
    /// verdict fails it at once, as `docker compose up` fails ("dependency failed to start: container db is unhealthy"),
    /// rather than hold every dependent until the timeout (probe-65 M1). A verdict from before the wait (a paused
    /// container keeps its health) is not taken.</param>
    private async Task WaitAsync(string container, TimeSpan timeout, bool healthy, CancellationToken ct, Func<string?>? reverted = null,
        Func<bool>? abandon = null, bool dependency = false)
    {
        var started = DateTimeOffset.UtcNow;
        var deadline = DateTime.UtcNow.Plus(timeout);
        var watchedFrom = cache.CurrentMark(); // an exit is judged the container's own only if every event since was seen
        while (true)
        {
            if (reverted?.Invoke() is { } why) throw new UpdateRevertedException($"{why}: the health wait of {container} ends, the new container goes and the old one runs again");
            if (abandon?.Invoke() == true) throw new WaitAbandonedException($"the wait for {container} ends: the manifest changed, or the object was deleted or stopped");
            var details = await engine.InspectContainerAsync(container, ct)
                ?? throw new ContainerVanishedException($"container {container} disappeared");
            if (healthy)
            {
                if (details.State == ContainerState.Running && details.Health is HealthState.Healthy or HealthState.None) return;
                if (dependency && details is { State: ContainerState.Running, Health: HealthState.Unhealthy, LastHealthCheckEnd: { } checkedAt } && checkedAt >= started)
                    throw new OperationFailedException($"dependency failed to start: container {container} is unhealthy (last health check: {details.LastHealthCheck ?? "none kept"})");
                // Exited by itself and restarted by the engine (restart: always): a crash loop fails the gate now, not at
                // healthTimeout as "unhealthy, no check ran" (probe-64). A kill or stop would not be restarted.
                if (details.State == ContainerState.Restarting)
                    throw new OperationFailedException($"container {container} exited{(details.ExitCode is { } crashed ? $" with code {crashed}" : "")} and the engine is restarting it (a crash loop) before it became healthy");
                if (details.State is ContainerState.Exited or ContainerState.Dead)
                {
                    var (by, known) = await StopOfExitAsync(details.Id, watchedFrom, ct);
                    if (by is not null)
                        throw new ContainerStoppedByUserException($"container {container} was stopped by {(by == UserStops.ByApi ? "the API" : "a user (docker kill or docker stop)")} before it became healthy: the update is tried again");
                    if (!known)
                        throw new ExitNotAttributedException($"container {container} exited with code {details.ExitCode}, and the engine's events stream broke during its health gate: " +
                            "whether someone killed or stopped it is not known, so the update is tried again (not rolled back for good)");
                    throw new OperationFailedException($"container {container} exited with code {details.ExitCode} before it became healthy");
                }
            }
            else if (details.State is ContainerState.Exited or ContainerState.Dead)
            {
                if (details.ExitCode == 0) return;
                throw new OperationFailedException($"container {container} exited with code {details.ExitCode}, not 0");
            }
            if (DateTime.UtcNow >= deadline)
                throw new OperationFailedException(healthy
                    ? $"container {container} did not become healthy within {timeout.TotalSeconds:0}s (health: {details.Health.ToString().ToLowerInvariant()}; " +
                      $"last health check: {details.LastHealthCheck ?? "none ran yet"})"
                    : $"container {container} did not complete within {timeout.TotalSeconds:0}s");
            await Task.Delay(PollInterval, ct);
        }
    }
}

/// <summary>An operation that ran but did not reach its goal (a wait timed out, an image is missing).</summary>
public class OperationFailedException(string message) : Exception(message);

/// <summary>Someone else ended the container an operation waits on: the wait failed, the spec was not judged.</summary>
public abstract class WaitInterruptedException(string message) : OperationFailedException(message);

/// <summary>The container an operation waits on was removed (by someone else).</summary>
public sealed class ContainerVanishedException(string message) : WaitInterruptedException(message);

/// <summary>The container an operation waits on exited while the engine's events stream was down: who ended it is not known.</summary>
public sealed class ExitNotAttributedException(string message) : WaitInterruptedException(message);

/// <summary>The container an operation waits on was killed or stopped by a user (docker kill/stop, the API), not by itself.</summary>
public sealed class ContainerStoppedByUserException(string message) : WaitInterruptedException(message);

/// <summary>A dependency's wait ended because the apply is to stop (a new generation, a deletion, a stop): not a failure.</summary>
public sealed class WaitAbandonedException(string message) : Exception(message);

/// <summary>The manifest went back to the spec of the container an update replaces while the new one was being waited for.</summary>
public sealed class UpdateRevertedException(string message) : WaitInterruptedException(message);

/// <summary>A name the agent needs is held by an object it does not own; <see cref="Holder"/> says whose it is.</summary>
public sealed class NameConflictException(string message, string holder) : OperationFailedException(message)
{
    public string Holder { get; } = holder;
}
