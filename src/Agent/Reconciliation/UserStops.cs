using System.Collections.Concurrent;
using System.Text.Json;
using Agent.Core;

namespace Agent.Reconciliation;

/// <summary>
/// Tells a user's stop from the agent's own. The agent marks every container it is about to stop, kill, restart or
/// remove; a kill or stop event for a container it did not mark is the user's (`docker stop`, `docker kill`).
/// The API's stop is recorded directly. Both are persisted in the state dir and last until the container is started
/// again (by the API, `docker start` or a restart) or removed. Every record ends at a start, however the start is seen:
/// its start event, the agent's own start, or a listing that finds the container running since the record
/// (<see cref="EndIfStartedSince"/>: a start that an agent killed -9 made, or one made while no agent watched).
/// </summary>
public sealed class UserStops
{
    public const string ByApi = "api";
    public const string ByEngine = "engine";

    /// <summary>Not a user stop: the agent stopped it (persisted so that an exit seen after an agent restart can be told apart).</summary>
    public const string ByAgent = "agent";

    /// <summary>Not a user stop: the engine's shutdown stopped it (its kill came while the engine took no new connection,
    /// <see cref="Agent.Engine.IContainerEngine.AcceptsConnectionsAsync"/>). Like <see cref="ByAgent"/> for every rule, and
    /// status says the container exited when the engine stopped.</summary>
    public const string ByShutdown = "shutdown";
    private static readonly TimeSpan OwnMarkSlack = TimeSpan.FromSeconds(30);

    private readonly string file;
    private readonly TimeProvider time;
    private readonly Lock sync = new();
    private Dictionary<string, string> stopped; // replaced whole, only after the new one is on disk
    private readonly ConcurrentDictionary<string, DateTimeOffset> own = new(StringComparer.Ordinal);

    /// <summary>When this run of the agent last recorded (or asked) a stop of the container, in the engine's clock (the
    /// host's UTC time, which the engine's StartedAt is in); absent for a record read from the file, made by an earlier run.
    /// Under <see cref="sync"/>.</summary>
    private readonly Dictionary<string, DateTimeOffset> recordedAt = new(StringComparer.Ordinal);

    /// <param name="unsaved">The agent's one set of unsaved records (DI's singleton): /readyz's <c>records</c> check reads it,
    /// so a record with a set of its own would keep its failed writes from the probe.</param>
    public UserStops(string stateDir, TimeProvider time, ILogger<UserStops> logger, State.UnsavedRecords unsaved)
    {
        this.time = time;
        this.unsaved = unsaved;
        file = Path.Combine(stateDir, FileName);
        lost = new State.LostRecord(file, logger);
        stopped = lost.Read(Parse, LostHolds) ?? []; // never written, or lost: held by Lost, not read as empty
    }

    public const string FileName = "user-stops.json";

    /// <summary>What the agent holds while <c>user-stops.json.lost</c> exists (<see cref="HeldReason"/>).</summary>
    public const string LostHolds = "the agent starts no stopped container of a ServiceGroup or ComposeProject that it did not stop itself " +
                                    "(it shows as held stopped): which of them an operator had stopped is unknown. Start what should run " +
                                    "(POST .../containers/{id}/start or docker start), then delete the marker.";

    /// <summary>A stopped container while the record is lost: no stop is recorded for it since, and the agent did not stop it.</summary>
    public const string ByUnknown = "unknown";

    private readonly State.LostRecord lost;
    private readonly State.UnsavedRecords unsaved;

    /// <summary>The record in memory is newer than the file: a stop or start seen on the events stream could not be saved
    /// (<see cref="RecordSeen"/>); written again by <see cref="State.UnsavedRecords"/> until it lands.</summary>
    private bool dirty;

    /// <summary>What holds while the file cannot be saved (<see cref="State.UnsavedRecords"/>).</summary>
    public const string UnsavedMeanwhile = "the user stops and starts seen since are kept in memory and shown (StoppedByUser); " +
                                           "a restart of the agent before it is saved would not know them";

    /// <summary>Why the record in memory is not saved (the write's error), or null when the file holds it.</summary>
    public string? Unsaved { get; private set; }

