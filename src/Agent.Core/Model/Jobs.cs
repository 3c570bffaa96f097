namespace Agent.Core.Model;

public enum ConcurrencyPolicy { Allow, Forbid, Replace }

/// <summary>What one run of a job is: a container, and how long and how often it may try.
/// Shared by CronJob (spec.jobTemplate), Job (spec) and the imperative API.</summary>
public sealed record JobTemplate
{
    public required ContainerSpec Container { get; init; }
    /// <summary>A run (all its attempts) still going after this long is killed and failed, like activeDeadlineSeconds.</summary>
    public TimeSpan? ActiveDeadline { get; init; }
    /// <summary>Retries of a failed attempt, with exponential backoff; Kubernetes' default is 6.</summary>
    public int BackoffLimit { get; init; } = 6;
    /// <summary>A finished run's containers are removed this long after it ended; null keeps them (within the history limits).</summary>
    public TimeSpan? TtlAfterFinished { get; init; }
}

public sealed record CronJobSpec
{
    public required CronSchedule Schedule { get; init; }
    /// <summary>An IANA zone id; UTC when not given.</summary>
    public string TimeZone { get; init; } = "UTC";
    public ConcurrencyPolicy ConcurrencyPolicy { get; init; } = ConcurrencyPolicy.Allow;
    public TimeSpan? StartingDeadline { get; init; }
    public bool Suspend { get; init; }
    public int SuccessfulJobsHistoryLimit { get; init; } = 3;
    public int FailedJobsHistoryLimit { get; init; } = 1;
    public required JobTemplate JobTemplate { get; init; }
}

/// <summary>A loaded, validated CronJob manifest: a job template run on a schedule.</summary>
public sealed record CronJob(ObjectMetadata Metadata, CronJobSpec Spec, SourceLocation Source) : Manifests.IManifestObject
{
    public const string KindName = "CronJob";
    public ObjectKey Key => new(KindName, Metadata.Name);
}

/// <summary>A loaded, validated Job manifest: its template runs once, and again whenever it changes.</summary>
public sealed record Job(ObjectMetadata Metadata, JobTemplate Spec, SourceLocation Source) : Manifests.IManifestObject
{
    public const string KindName = "Job";
    public ObjectKey Key => new(KindName, Metadata.Name);

    /// <summary>True for the kinds whose containers run to completion and are never restarted by self-healing.</summary>
    public static bool IsJobKind(string kind) => kind is KindName or CronJob.KindName or ImperativeKind;

    /// <summary>The kind label of jobs created through the API.</summary>
    public const string ImperativeKind = "ApiJob";
}
