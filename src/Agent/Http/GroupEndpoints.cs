using System.Security.Claims;
using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Engine;
using Agent.Reconciliation;
using Agent.Sources;
using Agent.Status;

namespace Agent.Http;

/// <summary>Verbs of the kinds compiled into groups. ServiceGroup stop/start and ComposeProject down/up and stop/start set
/// and clear the persisted suspend override (a suspended group is stopped, a suspended project is down, or only stopped
/// after a compose stop); restart restarts running containers.</summary>
public static class GroupEndpoints
{
    public static RouteGroupBuilder MapGroupEndpoints(this RouteGroupBuilder api)
    {
        MapVerbs(api, "servicegroups", ServiceGroup.KindName, stop: "stop", start: "start",
            "Stop a group's containers and keep them stopped (survives restarts).");
        MapVerbs(api, "composeprojects", ServiceGroup.ComposeKindName, stop: "down", start: "up",
            "Like docker compose down: remove the project's containers and network, keep its volumes, until up (survives restarts). " +
            "volumes=true (admin only), like down -v: also remove the project's own named volumes, never external ones.");
        MapComposeStopStart(api);
        return api;
    }

    /// <summary>ComposeProject stop/start, like docker compose stop/start: the project's containers are stopped and kept
    /// (as a stopped ServiceGroup's, recorded in the same suspend record) until start; refused while the project is down.</summary>
    /// <summary>The stops of a stop?service=S&amp;wait=false, one after the other (what depends on S first), after the answer:
    /// each was recorded as a user stop before, so the reconciler keeps them stopped, also across a restart.</summary>
    private static async Task StopInOrderAsync(IReadOnlyList<ObservedContainer> targets, TimeSpan? grace, IContainerEngine engine, UserStops stops,
        WorkQueue queue, ObjectKey key, ILogger logger)
    {
        await Task.Yield();
        foreach (var (c, i) in targets.Select((c, i) => (c, i)))
        {
            try
            {
                if (i > 0) stops.RecordApiStop(c.Id);
                await engine.StopAndHoldAsync(c.Id, grace, CancellationToken.None);
            }
            catch (State.StateWriteException e)
            {
                logger.LogWarning("{Container} of {Object} is not stopped (requested with wait=false): its stop could not be recorded first ({Error}); " +
                                  "nor are the containers after it", c.Name, key, e.Message);
                break;
            }
            catch (Exception e)
            {
                logger.LogWarning("Stopping {Container} of {Object} (requested with wait=false) failed: {Error}", c.Name, key, e.Message);
            }
        }
        queue.Add(key);
    }

