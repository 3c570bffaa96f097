using System.Collections.Immutable;
using System.Threading.Channels;
using Agent.Core.Model;
using Agent.Engine;
using Agent.Telemetry;

namespace Agent.Reconciliation;

/// <summary>
/// The informer: this instance's containers, networks and volumes as the engine has them, from one list call per
/// resource type (at start, at each resync, after the events stream reconnects), kept current by the events stream in
/// between (<see cref="Apply"/>). A container start needs a look: an inspect, one list call for a burst of them, the
/// inspect its starter makes anyway (<see cref="InspectHandover"/>), or, for a start the agent expected, one list call a
/// second later for all of them (<see cref="ExpectStart"/>); so does the create of a container the agent did not make
/// (<see cref="OwnCreates"/>). Readers get it without an engine call while it is <see cref="IsCurrent"/>; while it is
/// not (before the first listing, while the stream is down) they ask the engine.
/// </summary>
public sealed class ObservedCache(IContainerEngine engine, AgentLabels labels, OwnCreates ownCreates, ILogger<ObservedCache> logger)
{
    private readonly Lock sync = new();
    private readonly SemaphoreSlim listing = new(1, 1);
    private readonly Channel<string> inspections = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<string> waitingInspection = new(StringComparer.Ordinal); // queued, not sent yet: one inspect serves them all
    private readonly HashSet<string> seen = [];
    private readonly Queue<string> seenOrder = new();
    private ImmutableDictionary<string, ContainerSummary> containers = ImmutableDictionary<string, ContainerSummary>.Empty;
    private ImmutableDictionary<string, NetworkSummary> networks = ImmutableDictionary<string, NetworkSummary>.Empty;
    private ImmutableDictionary<string, VolumeSummary> volumes = ImmutableDictionary<string, VolumeSummary>.Empty;
    private Dictionary<string, long> lastEvent = new(StringComparer.Ordinal); // container id -> sequence of its last event
    private List<EngineEvent>? duringListing; // events applied shortly before and while a listing runs: replayed over its result
    private readonly Queue<(long At, EngineEvent Event)> recent = new(); // applied within RecentEvents (Environment.TickCount64)
    private readonly Dictionary<string, InspectHandover> handovers = new(StringComparer.Ordinal); // container id -> its starter's
    private readonly Dictionary<string, HealthState> expectedStarts = new(StringComparer.Ordinal); // container id -> its health right after a start
    private readonly Channel<string> confirmations = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<string> waitingConfirmation = new(StringComparer.Ordinal);

    /// <summary>The engine sends "die", "pause" and "unpause" before its container list shows them (Engine 20.10 logs the
    /// event, then writes the list's view): a listing sent just after such an event can still show the old state, so the
    /// events of this last moment are replayed over every listing too (a paused replica listed as running until the next
    /// event or resync, probe-15m). Every rule sets what its event says, so a replay over a newer listing changes nothing.</summary>
    private static readonly TimeSpan RecentEvents = TimeSpan.FromSeconds(2);
    private long sequence;
    private long streamGeneration;
    private bool streamUp;
    private volatile bool current;
    private long interruptions; // times current went false: what CurrentMark counts
    private DateTimeOffset? engineAwaySince; // under sync

    /// <summary>Listed since the events stream (re)connected, and the stream has not dropped since.</summary>
    public bool IsCurrent => current;

    /// <summary>A mark of the cache's current spell, or null while it is not current: <see cref="CurrentSince"/> tells
    /// whether it has stayed current since, so that every event of that time was applied.</summary>
    public long? CurrentMark()
    {
        lock (sync) return current ? interruptions : null;
    }

    /// <summary>Whether the cache has been current without a break since <paramref name="mark"/> (<see cref="CurrentMark"/>).
    /// Being current now is not enough: a reconnecting stream makes the cache current while its subscription is still
    /// being answered, and a refused one ends that a moment later, so a moment's look can fall into such a spell; the
    /// events it missed come only with the next subscription that holds.</summary>
    public bool CurrentSince(long? mark)
    {
        lock (sync) return mark is { } m && current && interruptions == m;
    }

