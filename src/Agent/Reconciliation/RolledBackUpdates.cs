using Agent.Core.Model;
using Agent.State;

namespace Agent.Reconciliation;

/// <summary>
/// The updates whose health gate failed and were rolled back, per object, as <c>service@specHash</c>: such a spec is
/// not tried again until the manifest changes. Kept in the state dir (<c>rolled-back.json</c>): an agent restarted (kill
/// -9, an upgrade, a reboot, its liveness probe) must not stop a serving stop-first service again for a whole
/// healthTimeout to learn what it knew already (probe-15j H1). Each entry keeps its cause (the engine's error, the last
/// health check), written after a tab (<c>web@abc\tits new container did not become healthy: ...</c>), so the Degraded
/// condition names it at every reconcile, after a restart too; an entry without one is read as before.
/// </summary>
public sealed class RolledBackUpdates
{
    public const string FileName = "rolled-back.json";

    private readonly Lock sync = new();
    private readonly Dictionary<ObjectKey, Dictionary<string, string?>> failed = []; // service@hash -> cause
    private readonly string? file;
    private readonly ILogger logger;

    /// <param name="stateDir">Null: remembered in memory only (one-shot commands that apply nothing).</param>
    public RolledBackUpdates(string? stateDir, ILogger logger)
    {
        this.logger = logger;
        if (stateDir is null) return;
        file = Path.Combine(stateDir, FileName);
        foreach (var (key, updates) in StateFile.ReadJson<Dictionary<string, SortedSet<string>>>(file, logger) ?? [])
            if (ObjectKey.TryParse(key, out var parsed))
                failed[parsed] = updates.Select(u => u.Split('\t', 2)).GroupBy(u => u[0], StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.Select(u => u.Length > 1 ? u[1] : null).FirstOrDefault(c => c is not null), StringComparer.Ordinal);
    }

    /// <summary>The rolled-back updates of <paramref name="key"/> that are still wanted (<paramref name="current"/>, when
    /// known: a changed manifest gives a new hash, and entries for hashes no longer desired are dropped).</summary>
    public IReadOnlySet<string> Of(ObjectKey key, IReadOnlySet<string>? current)
    {
        lock (sync)
        {
            if (!failed.TryGetValue(key, out var updates)) return new HashSet<string>();
            // Dropped in memory only: the file follows at the next change, so a read (agent diff) never writes.
            if (current is not null)
                foreach (var gone in updates.Keys.Where(u => !current.Contains(u)).ToList()) updates.Remove(gone);
            if (updates.Count == 0) failed.Remove(key);
            return updates.Keys.ToHashSet(StringComparer.Ordinal);
        }
    }

    /// <summary>Why <paramref name="update"/> (service@hash) of <paramref name="key"/> was rolled back, when known.</summary>
    public string? CauseOf(ObjectKey key, string update)
    {
        lock (sync)
            return failed.TryGetValue(key, out var updates) ? updates.GetValueOrDefault(update) : null;
    }

    public void Remember(ObjectKey key, IEnumerable<string> rolledBack, IReadOnlyDictionary<string, string>? causes = null)
    {
        lock (sync)
        {
            if (!failed.TryGetValue(key, out var updates)) failed[key] = updates = new Dictionary<string, string?>(StringComparer.Ordinal);
            var changed = false;
            foreach (var u in rolledBack)
            {
                var cause = causes?.GetValueOrDefault(u) ?? (updates.TryGetValue(u, out var known) ? known : null);
                if (updates.TryGetValue(u, out var before) && before == cause) continue;
                updates[u] = cause;
                changed = true;
            }
            if (changed) Save();
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
        StateFile.WriteJsonOrWarn(file, failed.ToDictionary(p => p.Key.ToString(),
                p => new SortedSet<string>(p.Value.Select(u => u.Value is null ? u.Key : $"{u.Key}\t{u.Value}"), StringComparer.Ordinal)),
            logger, "the rolled-back updates are remembered while the agent runs");
    }
}
