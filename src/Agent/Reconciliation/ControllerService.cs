using Agent.Core.Model;
using Agent.Engine;
using Agent.Hosting;
using Agent.Sources;
using Microsoft.Extensions.Options;

namespace Agent.Reconciliation;

/// <summary>
/// The controller: workers that take keys from the queue and reconcile them, fed by three triggers:
/// the manifests folder (watched, debounced), the engine's events stream (re-subscribed after a
/// disconnect), and a periodic full resync as the safety net.
/// </summary>
public sealed class ControllerService(
    WorkQueue queue,
    Reconciler reconciler,
    ManifestStore manifests,
    ManifestFolder folder,
    PruneGate pruneGate,
    EngineObserver observer,
    ObservedCache cache,
    IContainerEngine engine,
    AgentLabels labels,
    HealthTracker health,
    UserStops userStops,
    EngineStopJudge stopJudge,
    StartedStops startedStops,
    RuntimeOverrides overrides,
    Admission.BindMountGuard binds,
    ControllerState state,
    IOptions<AgentOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<ControllerService> logger) : BackgroundService
{
    private int engineDown;
    private static readonly HashSet<string> WakingActions = ["die", "destroy", "oom", "kill", "stop", "start", "create", "pause", "unpause"];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var watcher = new FolderWatcher(folder, logger, () => manifests.UnreadFolders);
        watcher.Rearm();
        // The stream asks for events from now: subscribing and the first listing may then happen in either order.
        var since = DateTimeOffset.UtcNow;
        cache.StreamStarted();
        // The first listing waits on the engine while the manifests are parsed: the first sync needs both.
        var firstListing = RelistAsync("start", stoppingToken);
        // With the record of folders containers write lost, only the engine says which folders running containers write:
        // the first read waits for its list rather than walk them (probe-15h M4).
        if (manifests.ReadWaitsForEngine) await firstListing;
        manifests.Reload();
        StartupTimeline.Mark("manifests read");
        await Task.Yield();
        // Nothing is applied before the API listens: a container that publishes the agent's address (refused by the policy,
        // but perhaps left from an older agent) must not take it first; when the address cannot be had, the host stops here.
        await StartedAsync(stoppingToken);
        var workers = Enumerable.Range(0, Math.Max(1, options.Value.Workers)).Select(i => WorkAsync(i, stoppingToken)).ToList();
        var triggers = new[]
        {
            ResyncAsync(watcher, firstListing, stoppingToken), WatchEventsAsync(since, stoppingToken), WatchFolderAsync(watcher, stoppingToken),
            WatchSourcesAsync(watcher, stoppingToken), cache.RunInspectionsAsync(binds.CheckInspectedAsync, stoppingToken),
            HeartbeatAsync(stoppingToken), WatchRecordsAsync(stoppingToken),
        };
        try
        {
            await Task.WhenAll(workers.Concat(triggers));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: in-flight steps were cancelled; containers are left running.
        }
    }

    private async Task StartedAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource();
        await using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await using var onStopping = ct.Register(() => started.TrySetCanceled(ct));
        await started.Task;
    }

    /// <summary>The state records as statuses show them, looked at every second: when one changes (the marker of a lost
    /// record deleted by the operator: probe-18 F5; a record of user stops kept in memory saved again: F10), every object is
    /// looked at now, not at the next resync, so statuses change when /readyz does (it reads the markers at each probe).</summary>
    private async Task WatchRecordsAsync(CancellationToken ct)
    {
        var seen = RecordsState();
        using var timer = new PeriodicTimer(RecordsCheck);
        while (await timer.WaitForNextTickAsync(ct))
        {
            var now = RecordsState();
            if (now == seen) continue;
            seen = now;
            logger.LogDebug("State records changed ({Records}): every object is looked at", now);
            await EnqueueAllAsync(ct);
        }
    }

    private static readonly TimeSpan RecordsCheck = TimeSpan.FromSeconds(1);

    private string RecordsState() =>
        $"suspends {(overrides.Lost is null ? "read" : "lost")}, user stops {(userStops.Lost is null ? "read" : "lost")} and {(userStops.Unsaved is null ? "saved" : "unsaved")}";

    /// <summary>Queues every object the manifests name plus every object that still has containers (to prune it).</summary>
    private async Task EnqueueAllAsync(CancellationToken ct)
    {
        var keys = manifests.All().Select(e => e.Key).Where(k => !Job.IsJobKind(k.Kind)).ToHashSet();
        // A stopped object whose manifest went while nothing of it ran (a compose project down, an agent not running):
        // its reconcile finds it deleted and forgets the stop.
        keys.UnionWith(overrides.Keys.Where(k => !Job.IsJobKind(k.Kind)));
        try
        {
            keys.UnionWith(await observer.ListObjectKeysAsync(ct));
        }
        catch (EngineUnavailableException e)
        {
            LogEngineDown(e); // once while it is down, not once per resync
        }
        catch (EngineException e)
        {
            logger.LogWarning("Cannot list managed objects: {Error}", e.Message);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            LogEngineTimeout(); // a hung engine must not end the resync loop
        }
        state.BeginSync(keys);
        foreach (var key in keys) queue.Add(key);
    }

    private async Task WorkAsync(int worker, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var key = await queue.TakeAsync(ct);
            state.Started(worker);
            try
            {
                var result = await reconciler.ReconcileAsync(key, ct);
                queue.Forget(key);
                if (result.RequeueAfter is { } after) queue.AddAfter(key, after);
                state.Synced(key);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                var delay = queue.AddRateLimited(key);
                Telemetry.AgentMetrics.QueueRetries.Add(1, new KeyValuePair<string, object?>("kind", key.Kind));
                if (e is EngineUnavailableException down) LogEngineDown(down);
                else if (e is OperationCanceledException) LogEngineTimeout(); // not shutdown (above): an engine call ran out of time
                else logger.LogWarning("Reconcile of {Key} failed, retrying in {Delay:0.#}s: {Error}", key, delay.TotalSeconds, e.Message);
                if (e is not (EngineUnavailableException or OperationCanceledException)) state.Synced(key);
            }
            finally
            {
                state.Finished(worker);
                queue.Done(key);
            }
        }
    }

    /// <summary>One message while the engine is down (and /readyz says so), not one per key, retry or resync.</summary>
    private void LogEngineDown(EngineUnavailableException e)
    {
        if (Interlocked.Exchange(ref engineDown, 1) == 0) logger.LogError("{Error} Reconciles wait with backoff until it answers.", e.Message);
    }

    /// <summary>An engine that accepts calls and never answers: one message, like an engine that is down.</summary>
    private void LogEngineTimeout()
    {
        if (Interlocked.Exchange(ref engineDown, 1) == 0)
            logger.LogWarning("The Docker engine at {Engine} accepted calls but did not answer within {Timeout:0.#}s (Agent:EngineRequestTimeout). Reconciles wait with backoff until it answers.",
                Engine.EngineEndpoint.Resolve(options.Value.DockerHost), options.Value.EngineRequestTimeout.TotalSeconds);
    }

    /// <summary>Pings the engine every Agent:EngineHeartbeat, each ping bounded by that interval. A hung engine (it accepts
    /// calls and never answers) keeps its events stream open and silent: without this the cache went on answering
    /// "running" about containers that had died, and every object stayed Ready (probe-15l H3).</summary>
    private async Task HeartbeatAsync(CancellationToken ct)
    {
        var interval = options.Value.EngineHeartbeat;
        if (interval <= TimeSpan.Zero) return;
        var bound = interval < options.Value.EngineRequestTimeout ? interval : options.Value.EngineRequestTimeout;
        var heartbeat = new EngineHeartbeat();
        using var timer = new PeriodicTimer(interval);
        // The first ping at once: an agent started while the engine hangs says EngineUnavailable an interval sooner
        // (probe-36 5: objects read "Reconciling" for 30 s meanwhile).
        do
        {
            string? failure = null;
            using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                bounded.CancelAfter(bound);
                try
                {
                    await engine.PingAsync(bounded.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    failure = $"the Docker engine at {Engine.EngineEndpoint.Resolve(options.Value.DockerHost)} did not answer _ping within {bound.TotalSeconds:0.#}s (Agent:EngineHeartbeat)";
                }
                catch (EngineException e)
                {
                    failure = e.Message;
                }
            }
            switch (heartbeat.Record(failure is null))
            {
                case false:
                    if (Interlocked.Exchange(ref engineDown, 1) == 0) logger.LogWarning("{Error}: every object is EngineUnavailable until it answers", failure);
                    break;
                case true:
                    cache.EngineReachable();
                    Interlocked.Exchange(ref engineDown, 0);
                    logger.LogInformation("Engine reachable again (it answered _ping): listing and reconciling everything");
                    await RelistAsync("reconnect", ct);
                    break;
            }
            if (heartbeat.IsDown)
            {
                // Again at every missed ping: a reconcile that ran from a fresh engine answer meanwhile cannot have said Ready.
                cache.EngineUnreachable(DateTimeOffset.UtcNow);
                reconciler.ReportEngineUnavailable(failure ?? "the Docker engine does not answer");
            }
        } while (await timer.WaitForNextTickAsync(ct));
    }

    private async Task FollowUpAsync(ObjectKey key, CancellationToken ct)
    {
        try
        {
            foreach (var delay in FollowUpDelays)
            {
                await Task.Delay(delay, ct);
                queue.AddUnlessBackingOff(key);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // The engine's container list catches up with an exit some 100-500 ms after the "die" event (after its cleanup), and
    // with a pause a moment after the "pause" event:
    // re-queue every 100 ms for a second, then once more; each is one cheap observe, and repeated adds merge.
    private static readonly TimeSpan[] FollowUpDelays = [.. Enumerable.Repeat(TimeSpan.FromMilliseconds(100), 10), TimeSpan.FromSeconds(1)];

    /// <summary>The safety net: re-reads the folder (cheap when nothing changed: stat and digest, no reparse) and
    /// queues everything, so a change no event reported (a mount, a missed swap) is still applied.</summary>
    private async Task ResyncAsync(FolderWatcher watcher, Task firstListing, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(options.Value.ResyncInterval);
        var reason = "start";
        do
        {
            await ReadFolderAsync(watcher, ct);
            await (reason == "start" ? firstListing : RelistAsync(reason, ct));
            await EnqueueAllAsync(ct);
            reason = "resync";
        } while (await timer.WaitForNextTickAsync(ct));
    }

    private static readonly TimeSpan StreamHeld = TimeSpan.FromSeconds(1);

    /// <summary>Feeds the cache and the queue from the events stream. Every subscription asks for the events since the
    /// last one seen, so what happened while it was down is replayed (events seen already are skipped), and after a
    /// re-subscription the cache is listed again and every object looked at: events may still have been lost.</summary>
    private async Task WatchEventsAsync(DateTimeOffset since, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        var connected = true;
        long attempts = 0, ended = 0; // subscriptions made, and the last one that ended
        Task relisting = Task.CompletedTask;
        var relist = false;
        while (!ct.IsCancellationRequested)
        {
            cache.StreamStarted();
            if (relist) relisting = RelistAsync("reconnect", ct);
            relist = false;
            var attempt = ++attempts;
            if (!connected) _ = TellReconnectedOnceHeldAsync(attempt);
            try
            {
                await foreach (var e in engine.StreamEventsAsync(LabelSelector.ForInstance(labels), since, ct))
                {
                    if (!connected)
                    {
                        connected = true;
                        logger.LogInformation("Engine events stream reconnected");
                    }
                    since = e.Time;
                    if (!cache.Apply(e)) continue; // replayed after a reconnect, handled before it
                    delay = TimeSpan.FromMilliseconds(250);
                    logger.LogDebug("Engine event {Type} {Action} {Actor}", e.Type, e.Action, e.ActorId);
                    if (e.Type != "container" || !(WakingActions.Contains(e.Action) || e.Action.StartsWith("health_status", StringComparison.Ordinal))) continue;
                    // Every start, whoever made it (a restart policy, the engine at boot, docker start), opened the bind
                    // sources again: the cache's inspect of the start (Apply queued it) is handed to the bind check.
                    if (e.Attributes.ContainsKey(labels.Imperative) || e.Attributes.ContainsKey(labels.JobRun)) continue;
                    try
                    {
                        await RememberAsync(e, ct);
                    }
                    catch (State.StateWriteException failed)
                    {
                        // A state file that cannot be written is no fault of the stream (probe-18 F10): the records keep
                        // what they saw in memory and say so (State.UnsavedRecords); this is a last guard.
                        logger.LogWarning("Event {Action} of {Actor}: {Error}", e.Action, e.ActorId, failed.Message);
                    }
                    if (e.Attributes.TryGetValue(labels.Kind, out var kind) && e.Attributes.TryGetValue(labels.Object, out var name))
                    {
                        var key = new ObjectKey(kind, name);
                        queue.AddUnlessBackingOff(key);
                        // The engine sends "die", "pause" and "unpause" before its container list shows them (Engine 20.10
                        // logs the event, then writes the list's view): a plan verified against that list sees the old
                        // state, so look again shortly (probe-15l H1: a paused replica was unnoticed until the resync).
                        if (e.Action is "die" or "kill" or "oom" or "stop" or "pause" or "unpause") _ = FollowUpAsync(key, ct);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (connected) logger.LogWarning("Engine events stream lost, reconnecting: {Error}", e.Message);
                connected = false;
            }
            // A stream that ends cleanly (engine restarting) also counts as a disconnect.
            Volatile.Write(ref ended, attempt);
            cache.StreamLost();
            stopJudge.StreamLost();
            await relisting;
            await AwaitReachableAsync();
            relist = true;
        }

        // The engine's reachability is told once by the heartbeat or the relist; this line is the stream's, told once a
        // subscription has held a moment (or brought an event): an engine that answers pings but refuses the stream
        // logged "reconnected" and "lost" at every attempt.
        async Task TellReconnectedOnceHeldAsync(long attempt)
        {
            try
            {
                await Task.Delay(StreamHeld, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (Volatile.Read(ref ended) == attempt || Volatile.Read(ref attempts) != attempt || connected) return;
            connected = true;
            logger.LogInformation("Engine events stream reconnected");
        }

        // Subscribes again only once the engine answers a ping. A restarting dockerd's socket takes connections before it
        // serves: a subscription made then waited for it and brought the kills of its start (made while it was away) with
        // the absence still open, so they were judged by the listener probe and read as user stops (CI, stop 36).
        async Task AwaitReachableAsync()
        {
            while (true)
            {
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(5000, delay.TotalMilliseconds * 2));
                try
                {
                    await engine.PingAsync(ct);
                    stopJudge.Reachable();
                    return;
                }
                catch (EngineException)
                {
                    connected = false;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    connected = false; // the ping's own timeout: a hung engine
                }
            }
        }
    }

    /// <summary>Lists the cache again; after a reconnect, every object is looked at. Never throws but for shutdown: a
    /// failed listing leaves the cache not current (readers ask the engine) until the next one.</summary>
    private async Task RelistAsync(string reason, CancellationToken ct)
    {
        try
        {
            await cache.RelistAsync(reason, ct);
            // The kills a crashed engine made as it started, while the agent did not watch, are no user stops (probe-18 F1).
            // Also at a resync until the stops an earlier run asked have been told (the engine failed to answer before).
            if (reason is "start" or "reconnect" || !stopJudge.StopsUnderWayJudged) await stopJudge.RecordUnwatchedAsync(ct);
            // A record of a stop ends at its container's start also when no start event reached the agent (probe-39).
            await startedStops.EndAsync(ct);
            if (Interlocked.Exchange(ref engineDown, 0) == 1) logger.LogInformation("Engine reachable again: reconciling");
            if (cache.IsCurrent && manifests.ReadWaitsForEngine) manifests.RequestReload(); // a read held for the engine's list
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (OperationCanceledException)
        {
            LogEngineTimeout();
        }
        catch (EngineUnavailableException e)
        {
            LogEngineDown(e);
        }
        catch (EngineException e)
        {
            logger.LogWarning("Listing the engine's objects failed: {Error}", e.Message);
        }
        if (reason is "start" or "reconnect")
        {
            // Started while no events were seen (the agent or the stream was down): their binds are checked now.
            foreach (var c in cache.Containers.Where(c => c is { State: ContainerState.Running, HasBinds: true }))
                await binds.CheckStartedAsync(c.Id, ct);
        }
        if (reason == "reconnect") await EnqueueAllAsync(ct);
    }

    /// <summary>What events tell that a later list cannot: who stopped a container, and how often it failed.</summary>
    private async Task RememberAsync(EngineEvent e, CancellationToken ct)
    {
        var name = e.Attributes.GetValueOrDefault("name");
        if (e.Action is "start" or "die" or "destroy") observer.Forget(e.ActorId);
        if (e.Action == "die") userStops.NoteExit(e.ActorId); // after the kill or stop event that came before it
        switch (e.Action)
        {
            case "kill" or "stop" when !userStops.IsOwnStop(e.ActorId, name):
                // A shutting-down engine closes its listener first, then stops every container: those kills reach the
                // open stream like a docker stop's, but no new connection is taken (probe-16 F2: they read as user stops).
                // A kill made while the engine was away (a crashed dockerd's restart kills the containers it finds running,
                // before it listens; the replay after the reconnect brings it) is the engine's too (probe-18 F1).
                userStops.RecordSeen(e.ActorId, await stopJudge.StopCauseAsync(e, ct));
                break;
            case "die" when !userStops.IsOwnStop(e.ActorId, name) && userStops.Reason(e.ActorId) is null && !userStops.StoppedWithEngine(e.ActorId):
                health.RecordExit(e.ActorId, e.Attributes.TryGetValue("exitCode", out var code) && int.TryParse(code, out var exit) ? exit : null);
                break;
            case "start" when PlanExecutor.KillsAfterStartOf(name):
                break;
            case "start":
                userStops.ClearSeen(e.ActorId);
                userStops.EndOwn(e.ActorId, name);
                health.RecordRestart(e.ActorId);
                break;
            case "destroy":
                userStops.ClearSeen(e.ActorId);
                health.Forget(e.ActorId);
                break;
        }
    }

    private async Task WatchFolderAsync(FolderWatcher watcher, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await watcher.Changed.WaitAsync(ct);
            await Task.Delay(options.Value.ManifestDebounce, ct); // debounce: editors write in several steps
            while (watcher.Changed.CurrentCount > 0) await watcher.Changed.WaitAsync(ct);
            await ReadFolderAsync(watcher, ct);
        }
    }

    /// <summary>Another source changed (a GitRepository switched revision): read the desired state again at once.</summary>
    private async Task WatchSourcesAsync(FolderWatcher watcher, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await manifests.SourceChanged.WaitAsync(ct);
            await ReadFolderAsync(watcher, ct);
        }
    }

    /// <summary>Reads the folder again and queues what changed. Whatever goes wrong is logged and the caller keeps going:
    /// neither the watcher nor the resync ever ends on a bad read.</summary>
    private async Task ReadFolderAsync(FolderWatcher watcher, CancellationToken ct)
    {
        try
        {
            var unavailable = manifests.SourceError is not null;
            var held = pruneGate.Current?.Removals ?? [];
            watcher.Rearm(renew: unavailable);
            var changed = manifests.Reload();
            foreach (var key in changed.Concat(held)) queue.Add(key);
            // Files back: a hold, or an admin's confirmation, ends now, not at the next prune.
            if (held.Count > 0 || pruneGate.HasConfirmations) await pruneGate.RefreshAsync(ct);
            // Removals the guard holds show so now, not when each object's turn in the queue comes (probe-28 F2); in the
            // background: a hung engine must not stall the reading of the folder.
            else _ = pruneGate.RefreshAsync(ct);
            if (!unavailable && manifests.SourceError is not null) await EnqueueAllAsync(ct); // every object says why
            if (unavailable && manifests.SourceError is null)
            {
                // The folder reads again after a failure: watch what is there now, and look again at the objects held
                // meanwhile (also those with no manifest).
                watcher.Rearm(renew: true);
                await EnqueueAllAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Reading the manifests folder failed; watching goes on: {Error}", e.Message);
        }
    }
}