    public IReadOnlyCollection<ContainerSummary> Containers => containers.Values.ToList();
    public IReadOnlyCollection<NetworkSummary> Networks => networks.Values.ToList();
    public IReadOnlyCollection<VolumeSummary> Volumes => volumes.Values.ToList();

    /// <summary>Changes (by reference) whenever a container of the cache does: what answers made from the cache are kept by.</summary>
    public object ContainersVersion => containers;

    public ContainerSummary? Container(string id) => containers.GetValueOrDefault(id);

    /// <summary>One object's containers, networks and volumes, through an index by kind and object label that is built
    /// again only after the cache changed.</summary>
    public IEnumerable<ContainerSummary> ContainersOf(ObjectKey key) => containerIndex.Of(containers, key, c => c.Labels);
    public IEnumerable<NetworkSummary> NetworksOf(ObjectKey key) => networkIndex.Of(networks, key, n => n.Labels);
    public IEnumerable<VolumeSummary> VolumesOf(ObjectKey key) => volumeIndex.Of(volumes, key, v => v.Labels);

    /// <summary>The read-write bind sources of this instance's containers, by their object; null while the cache is not
    /// current (then what ran is not known for sure).</summary>
    public IReadOnlyList<Core.Manifests.WritableBind>? WritableBinds() =>
        !current ? null : containers.Values.SelectMany(c => c.WritableBinds.Select(s => new Core.Manifests.WritableBind(s,
            new ObjectKey(c.Labels.GetValueOrDefault(labels.Kind) ?? "", c.Labels.GetValueOrDefault(labels.Object) ?? c.Name)))).ToList();

    private readonly ObjectIndex<ContainerSummary> containerIndex = new(labels);
    private readonly ObjectIndex<NetworkSummary> networkIndex = new(labels);
    private readonly ObjectIndex<VolumeSummary> volumeIndex = new(labels);

    /// <summary>Full listings so far (start, resyncs, reconnects).</summary>
    public int Listings => listings;

    private int listings;

    /// <summary>The events stream is (being) subscribed: the next listing makes the cache current.</summary>
    public void StreamStarted()
    {
        lock (sync) streamUp = true;
    }

    /// <summary>The stream dropped: events may be lost from now on, so readers ask the engine until the next listing.</summary>
    public void StreamLost()
    {
        lock (sync)
        {
            streamUp = false;
            streamGeneration++;
            NotCurrentLocked();
        }
    }

    /// <summary>The engine stopped answering (its events stream may be silent, not closed): readers ask the engine until
    /// the next listing, so nothing is answered or planned from what it said before.</summary>
    public void Invalidate()
    {
        lock (sync) NotCurrentLocked();
    }

    private void NotCurrentLocked()
    {
        if (current) interruptions++;
        current = false;
    }

    /// <summary>The heartbeat found the engine unreachable or hung: as <see cref="Invalidate"/>, and container reads answer
    /// the last observed state at once instead of each waiting for the engine's timeout (probe-18 F11), until the engine
    /// answers a ping (<see cref="EngineReachable"/>) or a listing succeeds. The first call of an outage sets
    /// <see cref="EngineAwaySince"/>; the heartbeat calls again at every missed ping.</summary>
    public void EngineUnreachable(DateTimeOffset now)
    {
        CancellationTokenSource? ending = null;
        lock (sync)
        {
            NotCurrentLocked();
            if (engineAwaySince is null) ending = away;
            engineAwaySince ??= now;
        }
        ending?.Cancel(); // outside the lock: its callbacks run here
    }

    public void EngineReachable()
    {
        lock (sync) AnswersLocked();
    }

    private void AnswersLocked()
    {
        engineAwaySince = null;
        if (away.IsCancellationRequested) away = new CancellationTokenSource();
    }

    private CancellationTokenSource away = new(); // under sync; cancelled when the heartbeat finds the engine not answering

    /// <summary>Cancelled when the heartbeat finds the engine not answering (already, while it is away): a call that
    /// reached the engine before then, such as a log read, ends at that moment rather than after Agent:EngineRequestTimeout
    /// (probe-20 F4: an `agent logs` in flight when the engine froze waited 100 s for a 504).</summary>
    public CancellationToken EngineAnswering
    {
        get { lock (sync) return away.Token; }
    }