    private static void MapComposeStopStart(RouteGroupBuilder api)
    {
        const string kind = ServiceGroup.ComposeKindName, resource = "composeprojects";
        var objects = api.MapGroup($"/{resource}/{{name}}").RequireAuthorization(Auth.Roles.Operator).ScopedToObject(kind);
        objects.MapPost("/stop", (string name, string? service, bool? wait, ManifestStore manifests, RuntimeOverrides overrides, WorkQueue queue, StatusStore status,
            EngineObserver observer, IContainerEngine engine, UserStops stops, OwnedContainers owned, ILoggerFactory logs, CancellationToken request) => owned.WhileEngineAnswersAsync(async ct =>
        {
            var key = new ObjectKey(kind, name);
            if (manifests.Get(key) is not { } entry) return NotFound(key);
            if (ComposeStopRules.Refusal("stop", name, overrides.IsDown(key), entry.Object is ServiceGroup { Spec.Suspend: true }) is { } refused)
                return Results.Problem(statusCode: 409, title: "Conflict", detail: refused);
            if (service is null) return Toggle(key, resource, suspended: true, "Stop", manifests, overrides, queue, status, stopOnly: true);
            if (entry.Object is not ServiceGroup project) return NotFound(key);
            if (ComposeStopRules.ServiceRefusal(project, service) is { } unknown)
                return ApiProblems.NotFound(unknown);
            // Like docker compose stop SERVICE: each container is stopped as through POST /containers/{id}/stop, a user
            // stop the reconciler keeps until the container (or the project) is started again.
            var grace = project.Spec.Services.Single(s => s.Name == service).Container.StopGracePeriod;
            var targets = ComposeStopRules.StopTargets(await observer.ObserveFreshAsync(key, ct), service).ToList();
            if (wait == false)
            {
                // probe-31 F2: --wait=false waited the whole grace period. The stops go on after the answer, each recorded
                // just before it is asked of the engine as without wait=false; the first before the answer, so a state dir
                // that cannot take it is a 507 with nothing stopped.
                if (targets.Count > 0) stops.RecordApiStop(targets[0].Id);
                queue.Add(key); // status shows the stop under way at once, not once it has landed (probe-33 F9)
                _ = StopInOrderAsync(targets, grace, engine, stops, queue, key, logs.CreateLogger(typeof(GroupEndpoints)));
                return JsonAnswer.Accepted($"/api/v1/{resource}/{name}", new ServiceStopped(name, service, targets.Select(c => c.Name).ToList()) { Requested = true });
            }
            var stopped = new List<string>();
            foreach (var c in targets)
            {
                stops.RecordApiStop(c.Id);
                if (stopped.Count == 0) queue.Add(key); // status shows the stop under way at once (probe-33 F9)
                await engine.StopAndHoldAsync(c.Id, grace, ct);
                stopped.Add(c.Name);
            }
            queue.Add(key);
            return JsonAnswer.Ok(new ServiceStopped(name, service, stopped));
        }, request)).WithSummary("Like docker compose stop: stop the project's containers and keep them (stopped, with the network and volumes) " +
                       "until start; nothing of it is converged meanwhile (survives restarts). 409 while the project is down. " +
                       "service=S, like docker compose stop S: stop only S's containers, as user stops (kept stopped until started), and answer 200 with them " +
                       "once stopped; with wait=false, 202 with them (requested: true) once their stops are recorded and requested.");
        objects.MapPost("/start", (string name, string? service, ManifestStore manifests, RuntimeOverrides overrides, WorkQueue queue, StatusStore status,
            EngineObserver observer, PlanExecutor executor, Reconciler reconciler, UserStops stops, OwnedContainers owned, TimeProvider time, Microsoft.Extensions.Options.IOptions<Hosting.AgentOptions> options,
            CancellationToken request) => owned.WhileEngineAnswersAsync(async ct =>
        {
            var key = new ObjectKey(kind, name);
            if (manifests.Get(key) is not { } entry) return NotFound(key);
            if (ComposeStopRules.Refusal("start", name, overrides.IsDown(key), entry.Object is ServiceGroup { Spec.Suspend: true }) is { } refused)
                return Results.Problem(statusCode: 409, title: "Conflict", detail: refused);
            if (service is null)
                return await StartAsync(key, resource, "Start", manifests, overrides, queue, status, observer, executor, reconciler, stops, time, options.Value.Parallelism, ct);
            if (entry.Object is not ServiceGroup project) return NotFound(key);
            if (ComposeStopRules.ServiceRefusal(project, service) is { } why) return ApiProblems.NotFound(why);
            // Like docker compose start S: S and what it depends on start, in order. On a project stopped as a whole, the
            // other services' containers stay stopped, now as user stops that a start of the project or of their service
            // lifts; otherwise the project's stop state is left as it is. An edit of S made while it was stopped is applied
            // by the reconcile the start runs, before S starts (probe-24: the old container ran, then was recreated).
            var stoppedAsWhole = overrides.IsStoppedOnly(key);
            return await StartAsync(key, resource, "Start", manifests, overrides, queue, status, observer, executor, reconciler, stops, time, options.Value.Parallelism, ct,
                only: ComposeStopRules.WithDependencies(project, service), keepOthersStopped: stoppedAsWhole, clearStop: stoppedAsWhole);
        }, request)).WithSummary("Like docker compose start: clear a stop and start the project's stopped containers in depends_on order; " +
                       "missing ones are made by the agent. The answer lists what was started. 409 while the project is down (agent up brings it up). " +
                       "service=S, like docker compose start S: S's stopped containers and those of the services it depends on start, in order; an edit of " +
                       "them made while they were stopped is applied first. On a project stopped as a whole, the others stay stopped (as user stops, lifted " +
                       "by a start of the project or of their service).");
    }

