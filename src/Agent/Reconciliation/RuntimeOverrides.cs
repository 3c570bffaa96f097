using Agent.Core.Model;
using Agent.State;

namespace Agent.Reconciliation;

/// <summary>Runtime suspend overrides (the API's group stop), persisted in the state dir so they survive restarts.
/// A change is saved before it takes effect: when the file cannot be written, nothing changes.</summary>
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

    public bool IsSuspended(ObjectKey key)
    {
        lock (sync) return suspended.Contains(key.ToString());
    }

    /// <summary>Records a stop or start; throws <see cref="StateWriteException"/> (and changes nothing) when it cannot be saved.</summary>
    public void SetSuspended(ObjectKey key, bool value)
    {
        lock (sync)
        {
            var next = new HashSet<string>(suspended, StringComparer.Ordinal);
            if (value ? !next.Add(key.ToString()) : !next.Remove(key.ToString())) return;
            StateFile.WriteJson(file, next.Order(StringComparer.Ordinal));
            suspended = next;
        }
    }
}
