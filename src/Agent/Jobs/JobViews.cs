using Agent.Core.Jobs;
using Agent.Core.Model;

namespace Agent.Jobs;

/// <summary>One run as the API shows it (kubectl get jobs): start, end, duration, exit code, reason.</summary>
public sealed record RunView(
    string Id, string Trigger, DateTimeOffset? ScheduledTime, DateTimeOffset Start, DateTimeOffset? End, double? DurationSeconds,
    string Phase, string? Reason, int? ExitCode, int Attempts, string? Container, bool? Removed = null)
{
    /// <summary>A run whose first container is not started yet (its start under way, or held by a frozen engine) is
    /// Pending, as kubectl shows a pod not running yet (probe-26: "Running" with no container).</summary>
    public static RunView Of(JobRun r) => new(r.Id, r.Trigger, r.ScheduledTime, r.Start, r.End, r.Duration?.TotalSeconds,
        r is { IsActive: true, Attempts.Count: 0 } ? Pending : r.Phase.ToString(), r.Reason, r.ExitCode ?? r.Current?.ExitCode, r.Attempts.Count, r.Current?.ContainerName);

    public const string Pending = "Pending";

    /// <summary>A run ttlAfterFinished removed with its containers (removed: true): shown as it ended.</summary>
    public static RunView OfRemoved(JobRun r) => Of(r) with { Removed = true };
}

/// <summary>A CronJob's status, as kubectl describe cronjob shows it.</summary>
public sealed record CronJobView(
    string Name, string Schedule, string TimeZone, string ConcurrencyPolicy, bool Suspended, string? SuspendedBy,
    DateTimeOffset? LastScheduleTime, DateTimeOffset? LastSuccessfulTime, DateTimeOffset? NextRunTime,
    long MissedRuns, long SkippedRuns, IReadOnlyList<RunView> Active, IReadOnlyList<RunView> History,
    string? Source, IReadOnlyList<string> ManifestErrors, string? Held = null);

/// <summary>A Job's status (from a manifest, or from the API). <paramref name="HistoryLost"/>: why a Job whose history
/// was lost starts no run and how the operator releases it (its phase is then HistoryLost).</summary>
public sealed record JobView(
    string Id, string Kind, string Image, string Phase, DateTimeOffset? LastSuccessfulTime,
    IReadOnlyList<RunView> Active, IReadOnlyList<RunView> History, string? Source, IReadOnlyList<string> ManifestErrors, string? HistoryLost = null, string? Held = null);