    /// <summary>Waits until no container of the object has a stop under way (one an earlier agent asked for before a kill -9,
    /// or a stop, restart or removal this agent is making): a start made meanwhile would start what depends on a dying
    /// container on it, and leave the container itself to its stop (probe-31 F1: app started on db 27 s before db's stop
    /// landed; F10: `start --service db` found nothing stopped, then db's stop landed and it stayed down). Once it has
    /// landed the container is a stopped one, started in order. Bounded: a stop the engine never finishes does not hold
    /// the start for good.</summary>
    private static async Task StopsLandedAsync(ObjectKey key, EngineObserver observer, TimeProvider time, CancellationToken ct)
    {
        var until = time.GetUtcNow() + StopLandingWait;
        while ((await observer.ObserveFreshAsync(key, ct)).Containers.Any(c => c.StopInFlight) && time.GetUtcNow() < until)
            await Task.Delay(TimeSpan.FromMilliseconds(250), time, ct);
    }

    private static readonly TimeSpan StopLandingWait = TimeSpan.FromMinutes(5);
    private const int MaxReplans = 5; // a start goes on with a manifest edited meanwhile, this many times

    private static string Verb(string path) => char.ToUpperInvariant(path[0]) + path[1..];

    /// <param name="only">The services to start (a start of one service and what it depends on); null: all of them.</param>
    /// <param name="keepOthersStopped">For a project stopped as a whole: the other services' stopped containers are
    /// recorded as the API's stops first, then the project's stop is cleared, so they stay stopped.</param>
    /// <param name="clearStop">Clears the object's stop or down; false for a start of services of an object that is not
    /// stopped as a whole.</param>
    private static async Task<IResult> StartAsync(ObjectKey key, string resource, string verb, ManifestStore manifests, RuntimeOverrides overrides,
        WorkQueue queue, StatusStore status, EngineObserver observer, PlanExecutor executor, Reconciler reconciler, UserStops stops, TimeProvider time, int parallelism, CancellationToken ct,
        IReadOnlySet<string>? only = null, bool keepOthersStopped = false, bool clearStop = true)
    {
        if (manifests.Get(key) is not { } entry) return NotFound(key);
        var wasSuspended = overrides.IsSuspended(key);
        // A stop made while this start waits (for a slow or hung engine, a running reconcile, a stop that lands) is the
        // later verb and wins: the start does not clear it and starts nothing more (probe-36 1: it cleared a stop answered
        // 8 s after it, and the group ran).
        var stopsBefore = overrides.StopsRecorded(key);
        bool StoppedSince() => overrides.StopsRecorded(key) != stopsBefore;
        // Saved before the object's stop is cleared (a failed write changes nothing): what this start starts is marked as
        // stopped by the agent, so that the reconciler finishes a start cut off by an agent kill (probe-22 F2), and what it
        // keeps stopped as the API's stops. A container whose stop still lands counts as stopped: the start is saved before
        // the wait for it below. keptOnly: only the stops kept, while a reconcile runs that would act on the other records.
        var stopCleared = false;
        ObservedState? recorded = null;
        HashSet<string>? idsOnArrival = null;
        // False when a stop came since the start arrived: nothing is recorded or cleared.
        async Task<bool> RecordAsync(bool keptOnly)
        {
            if (entry.Object is ServiceGroup { Spec.Suspend: false })
            {
                var seen = await observer.ObserveFreshAsync(key, ct);
                if (StoppedSince()) return false;
                var kept = only is { } subset && keepOthersStopped ? GroupStartTargets.LeftStopped(seen, subset).Select(c => c.Id).ToList() : [];
                var toStart = keptOnly ? [] : GroupStartTargets.ToStart(seen, only, kept, idsOnArrival);
                stops.RecordStartPending(toStart, kept);
                if (keptOnly)
                {
                    recorded = seen;
                    idsOnArrival = seen.Containers.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
                }
            }
            if (clearStop && !stopCleared)
            {
                if (!overrides.ClearStopUnlessStoppedSince(key, stopsBefore)) return false;
                status.MarkToggled(key, suspending: false, verb, specSuspend: entry.Object is ServiceGroup { Spec.Suspend: true });
            }
            stopCleared = true;
            return !StoppedSince();
        }

        // The containers are started before the object's next reconcile runs: it would replace a drifted one under the
        // start, or start a dependent before its dependency (the add runs once the hold ends). While a reconcile runs (a
        // stop's, for the length of its grace periods) the object's stop is cleared before waiting for it: an agent
        // killed during that wait keeps the start (probe-32 F8: it was lost, and the project stayed stopped), and the
        // next agent starts the containers that stop stopped, in order; what the reconcile started meanwhile counts as
        // started by this start.
        var held = queue.TryHold(key);
        var recordedEarly = held is null;
        if (recordedEarly)
        {
            // In line for the key before the stop is cleared: the reconcile running now hands it to this start, so no
            // reconcile planned without the stop runs first. One did (CI, session 51): it started app and db at once as
            // "stopped by the agent", app on the one-shot's old exit, before the one-shot ran again.
            var holding = queue.HoldAsync(key, ct);
            void GiveBackPlace() => _ = holding.ContinueWith(t => { if (t.IsCompletedSuccessfully) t.Result.Dispose(); }, TaskScheduler.Default);
            try
            {
                if (!await RecordAsync(keptOnly: true))
                {
                    GiveBackPlace();
                    return Superseded(key, []);
                }
            }
            catch
            {
                GiveBackPlace();
                throw;
            }
            try
            {
                held = await holding;
            }
            finally
            {
                queue.Add(key); // also when the request ends first: the reconciler carries out the start saved
            }
        }
        using var heldForTheStart = held;
        if (!await RecordAsync(keptOnly: false)) return Superseded(key, []);
        if (!recordedEarly) queue.Add(key);
        await StopsLandedAsync(key, observer, time, ct);
        if (StoppedSince()) return Superseded(key, []);
        // Like docker compose start / up -d: the containers that exited (restart: no leaves them so, a user stopped
        // them, the engine's shutdown stopped them) are started now; missing ones are made by the reconcile queued.
        var started = new List<string>();
        if (entry.Object is ServiceGroup { Spec.Suspend: false } whole)
        {
            var group = only is null ? whole : ComposeStopRules.OnlyServices(whole, only);
            // A service whose container is missing (removed while stopped) or out of date (edited while stopped) is made
            // by the reconciler, run here under the hold, and its dependents start after it in a second pass: never
            // before it (probe-21), and an edited one never starts in its old form first. A container the reconcile did
            // not replace (an update it holds back) is started as it is in that second pass.
            HashSet<string>? runningBefore = null, firstSeen = null;
            var startOrder = new Dictionary<string, (string Service, int Replica)>(StringComparer.Ordinal);
            var startedIds = new HashSet<string>(StringComparer.Ordinal); // each container runs once per start: a one-shot too (probe-22)
            // What runs after a failed pass, for the answer (probe-25: db, started by the reconcile, was named as not
            // started); what was seen before it when the engine cannot say.
            async Task<ObservedState> LatestAsync(ObservedState before)
            {
                try
                {
                    return await observer.ObserveFreshAsync(key, ct);
                }
                catch (Exception e) when (e is EngineException || (e is OperationCanceledException && !ct.IsCancellationRequested))
                {
                    return before;
                }
            }
            for (var pass = 1; ; pass++)
            {
                if (StoppedSince()) return Superseded(key, InStartOrder(group, started, startOrder));
                // Observed anew at pass 1 too, not reusing the observation above: the stop records just written (stopped
                // by the agent, kept as the API's) are part of what it reads.
                var observed = await observer.ObserveFreshAsync(key, ct);
                runningBefore ??= (recorded ?? observed).Containers.Where(c => c.IsRunning && !c.StopInFlight).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
                // Seen before the stop was cleared when a reconcile ran then: that reconcile, or one queued behind it, may
                // have made and run every container (the one-shot too) before this pass looked, and a one-shot it ran is
                // not run again (probe-22 F5b; agent up after down started it twice).
                firstSeen ??= idsOnArrival ?? observed.Containers.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
                // A container the reconcile made ran already (a one-shot that exited since is not run again).
                startedIds.UnionWith(observed.Containers.Where(c => !firstSeen.Contains(c.Id)).Select(c => c.Id));
                foreach (var c in observed.Containers) startOrder[c.Name] = (c.Service, c.Replica);
                // What the reconcile made and ran (a one-shot that exited since too: probe-23 F1), or started, is started by
                // this request too (probe-22: only the one-shot was named).
                if (pass > 1 || recordedEarly)
                    started.AddRange(observed.Containers.Where(c => !started.Contains(c.Name)
                        && ((c.IsRunning && !runningBefore.Contains(c.Name)) || (!firstSeen.Contains(c.Id) && c.State != ContainerState.Created))).Select(c => c.Name));
                var (plan, deferred) = StartPlanner.PlanInOrder(group, observed, PlanInput.DefaultDependencyTimeout, deferDrifted: pass == 1, startedAlready: startedIds);
                var result = await executor.RunAsync(key, plan, parallelism, ct);
                startedIds.UnionWith(plan.Operations.Where(o => o.Kind is OperationKind.StartContainer or OperationKind.UnpauseContainer && result.Completed.Contains(o.Id))
                    .Select(o => o.Target).OfType<string>());
                started.AddRange(Started(plan, result).Where(n => !started.Contains(n)));
                if (!result.Succeeded) return StartFailed(string.Join("; ", result.Failures), started);
                if (deferred.Count == 0) break;
                if (pass == 2)
                    return StartFailed($"not started: {NotStarted(group, await LatestAsync(observed), deferred, started)}: they, or a service they depend on, have no container, and the agent could not make it " +
                                       $"({(status.Get(key)?.Condition(Core.Status.ConditionTypes.Degraded)?.Message is { Length: > 0 } why ? why : $"agent describe {key.Kind.ToLowerInvariant()}/{key.Name}")}); they start once it runs", started);
                try
                {
                    // The manifest changed while the agent made what was missing (edited just before this start), and that
                    // reconcile stopped part way: it is run again for the new manifest, which the start goes on with
                    // (probe-60: a 502 with an empty reason, and the project came up seconds later).
                    ServiceGroup? current;
                    for (var replans = 0; ; replans++)
                    {
                        var abandoned = (await reconciler.ReconcileAsync(key, ct, leaveStartsToStart: true)).Abandoned;
                        current = manifests.Get(key) is { IsBroken: false, Object: ServiceGroup g } ? g : null;
                        if (!abandoned) break;
                        if (StoppedSince()) return Superseded(key, InStartOrder(group, started, startOrder));
                        if (manifests.SourceError is not null || current is null) break; // said at the next pass
                        if (replans == MaxReplans)
                            return StartFailed($"not started: {NotStarted(group, await LatestAsync(observed), deferred, started)}: the manifest changed " +
                                               $"{MaxReplans + 1} times while the agent made what was missing; they start once a reconcile completes", started);
                    }
                    if (current is not null)
                    {
                        if (current.Spec.Suspend) break; // suspended in its manifest meanwhile: nothing more is started
                        group = only is null ? current : ComposeStopRules.OnlyServices(current, only);
                    }
                }
                catch (ReconcileException e)
                {
                    // A dependency that cannot be made or recreated (an image that cannot be pulled): what depends on it
                    // stays stopped, as the reconciler keeps it (probe-23 F9: a 500, and app started without db).
                    return StartFailed($"not started: {NotStarted(group, await LatestAsync(observed), deferred, started)}: they, or a service they depend on, could not be made or recreated ({e.Message}); " +
                                       $"the agent retries with back-off, and they start once it runs (agent describe {key.Kind.ToLowerInvariant()}/{key.Name})", started);
                }
            }
            started = InStartOrder(group, started, startOrder);
        }
        return JsonAnswer.Accepted($"/api/v1/{resource}/{key.Name}", new GroupSuspended(key.Name, false, null)
        {
            Started = started,
            WasSuspended = wasSuspended,
            SpecSuspended = entry.Object is ServiceGroup { Spec.Suspend: true } ? true : null,
        });
    }

