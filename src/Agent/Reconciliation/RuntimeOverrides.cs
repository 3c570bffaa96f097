using System.Text.Json;
using Agent.Core.Model;
using Agent.State;

namespace Agent.Reconciliation;

/// <summary>Runtime suspend overrides (the API's group stop), persisted in the state dir so they survive restarts.
/// A change is saved before it takes effect: when the file cannot be written, nothing changes. A compose project brought
/// down with its volumes is recorded as "{kind}/{name}?volumes=true", one only stopped (agent stop, like docker compose
/// stop: containers kept, stopped) as "{kind}/{name}?stopped=true", in the same file, so the facts change at once.
/// A record that cannot be read is <see cref="Lost"/>, never "nothing suspended" (probe-15j M7).</summary>
public sealed class RuntimeOverrides
{
    public const string FileName = "suspended.json";

    /// <summary>What the agent holds while <c>suspended.json.lost</c> exists (the reconciler and the job runner act on it).</summary>
    public const string LostHolds = "every ServiceGroup and ComposeProject is kept as it runs (nothing of it is started, stopped, created or removed) " +
                                    "and no CronJob starts a run: which of them an operator had stopped or suspended through the API is unknown. " +
                                    "Stop or suspend again what should stay stopped, then delete the marker.";

    private readonly string file;
    private readonly LostRecord lost;
    private readonly Lock sync = new();
    private HashSet<string> suspended;
    private readonly Dictionary<ObjectKey, long> stopsRecorded = [];

    public RuntimeOverrides(string stateDir, ILogger<RuntimeOverrides> logger)
    {
        file = Path.Combine(stateDir, FileName);
        lost = new LostRecord(file, logger);
        suspended = lost.Read(Parse, LostHolds) ?? []; // never written, or lost: held by Lost, not read as empty
    }

    private const string WithVolumes = "?volumes=true";
    private const string StoppedOnly = "?stopped=true";

    private static string KeyOf(string entry) =>
        entry.EndsWith(WithVolumes, StringComparison.Ordinal) ? entry[..^WithVolumes.Length]
        : entry.EndsWith(StoppedOnly, StringComparison.Ordinal) ? entry[..^StoppedOnly.Length]
        : entry;

