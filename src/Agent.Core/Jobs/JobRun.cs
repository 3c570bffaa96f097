namespace Agent.Core.Jobs;

public enum RunPhase { Running, Succeeded, Failed }

/// <summary>Why a run was started.</summary>
public static class RunTriggers
{
    public const string Schedule = "schedule";
    public const string Manual = "manual";
    public const string Manifest = "manifest";
    public const string Api = "api";
}

/// <summary>Why a run ended the way it did (CamelCase, like Kubernetes' Job conditions).</summary>
public static class RunReasons
{
    public const string Completed = "Completed";
    public const string BackoffLimitExceeded = "BackoffLimitExceeded";
    public const string DeadlineExceeded = "DeadlineExceeded";
    public const string Replaced = "Replaced";
    public const string Vanished = "ContainerVanished";
    public const string StartFailed = "StartFailed";
}

/// <summary>One container of a run: the first try, or a retry after a failure.</summary>
public sealed record JobAttempt(int Number, string ContainerId, string ContainerName, DateTimeOffset Start)
{
    public DateTimeOffset? End { get; init; }
    public int? ExitCode { get; init; }
    /// <summary>The engine's error when the attempt's container was created but could not start: a failed attempt,
    /// retried within backoffLimit like one that exited non-zero; its container never runs.</summary>
    public string? StartError { get; init; }
    public bool Finished => End is not null;
}

/// <summary>One execution of a job template (a Kubernetes Job): attempts until one succeeds, the backoff
/// limit is reached or the active deadline passes.</summary>
public sealed record JobRun
{
    public required string Id { get; init; }
    public required string Trigger { get; init; }
    public DateTimeOffset? ScheduledTime { get; init; }
    public required DateTimeOffset Start { get; init; }
    public DateTimeOffset? End { get; init; }
    public RunPhase Phase { get; init; } = RunPhase.Running;
    public string? Reason { get; init; }
    public int? ExitCode { get; init; }
    /// <summary>The hash of the template the run was made from (a Job runs again when it changes).</summary>
    public string? TemplateHash { get; init; }
    public IReadOnlyList<JobAttempt> Attempts { get; init; } = [];

    public bool IsActive => Phase == RunPhase.Running;
    public TimeSpan? Duration => End - Start;
    public JobAttempt? Current => Attempts.Count == 0 ? null : Attempts[^1];
}

/// <summary>What the agent remembers of one CronJob or Job between its restarts (kept in the state dir,
/// and rebuilt from container labels when the file is gone).</summary>
public sealed record JobHistory
{
    /// <summary>When the agent first saw the object: no schedule before it is ever due.</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>The latest schedule time already decided (run, skipped or missed): never decided twice.</summary>
    public DateTimeOffset? Cursor { get; init; }
    public DateTimeOffset? LastScheduleTime { get; init; }
    public DateTimeOffset? LastSuccessfulTime { get; init; }
    /// <summary>The template hash of the latest run started (a Job runs again when its template hash changes).</summary>
    public string? TemplateHash { get; init; }
    /// <summary>The hash of the whole spec (schedule, policy, limits, template) the runner last worked from: `agent diff` compares it.</summary>
    public string? SpecHash { get; init; }
    public long MissedRuns { get; init; }
    public long SkippedRuns { get; init; }
    /// <summary>Runs in a row that concurrencyPolicy Replace ended before their container started (they leave no run
    /// behind); back to 0 once a run's container starts. A start slower than the time between schedule times shows here.</summary>
    public int ReplacedBeforeStart { get; init; }
    public IReadOnlyList<JobRun> Runs { get; init; } = [];
    /// <summary>The latest finished run removed (ttlAfterFinished, history limits), with its attempts as they ended (their
    /// containers are gone): a Job whose run is gone still reads how it ended (a failed one is not Pending again), a wait
    /// on it ends and describes the run that happened (attempts, exit code, container name).</summary>
    public JobRun? LastRemoved { get; init; }

    public IEnumerable<JobRun> Active => Runs.Where(r => r.IsActive);

    /// <summary>The latest run (by start), or, when none is kept, the latest one removed.</summary>
    public JobRun? Latest => Runs.OrderBy(r => r.Start).LastOrDefault() ?? LastRemoved;

    /// <summary>The latest run is the one removed (none is kept): its containers and their logs are gone.</summary>
    public bool LatestRemoved => Runs.Count == 0 && LastRemoved is not null;
}