    /// <summary>The record as the agent writes it (a JSON object of container id to api, engine or agent; {} when nothing is
    /// recorded), or why it is torn: empty, not JSON, not an object, a key that is no container id, an unknown value.</summary>
    public static (Dictionary<string, string>? Stops, string? Problem) Parse(string text)
    {
        if (text.Trim().Length == 0) return (null, "the file is empty");
        Dictionary<string, string>? stops;
        try
        {
            stops = JsonSerializer.Deserialize(text, Http.AgentJsonContext.Default.DictionaryStringString);
        }
        catch (JsonException e)
        {
            return (null, State.StateFile.Where(e));
        }
        if (stops is null) return (null, "the file holds null, not an object");
        foreach (var (id, by) in stops)
        {
            if (id.Length != 64 || !id.All(char.IsAsciiHexDigitLower)) return (null, $"{Short(id)} is not a container id");
            if (by is not (ByApi or ByEngine or ByAgent or ByShutdown)) return (null, $"{id[..12]} is stopped by {(by is null ? "null" : Short(by))}, not api, engine, agent or shutdown");
        }
        return (new Dictionary<string, string>(stops, StringComparer.Ordinal), null);
    }

    private static string Short(string text) => $"\"{(text.Length <= 40 ? text : text[..40] + "...")}\"";

    /// <summary>Why the record of user stops is lost (the text of <c>user-stops.json.lost</c>), or null.</summary>
    public string? Lost => lost.Why();

    /// <summary>The agent is about to stop this container (id or name) itself, waiting up to <paramref name="grace"/>.
    /// A stop by id is also persisted (<see cref="ByAgent"/>): after an agent restart, a container found exited is
    /// known to be the agent's own stop (a suspend, an update), not one made while the agent was not running.</summary>
    public void MarkOwn(string target, TimeSpan? grace = null)
    {
        // Marked in memory only once saved: a stop that is then not asked (the state dir cannot take the record) is no stop
        // under way (probe-31 F6: the containers of a prune refused on a read-only state dir read as stopping, READY 0/N).
        if (target.Length >= 64) // a name can be given to a later container; only ids are persisted
            lock (sync)
            {
                if (!stopped.ContainsKey(target)) Save(next => next[target] = ByAgent); // a user's stop stays the user's
                recordedAt[target] = DateTimeOffset.UtcNow; // a stop asked now: the container's start before it does not end it
            }
        own[target] = time.GetUtcNow().Plus((grace ?? TimeSpan.FromSeconds(10)).Plus(OwnMarkSlack));
    }

    /// <summary>The container started again: a stop the agent marked for it is over (its kill and stop events came before
    /// the start), so a later docker stop within the mark's slack is the user's, not taken for the agent's.</summary>
    public void EndOwn(string id, string? name)
    {
        foreach (var target in own.Keys)
            if (target == id || target == name || (target.Length >= 12 && id.StartsWith(target, StringComparison.Ordinal))) own.TryRemove(target, out _);
    }

    /// <summary>A stop or kill of this container is the agent's own: one it is making now (<see cref="IsOwn"/>), or one an
    /// earlier run of the agent recorded before it asked the engine (<see cref="StoppedByAgentItself"/>, until the container
    /// starts again). A stop asked for just before a kill -9 lands after the next agent started (a prune's, a suspend's):
    /// it is not a user's docker stop (probe-26 F5: the project stayed down for good, held as stopped by a user).</summary>
    public bool IsOwnStop(string id, string? name) => IsOwn(id, name) || StoppedByAgentItself(id);

    private bool IsOwn(string id, string? name)
    {
        var now = time.GetUtcNow();
        foreach (var (target, until) in own)
        {
            if (until < now) own.TryRemove(target, out _);
            else if (target == id || target == name || (target.Length >= 12 && id.StartsWith(target, StringComparison.Ordinal))) return true;
        }
        return false;
    }

    /// <summary>Why the container is stopped by a user (<see cref="ByApi"/> or <see cref="ByEngine"/>), or null.</summary>
    public string? Reason(string id)
    {
        lock (sync) return stopped.GetValueOrDefault(id) is { } by && by is not (ByAgent or ByShutdown) ? by : null;
    }