    /// <summary>The record as the agent writes it (a JSON list of "Kind/name", "?volumes=true" after a compose down with
    /// volumes, "?stopped=true" after a compose stop; [] when nothing is suspended), or why it is torn: empty, not JSON, not a list, an entry that names no object.</summary>
    public static (HashSet<string>? Suspended, string? Problem) Parse(string text)
    {
        if (text.Trim().Length == 0) return (null, "the file is empty");
        List<string>? entries;
        try
        {
            entries = JsonSerializer.Deserialize(text, Http.AgentJsonContext.Default.ListString);
        }
        catch (JsonException e)
        {
            return (null, State.StateFile.Where(e));
        }
        if (entries is null) return (null, "the file holds null, not a list of objects");
        foreach (string? entry in entries)
        {
            var key = entry is null ? null : KeyOf(entry);
            if (key is null || !ObjectKey.TryParse(key, out var parsed) || parsed.Kind is not (ServiceGroup.KindName or ServiceGroup.ComposeKindName or CronJob.KindName))
                return (null, $"{(entry is null ? "null" : $"\"{entry}\"")} names no ServiceGroup, ComposeProject or CronJob");
        }
        return (entries.ToHashSet(StringComparer.Ordinal)!, null);
    }

    /// <summary>Why the record of suspends is lost (the text of <c>suspended.json.lost</c>), or null: see <see cref="LostHolds"/>.</summary>
    public string? Lost => lost.Why();

    public bool IsSuspended(ObjectKey key)
    {
        lock (sync) return suspended.Contains(key.ToString()) || suspended.Contains(key + WithVolumes) || suspended.Contains(key + StoppedOnly);
    }

    /// <summary>A compose project brought down (agent down): its containers and network are removed while it is down.
    /// False for one only stopped (<see cref="IsStoppedOnly"/>) and for every other kind.</summary>
    public bool IsDown(ObjectKey key)
    {
        lock (sync) return key.Kind == ServiceGroup.ComposeKindName && (suspended.Contains(key.ToString()) || suspended.Contains(key + WithVolumes));
    }

    /// <summary>A compose project stopped (agent stop, like docker compose stop): its containers are kept, stopped, as a
    /// stopped ServiceGroup's are.</summary>
    public bool IsStoppedOnly(ObjectKey key)
    {
        lock (sync) return suspended.Contains(key + StoppedOnly);
    }

    /// <summary>Brought down with `down?volumes=true`: its named volumes are removed while it is down.</summary>
    public bool RemovesVolumes(ObjectKey key)
    {
        lock (sync) return suspended.Contains(key + WithVolumes);
    }

    /// <summary>The objects stopped or suspended through the API (whether their manifests still exist or not).</summary>
    public IReadOnlyList<ObjectKey> Keys
    {
        get
        {
            lock (sync) return suspended.Select(KeyOf)
                .Select(e => ObjectKey.TryParse(e, out var key) ? key : default).Distinct().ToList(); // Parse let only keys in
        }
    }

    /// <summary>The object was deleted (its manifest removed and what it ran pruned): its stop goes with it, so a new
    /// manifest of the same name later starts fresh, as after docker compose down or a Kubernetes delete. Throws
    /// <see cref="StateWriteException"/> when the record cannot be written (the stop then stays).</summary>
    public bool Forget(ObjectKey key)
    {
        if (!IsSuspended(key)) return false;
        SetSuspended(key, false);
        return true;
    }

    /// <summary>Records a stop (a compose down with or without removing volumes, or with <paramref name="stopOnly"/> a
    /// compose stop that keeps the containers) or a start; throws <see cref="StateWriteException"/> (and changes nothing)
    /// when it cannot be saved.</summary>
    public void SetSuspended(ObjectKey key, bool value, bool removeVolumes = false, bool stopOnly = false)
    {
        lock (sync)
        {
            Set(key, value, removeVolumes, stopOnly);
        }
    }

    /// <summary>How many stops (a stop, a compose stop or down) of <paramref name="key"/> this process has recorded, one
    /// that found the object stopped already too. A start reads it when it arrives and clears the stop only if no stop came
    /// since (<see cref="ClearStopUnlessStoppedSince"/>): a stop acknowledged while the start waited for a slow engine or a
    /// running reconcile is the later verb, and wins (probe-36 1: the start cleared it, and the object ran).</summary>
    public long StopsRecorded(ObjectKey key)
    {
        lock (sync)
        {
            return stopsRecorded.GetValueOrDefault(key);
        }
    }

    /// <summary>Clears the object's stop, unless a stop of it was recorded after <see cref="StopsRecorded"/> read
    /// <paramref name="stopsBefore"/>: then false, and nothing changes. Throws <see cref="StateWriteException"/> (changing
    /// nothing) when the record cannot be written.</summary>
    public bool ClearStopUnlessStoppedSince(ObjectKey key, long stopsBefore)
    {
        lock (sync)
        {
            if (stopsRecorded.GetValueOrDefault(key) != stopsBefore) return false;
            Set(key, false, removeVolumes: false, stopOnly: false);
            return true;
        }
    }

    private void Set(ObjectKey key, bool value, bool removeVolumes, bool stopOnly)
    {
        var next = new HashSet<string>(suspended, StringComparer.Ordinal);
        next.Remove(key.ToString());
        next.Remove(key + WithVolumes);
        next.Remove(key + StoppedOnly);
        if (value) next.Add(removeVolumes ? key + WithVolumes : stopOnly ? key + StoppedOnly : key.ToString());
        if (!next.SetEquals(suspended))
        {
            StateFile.WriteJson(file, next.Order(StringComparer.Ordinal).ToList());
            suspended = next;
        }
        if (value) stopsRecorded[key] = stopsRecorded.GetValueOrDefault(key) + 1;
    }
}