    private static void MapVerbs(RouteGroupBuilder api, string resource, string kind, string stop, string start, string stopSummary)
    {
        var objects = api.MapGroup($"/{resource}/{{name}}").RequireAuthorization(Auth.Roles.Operator).ScopedToObject(kind);
        if (kind == ServiceGroup.ComposeKindName)
            objects.MapPost($"/{stop}", (HttpContext http, string name, bool? volumes, ManifestStore manifests, RuntimeOverrides overrides, WorkQueue queue, StatusStore status) =>
                volumes == true && !http.User.IsInRole(Auth.Roles.Admin)
                    ? Results.Problem(statusCode: 403, title: "Forbidden",
                        detail: $"down?volumes=true removes the project's named volumes and needs the {Auth.Roles.Admin} role; the token's role is {http.User.FindFirstValue(ClaimTypes.Role)}. Use an admin token, or down without volumes (they are kept).",
                        extensions: new Dictionary<string, object?> { ["requiredRole"] = Auth.Roles.Admin })
                    : Toggle(new ObjectKey(kind, name), resource, suspended: true, "Down", manifests, overrides, queue, status, removeVolumes: volumes == true))
                .WithSummary(stopSummary);
        else
            objects.MapPost($"/{stop}", (string name, ManifestStore manifests, RuntimeOverrides overrides, WorkQueue queue, StatusStore status) =>
                Toggle(new ObjectKey(kind, name), resource, suspended: true, "Stop", manifests, overrides, queue, status))
                .WithSummary(stopSummary);
        objects.MapPost($"/{start}", (string name, ManifestStore manifests, RuntimeOverrides overrides, WorkQueue queue, StatusStore status,
            EngineObserver observer, PlanExecutor executor, Reconciler reconciler, UserStops stops, OwnedContainers owned, TimeProvider time, Microsoft.Extensions.Options.IOptions<Hosting.AgentOptions> options,
            CancellationToken request) => owned.WhileEngineAnswersAsync(ct =>
            StartAsync(new ObjectKey(kind, name), resource, Verb(start), manifests, overrides, queue, status, observer, executor, reconciler, stops, time, options.Value.Parallelism, ct), request))
            .WithSummary($"Clear a {stop} and start the {kind}'s stopped containers (like docker compose {(kind == ServiceGroup.ComposeKindName ? "up -d" : "start")}): " +
                       "exited, created or paused replicas are started in dependsOn order, whatever their restart policy; " +
                       "missing ones are made by the agent. The answer lists what was started.");
        objects.MapPost("/restart", (string name, ManifestStore manifests, RuntimeOverrides overrides, EngineObserver observer, PlanExecutor executor,
            OwnedContainers owned, Microsoft.Extensions.Options.IOptions<Hosting.AgentOptions> options, CancellationToken request) => owned.WhileEngineAnswersAsync(async ct =>
        {
            var key = new ObjectKey(kind, name);
            if (manifests.Get(key)?.Object is not ServiceGroup group) return NotFound(key);
            var suspended = group.Spec.Suspend || overrides.IsSuspended(key);
            var plan = RestartPlanner.PlanRestart(group, await observer.ObserveFreshAsync(key, ct), suspended);
            var result = await executor.RunAsync(key, plan, options.Value.Parallelism, ct);
            if (!result.Succeeded) return Results.Problem(statusCode: 502, title: "Restart Failed", detail: string.Join("; ", result.Failures));
            return JsonAnswer.Ok(new GroupRestarted(name, plan.Operations.Where(o => o.Kind == OperationKind.RestartContainer).Select(o => o.ResourceId["container:".Length..])) { Suspended = suspended ? true : null, SpecSuspended = group.Spec.Suspend ? true : null, Down = overrides.IsDown(key) ? true : null });
        }, request)).WithSummary($"Restart the {kind}'s containers in dependsOn order, each with its stopSignal and stopGracePeriod, like docker compose restart: " +
                       "running, paused and exited ones; nothing of an object stopped, down or suspended (the agent is stopping what still runs of it). The answer lists what was restarted.");
    }