    /// <summary>Why a stopped container stays stopped: a user's stop (<see cref="Reason"/>), or while the record is
    /// <see cref="Lost"/> any stop the agent did not make itself (<see cref="ByUnknown"/>, kept like an API stop).</summary>
    public string? HeldReason(string id) => Reason(id) ?? (!StoppedByAgent(id) && Lost is not null ? ByUnknown : null);

    /// <summary>True when the last stop of this container was the agent's own (recorded by id, also before a restart), or
    /// the engine's shutdown (<see cref="ByShutdown"/>): not a user's either way.</summary>
    public bool StoppedByAgent(string id)
    {
        lock (sync) return stopped.GetValueOrDefault(id) is ByAgent or ByShutdown;
    }

    /// <summary>True when the last stop of this container was the agent's own (<see cref="ByAgent"/>) and it has not started since.</summary>
    public bool StoppedByAgentItself(string id)
    {
        lock (sync) return stopped.GetValueOrDefault(id) == ByAgent;
    }

    private readonly ConcurrentDictionary<string, bool> stopsInFlight = new(StringComparer.Ordinal);

    /// <summary>A running container that an earlier run of the agent asked to stop (its record is <see cref="ByAgent"/>
    /// and the engine's kill of that stop came after the container's start): the stop is still under way in the engine
    /// (a grace period longer than the agent's life), found at the agent's start (<see cref="EngineStartStops"/>).</summary>
    public void MarkStopInFlight(string id) => stopsInFlight[id] = true;

    /// <summary>Whose stop of this running container is under way, if any: it is about to exit, not serving.
    /// <list type="bullet">
    /// <item>One an earlier run of the agent asked for (<see cref="MarkStopInFlight"/>), until the container starts again
    /// (its record ends): the agent's own (a prune's, a suspend's; probe-27 F1.1: the next agent ran migrate and started
    /// app against a db whose stop then landed), or a user's through the API (probe-29 F0: `stop --service db`, then
    /// kill -9 of the agent), which once landed keeps the container stopped.</item>
    /// <item>One this run is making now, a stop, restart or removal (probe-30 F18: a prune undone, or a suspend lifted,
    /// while db's stop ran; sapp's replica was made on the dying db), until the container's exit or start, or the
    /// stop's grace and slack.</item>
    /// </list></summary>
    public StopUnderWayBy StopUnderWay(string id, string? name)
    {
        if (stopsInFlight.ContainsKey(id))
        {
            if (Reason(id) is not null) return StopUnderWayBy.User;
            if (StoppedByAgentItself(id)) return StopUnderWayBy.Agent;
            stopsInFlight.TryRemove(id, out _);
        }
        return IsOwn(id, name) ? StopUnderWayBy.Agent : StopUnderWayBy.None;
    }

    /// <summary>True when the last stop of this container was the engine's shutdown (<see cref="ByShutdown"/>).</summary>
    public bool StoppedWithEngine(string id)
    {
        lock (sync) return stopped.GetValueOrDefault(id) == ByShutdown;
    }

    /// <summary>Records a stop the API makes: throws <see cref="State.StateWriteException"/> (changing nothing) when it
    /// cannot be saved, so the API answers 507 or 500 and does not stop the container.</summary>
    public void Record(string id, string by) => Record(id, by, keepUnsaved: false);

    /// <summary>A user's stop through the API that is asked of the engine next: recorded as <see cref="Record(string, string)"/>
    /// does and, until it lands, under way (<see cref="StopUnderWay"/> reads User: the container is not serving, and status
    /// says it is being stopped; probe-33 F9).</summary>
    public void RecordApiStop(string id)
    {
        Record(id, ByApi);
        MarkStopInFlight(id);
    }

