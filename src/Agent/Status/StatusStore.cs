using System.Collections.Concurrent;
using Agent.Core.Model;
using Agent.Core.Status;

namespace Agent.Status;

/// <summary>The status of every object, in memory: what the HTTP surface serves and group ordering reads. When each was
/// first seen is kept across restarts (<see cref="FirstSeen"/>), when one is given.</summary>
public sealed class StatusStore(TimeProvider time, FirstSeen? firstSeen = null)
{
    private readonly ConcurrentDictionary<ObjectKey, ObjectStatus> statuses = new();

    public IReadOnlyList<ObjectStatus> List(string? kind = null) =>
        statuses.Values.Where(s => kind is null || s.Kind == kind).OrderBy(s => s.Kind).ThenBy(s => s.Name, StringComparer.Ordinal).ToList();

    public ObjectStatus? Get(ObjectKey key) => statuses.GetValueOrDefault(key);

    public bool IsReady(ObjectKey key) => Get(key)?.IsReady == true;

    public void Remove(ObjectKey key)
    {
        statuses.TryRemove(key, out _);
        firstSeen?.Forget(key);
    }

    public ObjectStatus Update(ObjectKey key, Func<ObjectStatus, ObjectStatus> change)
    {
        var updated = statuses.AddOrUpdate(key,
            _ => Seeded(change(new ObjectStatus { Kind = key.Kind, Name = key.Name })),
            (_, current) => Seeded(change(current)));
        if (updated.Since is { } since) firstSeen?.NoLaterThan(key, since); // an older container told an older age
        return updated;
    }

    /// <summary>Conditions defaulted, and <c>Since</c> no later than the recorded first sight: the first status made after a
    /// restart often carries a time already (its newest replicas' creation, a source's start), which is not its age
    /// (probe-39: AGE fell to the last recreate). An object new to the record is recorded with that time.</summary>
    private ObjectStatus Seeded(ObjectStatus s)
    {
        var now = time.GetUtcNow();
        var first = firstSeen?.Of(new ObjectKey(s.Kind, s.Name), s.Since ?? now);
        return s with { Conditions = Conditions.WithDefaults(s.Conditions, now), Since = Earliest(s.Since, [first]) ?? now };
    }

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
    /// until an admin confirms", while the confirmed prune ran).
    /// It reads Ready=False Pruning from then on, also while it waits for its turn (probe-28 F2: Ready for 25 s meanwhile).</summary>
    public void MarkPruneConfirmed(ObjectKey key, string by)
    {
        var message = $"its removal is confirmed by {by}: it is pruned now";
        Update(key, s => s with { Conditions = s.Conditions.Where(c => c.Type != ConditionTypes.PruneBlocked).ToList() });
        SetCondition(key, ConditionTypes.Progressing, true, "PruneConfirmed", message);
        SetCondition(key, ConditionTypes.Ready, false, "Pruning", message);
        SetCondition(key, ConditionTypes.Degraded, false, "PruneConfirmed", "");
        Record(key, "Normal", "PruneConfirmed", message);
    }

    /// <summary>The mass-prune guard holds the object's removal (<paramref name="why"/>: the guard's message). Shown for
    /// every held object when the guard decides, not when each one's turn in the queue comes (probe-28 F2: Ready and no
    /// PruneBlocked for 20 s while the workers ran a confirmed prune's stops). Degraded=True: the removal waits for a
    /// decision. <paramref name="down"/>, when known, says which replicas are down (then Ready=False too).</summary>
    public void MarkPruneBlocked(ObjectKey key, string why, string? down = null)
    {
        SetCondition(key, ConditionTypes.PruneBlocked, true, ConditionTypes.PruneBlocked, why);
        SetCondition(key, ConditionTypes.Progressing, false, ConditionTypes.PruneBlocked, "removal held by the mass-prune guard");
        // The guard's own notice (no replicas in view) keeps what the reconcile said of the replicas it holds down.
        var said = Get(key)?.Condition(ConditionTypes.Degraded) is { Status: "True", Reason: ConditionTypes.PruneBlocked } degraded ? degraded.Message : null;
        SetCondition(key, ConditionTypes.Degraded, true, ConditionTypes.PruneBlocked,
            down ?? said ?? "its manifest is gone and the mass-prune guard holds its removal: it is kept as it runs until its manifest comes back or an admin confirms");
        if (down is not null) SetCondition(key, ConditionTypes.Ready, false, ConditionTypes.PruneBlocked, down);
        Record(key, "Warning", ConditionTypes.PruneBlocked, why);
    }

    public void Record(ObjectKey key, string type, string reason, string message) =>
        Update(key, s => s with { Events = ObjectEvents.Append(s.Events, new ObjectEvent(time.GetUtcNow(), type, reason, message)) });
}
