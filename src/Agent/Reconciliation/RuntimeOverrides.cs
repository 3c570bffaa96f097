using Agent.Core.Model;
using Agent.State;

namespace Agent.Reconciliation;

/// <summary>Runtime suspend overrides (the API's group stop), persisted in the state dir so they survive restarts.
/// A change is saved before it takes effect: when the file cannot be written, nothing changes. A compose project brought
/// down with its volumes is recorded as "{kind}/{name}?volumes=true" in the same file, so both facts change at once.</summary>
public sealed class RuntimeOverrides
{
    public const string FileName = "suspended.json";

    private readonly string file;
    private readonly Lock sync = new();
    private HashSet<string> suspended;

    public RuntimeOverrides(string stateDir, ILogger<RuntimeOverrides> logger)
    {
        file = Path.Combine(stateDir, FileName);
        suspended = StateFile.ReadJson<HashSet<string>>(file, logger) ?? [];
    }

    private const string WithVolumes = "?volumes=true";

    public bool IsSuspended(ObjectKey key)
    {
        lock (sync) return suspended.Contains(key.ToString()) || suspended.Contains(key + WithVolumes);
    }

    /// <summary>Brought down with `down?volumes=true`: its named volumes are removed while it is down.</summary>
    public bool RemovesVolumes(ObjectKey key)
    {
        lock (sync) return suspended.Contains(key + WithVolumes);
    }

    /// <summary>Records a stop (with or without removing volumes) or a start; throws <see cref="StateWriteException"/>
    /// (and changes nothing) when it cannot be saved.</summary>
    public void SetSuspended(ObjectKey key, bool value, bool removeVolumes = false)
    {
        lock (sync)
        {
            var next = new HashSet<string>(suspended, StringComparer.Ordinal);
            next.Remove(key.ToString());
            next.Remove(key + WithVolumes);
            if (value) next.Add(removeVolumes ? key + WithVolumes : key.ToString());
            if (next.SetEquals(suspended)) return;
            StateFile.WriteJson(file, next.Order(StringComparer.Ordinal).ToList());
            suspended = next;
        }
    }
}
