using System.Collections.Concurrent;
using Agent.Core.Model;
using Agent.Core.Status;

namespace Agent.Status;

/// <summary>The status of every object, in memory: what the HTTP surface serves and group ordering reads.</summary>
public sealed class StatusStore(TimeProvider time)
{
    private readonly ConcurrentDictionary<ObjectKey, ObjectStatus> statuses = new();

    public IReadOnlyList<ObjectStatus> List(string? kind = null) =>
        statuses.Values.Where(s => kind is null || s.Kind == kind).OrderBy(s => s.Kind).ThenBy(s => s.Name, StringComparer.Ordinal).ToList();

    public ObjectStatus? Get(ObjectKey key) => statuses.GetValueOrDefault(key);

    public bool IsReady(ObjectKey key) => Get(key)?.IsReady == true;

    public void Remove(ObjectKey key) => statuses.TryRemove(key, out _);

    public ObjectStatus Update(ObjectKey key, Func<ObjectStatus, ObjectStatus> change) =>
        statuses.AddOrUpdate(key,
            _ => Seeded(change(new ObjectStatus { Kind = key.Kind, Name = key.Name })),
            (_, current) => Seeded(change(current)));

    private ObjectStatus Seeded(ObjectStatus s) => s with
    {
        Conditions = Conditions.WithDefaults(s.Conditions, time.GetUtcNow()),
        Since = s.Since ?? time.GetUtcNow(),
    };

    /// <summary>The object's AGE reaches back to its oldest container (the agent restarted since it first saw it).</summary>
    public static DateTimeOffset? Earliest(DateTimeOffset? since, IEnumerable<DateTimeOffset?> created) =>
        created.Append(since).Where(t => t is not null).Min();

    public void SetCondition(ObjectKey key, string type, bool status, string reason, string message) =>
        Update(key, s => s with { Conditions = Conditions.Set(s.Conditions, type, status, reason, message, time.GetUtcNow()) });

    /// <summary>A stop/down or start/up asked through the API shows at once (not Ready, Progressing), not only once the
    /// reconcile that carries it out has finished: a project being taken down never reads as Ready meanwhile.
    /// Suspended turns with the request too (it stays True while spec.suspend holds the object), its reason saying which
    /// hold it is (<see cref="StopState"/>: Stopped, Down, Suspended), so that STATUS says it at once.</summary>
    public void MarkToggled(ObjectKey key, bool suspending, string verb, bool specSuspend = false, bool removeVolumes = false)
    {
        var message = suspending ? $"{verb.ToLowerInvariant()} requested: its containers are being stopped" : $"{verb.ToLowerInvariant()} requested: its containers are being started";
        SetCondition(key, ConditionTypes.Ready, false, verb + "Requested", message);
        SetCondition(key, ConditionTypes.Progressing, true, verb + "Requested", message);
        var held = StopState.Of(key, specSuspend, suspending, down: verb == "Down", removeVolumes);
        SetCondition(key, ConditionTypes.Suspended, held is not null, held?.Reason ?? "Active", held?.Why ?? "reconciling");
    }

    /// <summary>An admin confirmed the object's held removal: the guard's hold is over at once, for every confirmed object,
    /// not when its turn in the queue comes (probe-27: objects waiting their turn read PruneBlocked, "nothing is removed
    /// until an admin confirms", while the confirmed prune ran).</summary>
    public void MarkPruneConfirmed(ObjectKey key, string by)
    {
        var message = $"its removal is confirmed by {by}: it is pruned now";
        Update(key, s => s with { Conditions = s.Conditions.Where(c => c.Type != ConditionTypes.PruneBlocked).ToList() });
        SetCondition(key, ConditionTypes.Progressing, true, "PruneConfirmed", message);
        Record(key, "Normal", "PruneConfirmed", message);
    }

    public void Record(ObjectKey key, string type, string reason, string message) =>
        Update(key, s => s with { Events = ObjectEvents.Append(s.Events, new ObjectEvent(time.GetUtcNow(), type, reason, message)) });
}