    /// <summary>The heartbeat says the engine does not answer now; what the cache holds is the last observed state.</summary>
    public bool EngineAway => EngineAwaySince is not null;

    /// <summary>When the heartbeat found the engine not answering, while it still does not; null while it answers.</summary>
    public DateTimeOffset? EngineAwaySince
    {
        get { lock (sync) return engineAwaySince; }
    }

    /// <summary>One list call per resource type; replaces the cache and replays over it the events that arrived meanwhile.</summary>
    public async Task RelistAsync(string reason, CancellationToken ct)
    {
        await listing.WaitAsync(ct);
        try
        {
            long generation;
            lock (sync)
            {
                generation = streamGeneration;
                ForgetOldEventsLocked();
                duringListing = recent.Select(r => r.Event).ToList();
            }
            var selector = LabelSelector.ForInstance(labels);
            var listedContainers = engine.ListContainersAsync(selector, ct);
            var listedNetworks = engine.ListNetworksAsync(selector, ct);
            var listedVolumes = engine.ListVolumesAsync(selector, ct);
            try
            {
                await Task.WhenAll(listedContainers, listedNetworks, listedVolumes);
            }
            catch
            {
                lock (sync)
                {
                    duringListing = null;
                    NotCurrentLocked(); // what it holds may be stale: readers ask the engine until a listing succeeds
                }
                throw;
            }
            lock (sync)
            {
                containers = listedContainers.Result.Where(c => labels.IsOwned(c.Labels)).ToImmutableDictionary(c => c.Id, StringComparer.Ordinal);
                networks = listedNetworks.Result.Where(n => labels.IsOwned(n.Labels)).ToImmutableDictionary(n => n.Id, StringComparer.Ordinal);
                volumes = listedVolumes.Result.Where(v => labels.IsOwned(v.Labels)).ToImmutableDictionary(v => v.Name, StringComparer.Ordinal);
                foreach (var e in duringListing!)
                {
                    ApplyLocked(e);
                    // Its inspect may have landed on the entry this listing replaces: look again, over the listing.
                    if (NeedsInspect(e)) InspectLocked(e.ActorId);
                }
                duringListing = null;
                current = streamUp && generation == streamGeneration;
                AnswersLocked();
            }
            Interlocked.Increment(ref listings);
            Hosting.StartupTimeline.Mark("first listing");
            AgentMetrics.CacheRelists.Add(1, new KeyValuePair<string, object?>("reason", reason));
            logger.LogDebug("Listed {Containers} containers, {Networks} networks, {Volumes} volumes ({Reason})", containers.Count, networks.Count, volumes.Count, reason);
        }
        finally
        {
            listing.Release();
        }
    }

    /// <summary>Applies one event of the stream; false when it was seen already (the engine replays from `since` after a
    /// reconnect), so that nothing acts on an event twice.</summary>
    public bool Apply(EngineEvent e)
    {
        var key = $"{e.Time.ToUnixTimeMilliseconds()}|{e.Type}|{e.Action}|{e.ActorId}";
        lock (sync)
        {
            if (!seen.Add(key)) return false;
            seenOrder.Enqueue(key);
            if (seenOrder.Count > 10_000) seen.Remove(seenOrder.Dequeue());
            if (!ContainerEvents.Changes(e)) return true;
            duringListing?.Add(e);
            recent.Enqueue((Environment.TickCount64, e));
            ForgetOldEventsLocked();
            ApplyLocked(e);
            if (e.Action == "start" && handovers.GetValueOrDefault(e.ActorId) is { SkippedAt: null } handover)
            {
                handover.SkippedAt = sequence;
                handover.StartEventApplied();
            }
            else if (e.Action == "start" && expectedStarts.Remove(e.ActorId, out var health) && containers.TryGetValue(e.ActorId, out var started))
            {
                containers = containers.SetItem(e.ActorId, started with { Health = health, HealthUnknown = false });
                if (waitingConfirmation.Add(e.ActorId)) confirmations.Writer.TryWrite(e.ActorId);
            }
            else if (NeedsInspect(e)) InspectLocked(e.ActorId);
            if (e.Action == "destroy") expectedStarts.Remove(e.ActorId);
        }
        if (e.Action == "destroy") ownCreates.Forget(e.ActorId);
        return true;
    }

