using System.Collections.Concurrent;
using System.Text.Json;
using Agent.Core.Planning;
using Agent.Core.Model;

namespace Agent.Reconciliation;

/// <summary>
/// What the reconciler remembers between observations: since when a container is unhealthy (for the
/// liveness-style restart), and how often it crashed right after the agent started it (CrashLoopBackOff).
/// </summary>
public sealed class HealthTracker
{
    private readonly TimeProvider time;
    private readonly string file;
    private readonly Lock saveLock = new();
    private readonly State.UnsavedRecords unsaved;

    /// <param name="stateDir">Where failure counts are kept (failures.json), so that on-failure:N survives an agent restart.</param>
    /// <param name="unsaved">The agent's one set of unsaved records (DI's singleton): /readyz's <c>records</c> check reads it,
    /// so a tracker without it (or with a set of its own) would keep its failed writes from the probe.</param>
    public HealthTracker(TimeProvider time, string stateDir, State.UnsavedRecords unsaved)
    {
        this.time = time;
        this.unsaved = unsaved;
        file = Path.Combine(stateDir, FileName);
        try
        {
            if (File.Exists(file))
                foreach (var (id, r) in JsonSerializer.Deserialize(File.ReadAllText(file), Http.AgentJsonContext.Default.DictionaryStringFailureRecord) ?? [])
                {
                    exits[id] = (r.Failures, r.Last);
                    beforeLastStart[id] = r.BeforeLastStart;
                }
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            // A corrupt record starts counting afresh; the engine's restart count still bounds it (UnwatchedExits).
        }
    }

    public const string FileName = "failures.json";

    public sealed record FailureRecord(int Failures, DateTimeOffset? Last, int BeforeLastStart);

    /// <summary>A container that dies sooner than this after a start counts as a crash.</summary>
    public static readonly TimeSpan CrashWindow = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, DateTimeOffset> unhealthySince = new();
    private readonly ConcurrentDictionary<string, (DateTimeOffset StartedAt, int Crashes)> starts = new();
    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset? Last)> exits = new();
    private readonly ConcurrentDictionary<string, int> beforeLastStart = new();

    /// <summary>The exit code of each container's latest failure (in memory: a crash loop says it again at its next exit).</summary>
    private readonly ConcurrentDictionary<string, int> lastExitCodes = new();

    /// <param name="restartCount">For an exited container: the engine's restarts since its last start, which bounds the
    /// failures from below when exits happened while the agent was not watching.</param>
    public ObservedContainer Annotate(ObservedContainer c, long? restartCount = null)
    {
        var now = time.GetUtcNow();
        DateTimeOffset? since = null;
        if (c.Health == HealthState.Unhealthy && c.IsRunning) since = unhealthySince.GetOrAdd(c.Id, now);
        else unhealthySince.TryRemove(c.Id, out _);

        DateTimeOffset? backoff = null;
        if (!c.IsRunning && starts.TryGetValue(c.Id, out var s) && s.Crashes > 0)
            backoff = s.StartedAt + Backoff(s.Crashes);
        var (failures, lastFailure) = exits.TryGetValue(c.Id, out var e) ? e : (0, (DateTimeOffset?)null);
        if (restartCount is { } restarts)
            failures = Math.Max(failures, UnwatchedExits.Failures(beforeLastStart.GetValueOrDefault(c.Id), restarts, c.ExitCode));
        return c with
        {
            UnhealthySince = since, BackoffUntil = backoff, Failures = failures, LastFailure = lastFailure,
            LastFailureExitCode = lastExitCodes.TryGetValue(c.Id, out var code) ? code : null,
        };
    }

    /// <summary>Called for every "die" event the agent did not cause: a non-zero exit counts as a failure, whoever restarts it.</summary>
    public void RecordExit(string containerId, int? exitCode)
    {
        if (exitCode is not (not 0 and { } code)) return;
        lastExitCodes[containerId] = code;
        var now = time.GetUtcNow();
        exits.AddOrUpdate(containerId, _ => (1, now), (_, previous) => (previous.Failures + 1, now));
        Save();
    }

    /// <summary>Called for every "start" event: a container that failed before is in its crash window again from this
    /// start on (<see cref="ObservedContainer.CrashWindow"/>), so it serves only once it has run that long. Under the
    /// engine's restart back-off (which grows past the window) every short run would otherwise read ready (probe-38: a
    /// replica exiting after 2 s read Ready=True at each restart).</summary>
    public void RecordRestart(string containerId)
    {
        var now = time.GetUtcNow();
        if (exits.TryGetValue(containerId, out var e) && e.Last is { } last && last < now)
            exits.TryUpdate(containerId, (e.Failures, now), e);
    }

    /// <summary>Called when the agent (re)starts a container: counts a crash when the last start was recent.</summary>
    public void RecordStart(string containerId)
    {
        var now = time.GetUtcNow();
        starts.AddOrUpdate(containerId,
            _ => (now, 0),
            (_, previous) => (now, now - previous.StartedAt < CrashWindow ? previous.Crashes + 1 : 0));
        unhealthySince.TryRemove(containerId, out _);
        // The engine counts its restarts from 0 again after every start: remember how many failures came before.
        if (exits.TryGetValue(containerId, out var e) && beforeLastStart.GetValueOrDefault(containerId) != e.Failures)
        {
            beforeLastStart[containerId] = e.Failures;
            Save();
        }
    }

    public int Crashes(string containerId) => starts.TryGetValue(containerId, out var s) ? s.Crashes : 0;

    public void Forget(string containerId)
    {
        starts.TryRemove(containerId, out _);
        unhealthySince.TryRemove(containerId, out _);
        lastExitCodes.TryRemove(containerId, out _);
        var had = beforeLastStart.TryRemove(containerId, out _);
        if (exits.TryRemove(containerId, out _) || had) Save();
    }

    private void Save()
    {
        lock (saveLock)
        {
            var records = exits.ToDictionary(kv => kv.Key, kv => new FailureRecord(kv.Value.Failures, kv.Value.Last, beforeLastStart.GetValueOrDefault(kv.Key)));
            try
            {
                State.StateFile.Write(file, JsonSerializer.Serialize(records, Http.AgentJsonContext.Default.DictionaryStringFailureRecord));
                unsaved.Saved(file);
            }
            catch (State.StateWriteException e)
            {
                // The counts are kept in memory (a die on the events stream must not end it: probe-18 F10), saved again later.
                unsaved.Failed(file, e, "the failure counts (restart: on-failure:N, CrashLoopBackOff) are kept in memory; a restart of the agent " +
                                        "before it is saved counts from the engine's restart counts", Save);
            }
        }
    }

    // The first two quick deaths restart at once; after that 1 s, 2 s, 4 s ... up to 5 minutes, like CrashLoopBackOff.
    private static TimeSpan Backoff(int crashes) =>
        crashes <= 2 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, crashes - 3)));
}
