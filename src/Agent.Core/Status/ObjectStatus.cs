using Agent.Core.Model;

namespace Agent.Core.Status;

public static class ConditionTypes
{
    public const string Ready = "Ready";
    public const string Progressing = "Progressing";
    public const string Degraded = "Degraded";
    public const string Suspended = "Suspended";

    /// <summary>The object's manifest is gone but removing it is held by the mass-prune guard.</summary>
    public const string PruneBlocked = "PruneBlocked";

    /// <summary>A compose project that `docker compose up` already started: the foreign containers are listed and left alone
    /// until the project sets `adopt: true`.</summary>
    public const string Conflict = "Conflict";

    /// <summary>The GitRepository that brought the object was deleted with prune: false: it is kept (healed at its last
    /// applied spec while the agent knows it) until a manifest names it again.</summary>
    public const string Orphaned = "Orphaned";
}

/// <summary>A Kubernetes-style condition: status True/False/Unknown, a CamelCase reason, a message for people.</summary>
public sealed record Condition(string Type, string Status, string Reason, string Message, DateTimeOffset LastTransitionTime);

/// <summary>One container as status shows it; <see cref="Message"/> says why it is not running when that was a choice ("Stopped by user").</summary>
public sealed record ContainerStatus(string Name, string Id, string State, string Health, string SpecHash, string? Message = null)
{
    /// <summary>A container as status shows it: its short id, its state and health in lower case (docker ps, inspect).</summary>
    public static ContainerStatus Of(string name, string id, ContainerState state, HealthState health, string specHash, string? message = null) =>
        new(name, ShortId(id), Lower(state), Lower(health), specHash, message);

    /// <summary>A container id as docker ps shows it: its first 12 characters.</summary>
    public static string ShortId(string id) => id[..Math.Min(12, id.Length)];

    public static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}

public sealed record ServiceStatus(string Name, int DesiredReplicas, int ReadyReplicas, IReadOnlyList<ContainerStatus> Containers);

/// <summary>Something that happened to an object, like a Kubernetes Event: Normal or Warning, with a reason.</summary>
public sealed record ObjectEvent(DateTimeOffset Time, string Type, string Reason, string Message);

/// <summary>An object's recent events: the last few, a repeat of the latest (same reason and message) recorded once.</summary>
public static class ObjectEvents
{
    public const int Max = 20;

    public static IReadOnlyList<ObjectEvent> Append(IReadOnlyList<ObjectEvent> events, ObjectEvent next) =>
        events.Count > 0 && events[^1].Reason == next.Reason && events[^1].Message == next.Message
            ? events
            : [.. events.TakeLast(Max - 1), next];
}

/// <summary>What `kubectl get` and `describe` show for one object.</summary>
public sealed record ObjectStatus
{
    public required string Kind { get; init; }
    public required string Name { get; init; }
    public string? Source { get; init; }
    /// <summary>The git revision the object's manifest was applied from (<c>main@sha1:…</c>), like Flux; null for the folder's.</summary>
    public string? LastAppliedRevision { get; init; }
    public long Generation { get; init; }
    public long ObservedGeneration { get; init; }

    /// <summary>When the agent first saw the object, or when its oldest container was created if that is earlier (after
    /// an agent restart): kubectl's AGE. Status changes, an invalid manifest or a duplicate never move it.</summary>
    public DateTimeOffset? Since { get; init; }
    public string? SpecHash { get; init; }
    public IReadOnlyList<Condition> Conditions { get; init; } = [];
    public IReadOnlyList<ServiceStatus> Services { get; init; } = [];
    public string? LastError { get; init; }
    public IReadOnlyList<string> ManifestErrors { get; init; } = [];
    public IReadOnlyList<ObjectEvent> Events { get; init; } = [];
    public DateTimeOffset? LastReconcileTime { get; init; }

    /// <summary>CronJobs and Jobs: schedule, suspend, active runs, last schedule, the latest run's end (kubectl's columns).</summary>
    public Jobs.JobSummary? Job { get; init; }

    /// <summary>GitRepositories: URL, ref, path, fetched revision and sync times.</summary>
    public GitSourceSummary? GitRepository { get; init; }

    public Condition? Condition(string type) => Conditions.FirstOrDefault(c => c.Type == type);
    public bool IsReady => Condition(ConditionTypes.Ready)?.Status == "True";
}

/// <summary>Sets conditions the same way for every kind: lastTransitionTime changes only when the status does.</summary>
public static class Conditions
{
    /// <summary>Ready, Progressing and Degraded are always present (kstatus / Flux): a new object starts Ready=Unknown,
    /// Progressing=True, Degraded=False, each with a reason, so that wait-style tools always find them.</summary>
    public static IReadOnlyList<Condition> WithDefaults(IReadOnlyList<Condition> conditions, DateTimeOffset now)
    {
        var result = conditions.ToList();
        void Seed(string type, string status, string reason, string message)
        {
            if (result.All(c => c.Type != type)) result.Add(new Condition(type, status, reason, message, now));
        }
        Seed(ConditionTypes.Ready, "Unknown", "Reconciling", "not reconciled yet");
        Seed(ConditionTypes.Progressing, "True", "Reconciling", "reconciling for the first time");
        Seed(ConditionTypes.Degraded, "False", "AsExpected", "");
        return result;
    }

    public static IReadOnlyList<Condition> Set(IReadOnlyList<Condition> conditions, string type, bool status, string reason, string message, DateTimeOffset now)
    {
        var value = status ? "True" : "False";
        var existing = conditions.FirstOrDefault(c => c.Type == type);
        var transition = existing is not null && existing.Status == value ? existing.LastTransitionTime : now;
        var updated = new Condition(type, value, reason, message, transition);
        return [.. conditions.Where(c => c.Type != type), updated];
    }
}