    private void ForgetOldEventsLocked()
    {
        var oldest = Environment.TickCount64 - (long)RecentEvents.TotalMilliseconds;
        while (recent.TryPeek(out var first) && first.At < oldest) recent.Dequeue();
    }

    private bool NeedsInspect(EngineEvent e) => ContainerEvents.NeedsInspect(e) && !ownCreates.Made(e);

    /// <summary>Queues an inspect of the container unless one is queued and not sent yet: that one, sent after this
    /// event, serves it too (a create and its start seconds apart while the queue is long need one inspect).</summary>
    private void InspectLocked(string id)
    {
        if (waitingInspection.Add(id)) inspections.Writer.TryWrite(id);
    }

    private void ApplyLocked(EngineEvent e)
    {
        lastEvent[e.ActorId] = ++sequence;
        var known = containers.GetValueOrDefault(e.ActorId);
        var after = ContainerEvents.Apply(known, e);
        if (after is null)
        {
            containers = containers.Remove(e.ActorId);
            if (e.Action == "destroy") lastEvent.Remove(e.ActorId);
        }
        else if (!ReferenceEquals(after, known)) containers = containers.SetItem(e.ActorId, after);
    }

    /// <summary>The agent is about to start container <paramref name="id"/>, which it created itself without a bind mount
    /// or a published port (PlanExecutor decides which):
    /// its health right after the start (<see cref="HealthState.Starting"/> when it has a healthcheck, its own or its
    /// image's, else None) is known without an inspect, and is what its start event sets at once, so a ready container
    /// is ready without waiting for a call. What else only a look tells (ports, networks) and whether that health was
    /// right are confirmed by one list call for every such start of the last <see cref="ConfirmationWindow"/>. A burst
    /// of a thousand starts costs a few dozen calls instead of a thousand inspects (issue 16).</summary>
    public void ExpectStart(string id, HealthState health)
    {
        lock (sync)
        {
            if (expectedStarts.Count >= 10_000) expectedStarts.Clear(); // starts whose events never came: those get inspected
            expectedStarts[id] = health;
        }
    }

    /// <summary>How long the starts expected by <see cref="ExpectStart"/> are gathered before one list call confirms them.</summary>
    internal static readonly TimeSpan ConfirmationWindow = TimeSpan.FromSeconds(1);

    /// <summary>The confirmations of <see cref="ExpectStart"/>: every <see cref="ConfirmationWindow"/> at most, the
    /// starts since are looked up together (as <see cref="RunInspectionsAsync"/> looks up a burst), and one the list
    /// cannot stand for is inspected.</summary>
    private async Task RunConfirmationsAsync(CancellationToken ct)
    {
        var batch = new List<string>(LookupBatch);
        while (await confirmations.Reader.WaitToReadAsync(ct))
        {
            await Task.Delay(ConfirmationWindow, ct);
            while (confirmations.Reader.TryPeek(out _))
            {
                batch.Clear();
                while (batch.Count < LookupBatch && confirmations.Reader.TryRead(out var queued)) batch.Add(queued);
                if (await LookUpAsync(batch, waitingConfirmation, "started containers", ct) is not { } inspect) break;
                lock (sync)
                    foreach (var id in inspect)
                        InspectLocked(id);
            }
        }
    }

    /// <summary>One list call for <paramref name="batch"/> (taken off <paramref name="waiting"/>), applied as
    /// <see cref="ApplyListedLocked"/> says; the ids that need an inspect still, or null when the engine did not answer
    /// (the stream's reconnect or the next resync lists them again).</summary>
    private async Task<List<string>?> LookUpAsync(List<string> batch, HashSet<string> waiting, string what, CancellationToken ct)
    {
        long asked;
        lock (sync)
        {
            foreach (var id in batch) waiting.Remove(id);
            asked = sequence;
        }
        IReadOnlyList<ContainerSummary> listed;
        try
        {
            listed = await engine.ListContainersByIdAsync(batch, ct);
        }
        catch (EngineException e)
        {
            logger.LogWarning("Lookup of {Count} {What} failed (their bind mounts are not verified; the next listing corrects the cache): {Error}", batch.Count, what, e.Message);
            return null;
        }
        lock (sync) return ApplyListedLocked(batch, listed, asked);
    }

