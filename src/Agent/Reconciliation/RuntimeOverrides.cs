using System.Text.Json;
using Agent.Core.Model;

namespace Agent.Reconciliation;

/// <summary>Runtime suspend overrides (the API's group stop), persisted in the state dir so they survive restarts.</summary>
public sealed class RuntimeOverrides
{
    private readonly string file;
    private readonly Lock sync = new();
    private HashSet<string> suspended;

    public RuntimeOverrides(string stateDir)
    {
        file = Path.Combine(stateDir, "suspended.json");
        suspended = File.Exists(file)
            ? JsonSerializer.Deserialize<HashSet<string>>(File.ReadAllText(file)) ?? []
            : [];
    }

    public bool IsSuspended(ObjectKey key)
    {
        lock (sync) return suspended.Contains(key.ToString());
    }

    public void SetSuspended(ObjectKey key, bool value)
    {
        lock (sync)
        {
            if (value ? !suspended.Add(key.ToString()) : !suspended.Remove(key.ToString())) return;
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var temp = file + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(suspended.Order(StringComparer.Ordinal)));
            File.Move(temp, file, overwrite: true);
        }
    }
}