    /// <summary>A start verb is about to start <paramref name="toStart"/> (stopped containers of the object) and keep
    /// <paramref name="keptStopped"/> stopped: the first are recorded as stopped by the agent, the others as the API's stops,
    /// in one write made before the object's stop is cleared. A start cut off by an agent kill is then finished by the
    /// reconciler after the restart, a completed one-shot that the start runs again included (probe-22 F2); each record
    /// ends when its container starts. Throws <see cref="State.StateWriteException"/> (changing nothing) when it cannot be saved.</summary>
    public void RecordStartPending(IReadOnlyCollection<string> toStart, IReadOnlyCollection<string> keptStopped)
    {
        if (toStart.Count == 0 && keptStopped.Count == 0) return;
        lock (sync)
        {
            if (!(toStart.All(id => stopped.GetValueOrDefault(id) == ByAgent) && keptStopped.All(id => stopped.GetValueOrDefault(id) == ByApi)))
                Save(next =>
                {
                    foreach (var id in toStart) next[id] = ByAgent;
                    foreach (var id in keptStopped) next[id] = ByApi;
                });
            var now = DateTimeOffset.UtcNow;
            foreach (var id in toStart.Concat(keptStopped)) recordedAt[id] = now;
        }
    }

    /// <summary>Records a stop seen on the events stream (a docker stop or kill, the engine's shutdown): it has happened
    /// already, so it is kept in memory also when the state dir cannot take it (logged once, saved again later), and never
    /// throws: a full state dir does not end the events stream (probe-18 F10).</summary>
    public void RecordSeen(string id, string by) => Record(id, by, keepUnsaved: true);

    private void Record(string id, string by, bool keepUnsaved)
    {
        lock (sync)
        {
            // The API's override is the stronger one; a record of the same kind stands. Either way the stop is seen now.
            if (stopped.GetValueOrDefault(id) is not { } held || (held != ByApi && held != by)) Save(next => next[id] = by, keepUnsaved);
            recordedAt[id] = DateTimeOffset.UtcNow; // once saved, or kept in memory
        }
    }

    /// <summary>The events stream delivered this container's "die": a user's kill or stop of it, which comes before its
    /// die, is recorded by now (<see cref="StopOfExitAsync"/>).</summary>
    public void NoteExit(string id) => exits[id] = time.GetUtcNow();

    /// <summary>Who stopped a container an inspect found exited (<see cref="ByApi"/>, <see cref="ByEngine"/>), or null when
    /// it ended by itself (or its die event did not come within <paramref name="wait"/>): the engine's list and inspect can
    /// show the exit before the events stream brought the kill that caused it.</summary>
    public async Task<string?> StopOfExitAsync(string id, TimeSpan wait, CancellationToken ct)
    {
        var until = time.GetUtcNow().Plus(wait);
        while (!exits.ContainsKey(id) && Reason(id) is null && time.GetUtcNow() < until) await Task.Delay(ExitPoll, time, ct);
        foreach (var (seen, at) in exits)
            if (at < time.GetUtcNow() - ExitMemory) exits.TryRemove(seen, out _);
        return Reason(id);
    }

    private static readonly TimeSpan ExitPoll = TimeSpan.FromMilliseconds(50), ExitMemory = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, DateTimeOffset> exits = new(StringComparer.Ordinal);

    /// <summary>The API starts the container: throws <see cref="State.StateWriteException"/> (changing nothing) when the
    /// record cannot be saved.</summary>
    public void Clear(string id) => Clear(id, keepUnsaved: false);

    /// <summary>A start or removal seen on the events stream: kept in memory when it cannot be saved, never throws.</summary>
    public void ClearSeen(string id) => Clear(id, keepUnsaved: true);

    private void Clear(string id, bool keepUnsaved)
    {
        lock (sync)
        {
            if (stopped.ContainsKey(id)) Save(next => next.Remove(id), keepUnsaved);
            if (!stopped.ContainsKey(id)) recordedAt.Remove(id);
        }
    }

    /// <summary>Whether a stop of this container is recorded (any kind).</summary>
    public bool IsRecorded(string id)
    {
        lock (sync) return stopped.ContainsKey(id);
    }