    /// <summary>Looks once at each started container (its health state and ports): applied unless an event for it came
    /// after the look was sent (then it looks again), so a look never overwrites a newer event. One queued alone is
    /// inspected; while more are queued (a burst of starts) they are looked up together, up to <see cref="LookupBatch"/>
    /// in one list call, and only those that need an inspect get one (see <see cref="ApplyListedLocked"/>). Each inspect of
    /// a running container is also handed to <paramref name="running"/> (the bind-mount check of every start: this is the
    /// one inspect after a start event).</summary>
    public Task RunInspectionsAsync(Func<ContainerDetails, Task> running, CancellationToken ct) =>
        Task.WhenAll(RunLooksAsync(running, ct), RunConfirmationsAsync(ct));

    private async Task RunLooksAsync(Func<ContainerDetails, Task> running, CancellationToken ct)
    {
        var batch = new List<string>(LookupBatch);
        while (await inspections.Reader.WaitToReadAsync(ct))
        {
            batch.Clear();
            while (batch.Count < LookupBatch && inspections.Reader.TryRead(out var queued)) batch.Add(queued);
            if (batch.Count == 1)
            {
                await InspectAsync(batch[0], running, ct);
                continue;
            }
            if (await LookUpAsync(batch, waitingInspection, "containers after their events", ct) is not { } inspect) continue;
            foreach (var id in inspect) await InspectAsync(id, running, ct);
        }
    }

    /// <summary>Containers looked up together at most: one list call that answers in about the time of one inspect.</summary>
    internal const int LookupBatch = 64;

    /// <summary>Applies a lookup of <paramref name="batch"/> sent after event <paramref name="asked"/>; returns the ids
    /// that need an inspect still: one running with a bind mount (its bind check needs the inspect's pid), and one the list
    /// shows in another state than its events left it in (the list's view can lag the event: the inspect reads the
    /// container itself).</summary>
    private List<string> ApplyListedLocked(List<string> batch, IReadOnlyList<ContainerSummary> listed, long asked)
    {
        var inspect = new List<string>();
        var byId = listed.ToDictionary(c => c.Id, StringComparer.Ordinal);
        foreach (var id in batch)
        {
            if (SupersededLocked(id, asked)) continue;
            var entry = byId.GetValueOrDefault(id);
            if (entry is not null && labels.IsOwned(entry.Labels) && containers.TryGetValue(id, out var known)
                && (entry is { State: ContainerState.Running, HasBinds: true } || entry.State != known.State)) inspect.Add(id);
            else ApplyLookLocked(id, entry);
        }
        return inspect;
    }

    /// <summary>Whether a look at <paramref name="id"/> sent after event <paramref name="asked"/> is older than an event
    /// for it (or <paramref name="superseded"/> says so): then it is not applied, and the cache looks again, so a look
    /// never overwrites a newer event.</summary>
    private bool SupersededLocked(string id, long asked, bool superseded = false)
    {
        if (!superseded && lastEvent.GetValueOrDefault(id) <= asked) return false;
        if (containers.ContainsKey(id)) InspectLocked(id);
        return true;
    }

    /// <summary>What a look saw (an inspect, a list entry) replaces the cached container; nothing seen, or labels not this
    /// instance's (they were its image's), removes it. A container the cache no longer holds is not added back.</summary>
    private void ApplyLookLocked(string id, ContainerSummary? seen)
    {
        if (seen is null || !labels.IsOwned(seen.Labels)) containers = containers.Remove(id);
        else if (containers.ContainsKey(id)) containers = containers.SetItem(id, seen);
    }

    private async Task InspectAsync(string id, Func<ContainerDetails, Task> running, CancellationToken ct)
    {
        long asked;
        lock (sync)
        {
            waitingInspection.Remove(id);
            asked = sequence;
        }
        ContainerDetails? details;
        try
        {
            details = await engine.InspectContainerAsync(id, ct);
        }
        catch (EngineException e)
        {
            logger.LogWarning("Inspect of container {Id} after its event failed (its bind mounts are not verified; the next listing corrects the cache): {Error}", id, e.Message);
            return; // the stream's reconnect or the next resync lists it again
        }
        if (details is { State: ContainerState.Running }) await running(details);
        lock (sync)
            if (!SupersededLocked(id, asked)) ApplyLookLocked(id, details is null ? null : ContainerEvents.FromDetails(details));
    }

