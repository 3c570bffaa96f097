using Agent.Core.Model;
using Agent.State;

namespace Agent.Reconciliation;

/// <summary>
/// The compose-made networks and volumes a project adopted (`adopt: true`), persisted in the state dir (adopted.json).
/// Their labels are Compose's and cannot be changed, so this record is what makes them the project's: the observer lists
/// them with the project's own, admission lets the project (and only it) mount them, and `down?volumes=true` removes them.
/// A record is saved before the plan that relies on it runs; it is dropped when the project is pruned.
/// </summary>
public sealed class ComposeAdoptions
{
    public const string FileName = "adopted.json";

    private readonly string file;
    private readonly Lock sync = new();
    private Dictionary<string, SortedSet<string>> adopted;

    public ComposeAdoptions(string stateDir, ILogger<ComposeAdoptions> logger)
    {
        file = Path.Combine(stateDir, FileName);
        adopted = (StateFile.ReadJson<Dictionary<string, SortedSet<string>>>(file, logger) ?? [])
            .ToDictionary(e => e.Key, e => new SortedSet<string>(e.Value, StringComparer.Ordinal), StringComparer.Ordinal);
    }

    public bool Any(ObjectKey key)
    {
        lock (sync) return adopted.ContainsKey(key.ToString());
    }

    public IReadOnlySet<string> Networks(ObjectKey key) => Names(key, "network:");

    public IReadOnlySet<string> Volumes(ObjectKey key) => Names(key, "volume:");

    /// <summary>The project that adopted the network or volume of that name, or null.</summary>
    public ObjectKey? AdoptedBy(string prefix, string name)
    {
        lock (sync)
            foreach (var (key, set) in adopted)
                if (set.Contains(prefix + name) && ObjectKey.TryParse(key, out var project)) return project;
        return null;
    }

    /// <summary>Every adopted name of one kind ("network:" or "volume:"), whichever project adopted it.</summary>
    public IReadOnlyList<string> All(string prefix)
    {
        lock (sync)
            return adopted.Values.SelectMany(set => set).Where(r => r.StartsWith(prefix, StringComparison.Ordinal)).Select(r => r[prefix.Length..]).Distinct().ToList();
    }

    /// <summary>Adds "network:x"/"volume:y" entries; throws <see cref="StateWriteException"/> (changing nothing) when it cannot save.</summary>
    public void Record(ObjectKey key, IEnumerable<string> resources) => Change(next =>
    {
        var set = next.TryGetValue(key.ToString(), out var existing) ? new SortedSet<string>(existing, StringComparer.Ordinal) : new SortedSet<string>(StringComparer.Ordinal);
        var added = false;
        foreach (var resource in resources) added |= set.Add(resource);
        next[key.ToString()] = set;
        return added;
    });

    public void Forget(ObjectKey key) => Change(next => next.Remove(key.ToString()));

    private HashSet<string> Names(ObjectKey key, string prefix)
    {
        lock (sync)
            return adopted.TryGetValue(key.ToString(), out var set)
                ? set.Where(r => r.StartsWith(prefix, StringComparison.Ordinal)).Select(r => r[prefix.Length..]).ToHashSet(StringComparer.Ordinal)
                : [];
    }

    private void Change(Func<Dictionary<string, SortedSet<string>>, bool> change)
    {
        lock (sync)
        {
            var next = new Dictionary<string, SortedSet<string>>(adopted, StringComparer.Ordinal);
            if (!change(next)) return;
            StateFile.WriteJson(file, next);
            adopted = next;
        }
    }
}
