using Agent.Core.Model;
using Agent.State;

namespace Agent.Reconciliation;

/// <summary>
/// The updates whose health gate failed and were rolled back, per object, as <c>service@specHash</c>: such a spec is
/// not tried again until the manifest changes. Kept in the state dir (<c>rolled-back.json</c>): an agent restarted (kill
/// -9, an upgrade, a reboot, its liveness probe) must not stop a serving stop-first service again for a whole
/// healthTimeout to learn what it knew already (probe-15j H1).
/// </summary>
public sealed class RolledBackUpdates
{
    public const string FileName = "rolled-back.json";

    private readonly Lock sync = new();
    private readonly Dictionary<ObjectKey, HashSet<string>> failed = [];
    private readonly string? file;
    private readonly ILogger logger;

    /// <param name="stateDir">Null: remembered in memory only (one-shot commands that apply nothing).</param>
    public RolledBackUpdates(string? stateDir, ILogger logger)
    {
        this.logger = logger;
        if (stateDir is null) return;
        file = Path.Combine(stateDir, FileName);
        foreach (var (key, updates) in StateFile.ReadJson<Dictionary<string, SortedSet<string>>>(file, logger) ?? [])
            if (ObjectKey.TryParse(key, out var parsed)) failed[parsed] = updates.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The rolled-back updates of <paramref name="key"/> that are still wanted (<paramref name="current"/>, when
    /// known: a changed manifest gives a new hash, and entries for hashes no longer desired are dropped).</summary>
    public IReadOnlySet<string> Of(ObjectKey key, IReadOnlySet<string>? current)
    {
        lock (sync)
        {
            if (!failed.TryGetValue(key, out var updates)) return new HashSet<string>();
            // Dropped in memory only: the file follows at the next change, so a read (agent diff) never writes.
            if (current is not null) updates.IntersectWith(current);
            if (updates.Count == 0) failed.Remove(key);
            return updates.ToHashSet();
        }
    }

    public void Remember(ObjectKey key, IEnumerable<string> rolledBack)
    {
        lock (sync)
        {
            if (!failed.TryGetValue(key, out var updates)) failed[key] = updates = new HashSet<string>(StringComparer.Ordinal);
            if (rolledBack.Aggregate(false, (changed, u) => updates.Add(u) | changed)) Save();
        }
    }

    /// <summary>Forgets a deleted object.</summary>
    public void Forget(ObjectKey key)
    {
        lock (sync)
            if (failed.Remove(key)) Save();
    }

    private void Save()
    {
        if (file is null) return;
        StateFile.WriteJsonOrWarn(file, failed.ToDictionary(p => p.Key.ToString(), p => new SortedSet<string>(p.Value, StringComparer.Ordinal)),
            logger, "the rolled-back updates are remembered while the agent runs");
    }
}