    /// <summary>Inspects queued and not yet taken by <see cref="RunInspectionsAsync"/>.</summary>
    internal int QueuedInspections
    {
        get { lock (sync) return waitingInspection.Count; }
    }

    /// <summary>The sequence of the last event applied: an inspect sent after reading it is newer than every event up to it.</summary>
    internal long EventSequence
    {
        get { lock (sync) return sequence; }
    }

    /// <summary>The agent is about to start container <paramref name="id"/> and inspects it right after: the inspect its
    /// start event would queue is left to the caller (see <see cref="InspectHandover"/>). While the cache is not current
    /// its events may be lost: nothing is handed over then.</summary>
    public InspectHandover HandOverInspect(string id)
    {
        lock (sync)
        {
            if (!current || handovers.ContainsKey(id)) return InspectHandover.None(id); // two starts of one container at once: the cache looks itself
            var handover = new InspectHandover(this, id);
            handovers[id] = handover;
            return handover;
        }
    }

    /// <summary>The starter's inspect, sent after the event sequence was <paramref name="asked"/>: applied as the cache's
    /// own would be when the start event came before that and no event since; otherwise the cache inspects itself.</summary>
    internal void HandedOver(InspectHandover handover, ContainerDetails? details, long asked)
    {
        lock (sync)
        {
            if (!EndLocked(handover) || handover.SkippedAt is not { } skipped) return; // its start event, when it comes, queues the cache's inspect
            if (!SupersededLocked(handover.Id, asked, superseded: skipped > asked))
                ApplyLookLocked(handover.Id, details is null ? null : ContainerEvents.FromDetails(details));
        }
    }

    /// <summary>The starter did not hand an inspect over (its start or inspect failed): the cache inspects itself if it
    /// left a start event's inspect to it.</summary>
    internal void GaveUp(InspectHandover handover)
    {
        lock (sync)
            if (EndLocked(handover) && handover.SkippedAt is not null && containers.ContainsKey(handover.Id)) InspectLocked(handover.Id);
    }

    private bool EndLocked(InspectHandover handover)
    {
        if (handover.Done) return false;
        handover.Done = true;
        if (handovers.GetValueOrDefault(handover.Id) == handover) handovers.Remove(handover.Id);
        return true;
    }

    /// <summary>After a plan made or removed networks or volumes (their events carry no labels, so the stream does not
    /// bring them): the object's own, listed again.</summary>
    public async Task RelistObjectAsync(ObjectKey key, CancellationToken ct)
    {
        var selector = LabelSelector.ForInstance(labels).And(labels.Kind, key.Kind).And(labels.Object, key.Name);
        bool Mine(IReadOnlyDictionary<string, string> l) => l.GetValueOrDefault(labels.Kind) == key.Kind && l.GetValueOrDefault(labels.Object) == key.Name;
        await listing.WaitAsync(ct); // a full listing that began earlier must not land over this newer one
        try
        {
            var listedNetworks = engine.ListNetworksAsync(selector, ct);
            var listedVolumes = engine.ListVolumesAsync(selector, ct);
            await Task.WhenAll(listedNetworks, listedVolumes);
            lock (sync)
            {
                networks = networks.RemoveRange(networks.Values.Where(n => Mine(n.Labels)).Select(n => n.Id))
                    .SetItems(listedNetworks.Result.Where(n => labels.IsOwned(n.Labels)).Select(n => KeyValuePair.Create(n.Id, n)));
                volumes = volumes.RemoveRange(volumes.Values.Where(v => Mine(v.Labels)).Select(v => v.Name))
                    .SetItems(listedVolumes.Result.Where(v => labels.IsOwned(v.Labels)).Select(v => KeyValuePair.Create(v.Name, v)));
            }
        }
        finally
        {
            listing.Release();
        }
    }
}