    private static IResult Toggle(ObjectKey key, string resource, bool suspended, string verb, ManifestStore manifests, RuntimeOverrides overrides,
        WorkQueue queue, StatusStore status, bool removeVolumes = false, bool stopOnly = false)
    {
        if (manifests.Get(key) is not { } entry) return NotFound(key);
        overrides.SetSuspended(key, suspended, removeVolumes, stopOnly);
        status.MarkToggled(key, suspended, verb, specSuspend: entry.Object is ServiceGroup { Spec.Suspend: true }, removeVolumes);
        queue.Add(key);
        return JsonAnswer.Accepted($"/api/v1/{resource}/{key.Name}", new GroupSuspended(key.Name, suspended, removeVolumes ? true : null));
    }

    /// <summary><paramref name="names"/> in the order the services start (dependencies first, as depends_on asks), then
    /// by replica: the answer reads as the start went, whichever pass started each.</summary>
    private static List<string> InStartOrder(ServiceGroup group, List<string> names, IReadOnlyDictionary<string, (string Service, int Replica)> of)
    {
        var rank = ServiceOrder.Sort(group.Spec.Services).Select((s, i) => (s.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
        return names.Select((n, i) => (Name: n, Index: i, At: of.TryGetValue(n, out var at) ? at : (Service: "", Replica: 0)))
            .OrderBy(x => rank.GetValueOrDefault(x.At.Service, int.MaxValue)).ThenBy(x => x.At.Replica).ThenBy(x => x.Index)
            .Select(x => x.Name).ToList();
    }

    /// <summary>The services a start leaves to the reconciler that it could not finish: those it deferred, and those with
    /// no container to start (a project brought up names db too, as a start does: probe-24), in start order; not one that
    /// runs now or that this start ran.</summary>
    private static string NotStarted(ServiceGroup group, ObservedState observed, IReadOnlyList<string> deferred, IReadOnlyList<string> started) =>
        string.Join(", ", ServiceOrder.Sort(group.Spec.Services).Select(s => s.Name)
            .Where(n => deferred.Contains(n) || observed.Containers.All(c => c.Service != n))
            .Where(n => !observed.Containers.Any(c => c.Service == n && (c.IsRunning || started.Contains(c.Name)))));

    /// <summary>The containers a start plan started or unpaused.</summary>
    private static IEnumerable<string> Started(Plan plan, ExecutionResult result) =>
        plan.Operations.Where(o => o.Kind is OperationKind.StartContainer or OperationKind.UnpauseContainer && result.Completed.Contains(o.Id))
            .Select(o => o.ResourceId["container:".Length..]);

    /// <summary>A stop came while the start waited: it is the later verb, and the object stays (or is made) stopped.</summary>
    private static IResult Superseded(ObjectKey key, IReadOnlyList<string> started) =>
        Results.Problem(statusCode: 409, title: "Superseded",
            detail: $"a stop of {key.Kind.ToLowerInvariant()}/{key.Name} was made while this start waited; the later stop wins: " +
                    (started.Count == 0 ? "nothing was started" : $"{string.Join(", ", started)} started before it came and stop again") +
                    ". Start it again to start it.",
            extensions: new Dictionary<string, object?> { ["started"] = started });

    private static IResult StartFailed(string detail, IReadOnlyList<string> started) =>
        Results.Problem(statusCode: 502, title: "Start Failed", detail: detail, extensions: new Dictionary<string, object?> { ["started"] = started });

    private static IResult NotFound(ObjectKey key) => ApiProblems.NotFound($"No {key.Kind} \"{ApiProblems.Shown(key.Name)}\" in the manifests.");
}
