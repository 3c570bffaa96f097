using Agent.Core.Model;
using Agent.State;

namespace Agent.Status;

/// <summary>
/// When the agent first saw each object (objects-since.json in the state dir, kind/name -> time): an object's AGE counts
/// from it across the agent's restarts. Its containers' creation times tell an older age too, but only once the engine
/// answers: after a restart while the engine was away, AGE counted from the restart (probe-36). Saved a second after a
/// change (a first read of thousands of objects writes it once, not once each); a record that cannot be read is moved
/// aside and AGE counts as it did before.
/// </summary>
public sealed class FirstSeen : IDisposable
{
    public const string FileName = "objects-since.json";

    private readonly Lock sync = new();
    private readonly Dictionary<string, DateTimeOffset> seen;
    private readonly string? file;
    private readonly ILogger logger;
    private Timer? pending; // under sync: a save is due

    private static readonly TimeSpan SaveDelay = TimeSpan.FromSeconds(1);

    /// <param name="stateDir">Null: remembered in memory only (one-shot commands, tests).</param>
    public FirstSeen(string? stateDir, ILogger<FirstSeen> logger)
    {
        this.logger = logger;
        file = string.IsNullOrEmpty(stateDir) ? null : Path.Combine(stateDir, FileName);
        seen = new Dictionary<string, DateTimeOffset>((file is null ? null : StateFile.ReadJson<Dictionary<string, DateTimeOffset>>(file, logger)) ?? [], StringComparer.Ordinal);
    }

    /// <summary>When <paramref name="key"/> was first seen; <paramref name="now"/> (and remembered) for a new one.</summary>
    public DateTimeOffset Of(ObjectKey key, DateTimeOffset now)
    {
        var text = key.ToString();
        lock (sync)
        {
            if (seen.TryGetValue(text, out var first)) return first;
            seen[text] = now;
            SaveSoonLocked();
            return now;
        }
    }

    /// <summary>The object is known to be older (its oldest container's creation): remembered as its first sight.</summary>
    public void NoLaterThan(ObjectKey key, DateTimeOffset since)
    {
        var text = key.ToString();
        lock (sync)
        {
            if (!seen.TryGetValue(text, out var first) || first <= since) return;
            seen[text] = since;
            SaveSoonLocked();
        }
    }

    /// <summary>The object is deleted: one made again under its name starts a new age.</summary>
    public void Forget(ObjectKey key)
    {
        lock (sync)
            if (seen.Remove(key.ToString())) SaveSoonLocked();
    }

    private void SaveSoonLocked()
    {
        if (file is null || pending is not null) return;
        pending = new Timer(_ =>
        {
            lock (sync) SaveLocked();
        }, null, SaveDelay, Timeout.InfiniteTimeSpan);
    }

    private void SaveLocked()
    {
        if (pending is null) return;
        pending.Dispose();
        pending = null;
        StateFile.WriteJsonOrWarn(file!, seen.OrderBy(s => s.Key, StringComparer.Ordinal).ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal), logger,
            "AGE is remembered while the agent runs");
    }

    /// <summary>A change still waiting for its save is written as the agent stops: an age lowered (an older container) in
    /// its last second was lost, and the next agent showed the later time (CI: AgeAcrossRestartTests).</summary>
    public void Dispose()
    {
        lock (sync) SaveLocked();
    }
}