    /// <summary>The container is seen running (or paused, or restarting) by a listing, started at <paramref name="startedAt"/>
    /// (the engine's StartedAt): a record of its stop ends if that start came after it (<see cref="EndedByStart"/>), as its
    /// start event would have ended it, had one reached the agent (probe-39: an agent killed -9 just after it started the
    /// containers of a group's start left their "agent" records, and the next agent took a user's docker stop of one for
    /// its own and started it again). <paramref name="earlierStopsJudged"/>: the engine's retained events have been looked
    /// at for the stops an earlier run asked that are still under way (<see cref="MarkStopInFlight"/>). Kept in memory when
    /// the file cannot be saved, as <see cref="ClearSeen"/>; never throws. Returns the record that ended, or null.</summary>
    public string? EndIfStartedSince(string id, DateTimeOffset startedAt, bool earlierStopsJudged)
    {
        lock (sync)
        {
            if (stopped.GetValueOrDefault(id) is not { } by) return null;
            var at = recordedAt.TryGetValue(id, out var recorded) ? recorded : (DateTimeOffset?)null;
            if (!EndedByStart(at, startedAt, stopsInFlight.ContainsKey(id), earlierStopsJudged)) return null;
            Save(next => next.Remove(id), keepUnsaved: true);
            recordedAt.Remove(id);
            stopsInFlight.TryRemove(id, out _);
            EndOwn(id, null);
            return by;
        }
    }

    /// <summary>Whether a record of a stop has ended by a start of its container at <paramref name="startedAt"/>, which a
    /// listing finds running: always when the start came after the record was made (<paramref name="recordedAt"/>, known for
    /// a record this run of the agent made; a start before it is one the stop has yet to end: it is under way, or about to
    /// be asked). A record an earlier run made (<paramref name="recordedAt"/> null) has ended unless its stop is still under
    /// way in the engine (<paramref name="stopInFlight"/>: the engine's kill of it came after the container's start), which
    /// is known only once the engine's events have been looked at (<paramref name="earlierStopsJudged"/>; until then it is
    /// kept). Whatever its kind: the agent's, a user's (API or docker stop) or the engine's shutdown all end at a start.</summary>
    public static bool EndedByStart(DateTimeOffset? recordedAt, DateTimeOffset startedAt, bool stopInFlight, bool earlierStopsJudged) =>
        recordedAt is { } at ? startedAt > at : earlierStopsJudged && !stopInFlight;

    /// <summary>Applies <paramref name="change"/> to a copy, writes it (StateFile: temp file and rename), and only then
    /// makes it the agent's: a write that fails (a full state dir: <see cref="State.StateWriteException"/>) changes nothing,
    /// unless <paramref name="keepUnsaved"/>: what was seen happened, so it is kept in memory and saved again later.</summary>
    private void Save(Action<Dictionary<string, string>> change, bool keepUnsaved = false)
    {
        var next = new Dictionary<string, string>(stopped, StringComparer.Ordinal);
        change(next);
        try
        {
            Write(next);
        }
        catch (State.StateWriteException e) when (keepUnsaved)
        {
            stopped = next;
            dirty = true;
            Unsaved = e.InnerException?.Message ?? e.Message;
            unsaved.Failed(file, e, UnsavedMeanwhile, SaveAgain);
            return;
        }
        stopped = next;
    }

    /// <summary>Writes the record; the record in memory is then the file's.</summary>
    private void Write(Dictionary<string, string> record)
    {
        State.StateFile.Write(file, JsonSerializer.Serialize(record, Http.AgentJsonContext.Default.DictionaryStringString));
        if (!dirty) return;
        dirty = false;
        Unsaved = null;
        unsaved.Saved(file);
    }

    /// <summary>Tries the write of a record kept in memory again (<see cref="State.UnsavedRecords"/>'s timer).</summary>
    private void SaveAgain()
    {
        lock (sync)
        {
            if (!dirty) return;
            try
            {
                Write(stopped);
            }
            catch (State.StateWriteException e)
            {
                Unsaved = e.InnerException?.Message ?? e.Message;
                unsaved.Failed(file, e, UnsavedMeanwhile, SaveAgain);
            }
        }
    }
}

/// <summary>Whose stop of a running container is under way (<see cref="UserStops.StopUnderWay"/>).</summary>
public enum StopUnderWayBy { None, Agent, User }
