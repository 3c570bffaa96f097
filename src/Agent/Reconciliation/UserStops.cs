using System.Collections.Concurrent;
using System.Text.Json;

namespace Agent.Reconciliation;

/// <summary>
/// Tells a user's stop from the agent's own. The agent marks every container it is about to stop, kill, restart or
/// remove; a kill or stop event for a container it did not mark is the user's (`docker stop`, `docker kill`).
/// The API's stop is recorded directly. Both are persisted in the state dir and last until the container is started
/// again (by the API, `docker start` or a restart) or removed.
/// </summary>
public sealed class UserStops
{
    public const string ByApi = "api";
    public const string ByEngine = "engine";
    private static readonly TimeSpan OwnMarkSlack = TimeSpan.FromSeconds(30);

    private readonly string file;
    private readonly TimeProvider time;
    private readonly Lock sync = new();
    private readonly Dictionary<string, string> stopped;
    private readonly ConcurrentDictionary<string, DateTimeOffset> own = new(StringComparer.Ordinal);

    public UserStops(string stateDir, TimeProvider time)
    {
        this.time = time;
        file = Path.Combine(stateDir, "user-stops.json");
        try
        {
            stopped = File.Exists(file) ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(file)) ?? [] : [];
        }
        catch (JsonException)
        {
            stopped = []; // a corrupt record forgets user stops; it never stops anything
        }
    }

    /// <summary>The agent is about to stop this container (id or name) itself, waiting up to <paramref name="grace"/>.</summary>
    public void MarkOwn(string target, TimeSpan? grace = null) =>
        own[target] = time.GetUtcNow() + (grace ?? TimeSpan.FromSeconds(10)) + OwnMarkSlack;

    public bool IsOwn(string id, string? name)
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
        lock (sync) return stopped.GetValueOrDefault(id);
    }

    public void Record(string id, string by)
    {
        lock (sync)
        {
            if (stopped.GetValueOrDefault(id) == ByApi) return; // the API's override is the stronger one
            stopped[id] = by;
            Save();
        }
    }

    public void Clear(string id)
    {
        lock (sync)
        {
            if (stopped.Remove(id)) Save();
        }
    }

    private void Save()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var temp = file + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(stopped));
        File.Move(temp, file, overwrite: true);
    }
}
