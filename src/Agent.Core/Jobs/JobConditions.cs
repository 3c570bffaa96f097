using System.Globalization;
using Agent.Core.Model;
using Agent.Core.Status;

namespace Agent.Core.Jobs;

/// <summary>Everything a CronJob's or Job's conditions are decided from.</summary>
public sealed record JobStatusInput(string Kind, JobHistory History)
{
    /// <summary>"spec.suspend" or "api" while a CronJob is suspended.</summary>
    public string? SuspendedBy { get; init; }
    public DateTimeOffset? NextRun { get; init; }
    /// <summary>The first error of a manifest that does not load now (its last good version keeps running).</summary>
    public string? ManifestError { get; init; }
    public string HeldReason { get; init; } = "InvalidManifest";
    /// <summary>Why a Job whose history is lost starts no run (the marker's text), while its history is not there.</summary>
    public string? HistoryLost { get; init; }
}

/// <summary>The status fields of a CronJob or Job as kubectl shows them (Kubernetes' CronJobStatus and JobStatus).</summary>
public sealed record JobSummary
{
    public string? Schedule { get; init; }
    public string? TimeZone { get; init; }
    public string? ConcurrencyPolicy { get; init; }
    public bool Suspended { get; init; }
    /// <summary>Pending, Running, Succeeded or Failed: the latest run's phase (Jobs).</summary>
    public string? Phase { get; init; }
    public int Active { get; init; }
    public int Succeeded { get; init; }
    public int Failed { get; init; }
    public DateTimeOffset? LastScheduleTime { get; init; }
    public DateTimeOffset? LastSuccessfulTime { get; init; }
    public DateTimeOffset? NextRunTime { get; init; }
    /// <summary>The latest run: its start, end, duration, exit code and reason.</summary>
    public DateTimeOffset? StartTime { get; init; }
    public DateTimeOffset? CompletionTime { get; init; }
    public double? DurationSeconds { get; init; }
    public int? ExitCode { get; init; }
    public string? Reason { get; init; }
    /// <summary>When the agent first saw the object (the age kubectl shows).</summary>
    public DateTimeOffset? Since { get; init; }
}

/// <summary>
/// The conditions of a CronJob or Job, decided together like a group's (<see cref="GroupConditions"/>) so kstatus-style
/// tools read them the same way: Ready, Progressing and Degraded are always set; a Job adds Kubernetes' Complete or
/// Failed once its latest run has ended, a CronJob adds Suspended. A run killed by Replace is the policy at work, not a
/// degradation.
/// </summary>
public static class JobConditions
{
    public const string Complete = "Complete";
    public const string Failed = "Failed";
    public const string HistoryLost = "HistoryLost";
    public const string ReplacedBeforeStart = "ReplacedBeforeStart";

    /// <summary>How many runs in a row Replace may end before their container started before the CronJob reads as not
    /// working: one or two are a slow moment of the engine; three say nothing runs at this schedule.</summary>
    public const int ReplacedBeforeStartLimit = 3;

    /// <summary>Why nothing of a CronJob runs, when Replace has ended <see cref="ReplacedBeforeStartLimit"/> or more runs
    /// in a row before their container started; null otherwise.</summary>
    public static string? NeverStarting(JobHistory history) => history.ReplacedBeforeStart < ReplacedBeforeStartLimit ? null
        : $"the last {history.ReplacedBeforeStart} runs were replaced (concurrencyPolicy Replace) before their container started: " +
          "a container start takes longer here than the time between schedule times, so nothing runs; " +
          "space the schedule out or use concurrencyPolicy Allow or Forbid";

    public static IReadOnlyList<ConditionValue> Decide(JobStatusInput input)
    {
        var latest = input.History.Latest;
        var finished = input.History.Runs.Where(r => !r.IsActive).OrderBy(r => r.End).LastOrDefault() ?? input.History.LastRemoved;
        var active = input.History.Active.ToList();
        if (input.ManifestError is { } error)
        {
            var why = input.HeldReason;
            return
            [
                new(ConditionTypes.Ready, false, why, "the manifest does not load; its last good version keeps running: " + error),
                new(ConditionTypes.Progressing, false, why, "nothing changes until the manifest loads again"),
                new(ConditionTypes.Degraded, true, why, error),
            ];
        }
        if (input.HistoryLost is { } lost && input.Kind == Model.Job.KindName && input.History.Runs.Count == 0)
            // Held, not pending (probe-15l M2): nothing runs until the operator deletes the marker the message names.
            return
            [
                new(ConditionTypes.Ready, false, HistoryLost, "held: its history was lost and it starts no run until the operator deletes the marker: " + lost),
                new(ConditionTypes.Progressing, false, HistoryLost, "held: nothing runs until the marker is deleted"),
                new(ConditionTypes.Degraded, true, HistoryLost, lost),
            ];
        return input.Kind == Model.CronJob.KindName ? ForCronJob(input, finished, active) : ForJob(latest, input.History.LastSuccessfulTime, removed: input.History.Runs.Count == 0 && latest is not null);
    }

    private static IReadOnlyList<ConditionValue> ForCronJob(JobStatusInput input, JobRun? finished, List<JobRun> active)
    {
        var degraded = finished is { Phase: RunPhase.Failed } f && f.Reason != RunReasons.Replaced
            ? new ConditionValue(ConditionTypes.Degraded, true, f.Reason ?? "Failed", $"the latest finished run {f.Id} failed: {Outcome(f)}")
            : new ConditionValue(ConditionTypes.Degraded, false, "AsExpected", "");
        var neverStarting = NeverStarting(input.History);
        if (neverStarting is not null) degraded = new ConditionValue(ConditionTypes.Degraded, true, ReplacedBeforeStart, neverStarting);
        if (input.SuspendedBy is { } by)
            return
            [
                new(ConditionTypes.Ready, false, "Suspended", $"suspended by {by}: no new runs" + (active.Count > 0 ? $"; {active.Count} active run(s) continue" : "")),
                new(ConditionTypes.Progressing, false, "Suspended", ""),
                degraded,
                new(ConditionTypes.Suspended, true, "Suspended", $"suspended by {by}"),
            ];
        var next = input.NextRun is { } n ? "next run at " + n.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "no future schedule time";
        if (neverStarting is not null)
            return
            [
                new(ConditionTypes.Ready, false, ReplacedBeforeStart, $"{neverStarting}; {next}"),
                new(ConditionTypes.Progressing, true, ReplacedBeforeStart, active.Count > 0 ? $"{active.Count} run(s) starting" : "waiting for the next schedule time"),
                degraded,
                new(ConditionTypes.Suspended, false, "Scheduling", ""),
            ];
        return active.Count > 0
            ?
            [
                new(ConditionTypes.Ready, true, "Running", $"{active.Count} run(s) active ({string.Join(", ", active.Select(r => r.Id))}); {next}"),
                new(ConditionTypes.Progressing, true, "Running", $"{active.Count} run(s) active"),
                degraded,
                new(ConditionTypes.Suspended, false, "Scheduling", ""),
            ]
            :
            [
                new(ConditionTypes.Ready, true, "Scheduled", next),
                new(ConditionTypes.Progressing, false, "Scheduled", ""),
                degraded,
                new(ConditionTypes.Suspended, false, "Scheduling", ""),
            ];
    }

    /// <param name="lastSuccess">The history's last success: a Job whose runs ttlAfterFinished removed is still complete
    /// (probe-15j M3: it said Pending "waiting for the first run", and `agent wait --for=condition=Ready` never returned).</param>
    /// <param name="removed">The latest run is the one removed (ttlAfterFinished): its conditions say so.</param>
    private static IReadOnlyList<ConditionValue> ForJob(JobRun? latest, DateTimeOffset? lastSuccess, bool removed)
    {
        var decided = ForJob(latest, lastSuccess);
        return removed
            ? decided.Select(c => c.Type == ConditionTypes.Ready ? c with { Message = c.Message + "; its run was removed after ttlAfterFinished" } : c).ToList()
            : decided;
    }

    private static IReadOnlyList<ConditionValue> ForJob(JobRun? latest, DateTimeOffset? lastSuccess) => latest switch
    {
        null when lastSuccess is { } at =>
        [
            new(ConditionTypes.Ready, true, Complete, $"completed at {Stamp(at)}; its run was removed after ttlAfterFinished"),
            new(ConditionTypes.Progressing, false, Complete, ""),
            new(ConditionTypes.Degraded, false, "AsExpected", ""),
            new(Complete, true, RunReasons.Completed, $"completed at {Stamp(at)}"),
        ],
        null =>
        [
            new(ConditionTypes.Ready, false, "Pending", "no run yet"),
            new(ConditionTypes.Progressing, true, "Pending", "waiting for the first run"),
            new(ConditionTypes.Degraded, false, "AsExpected", ""),
        ],
        { IsActive: true } r =>
        [
            new(ConditionTypes.Ready, false, "Running", r.Current is { } a ? $"run {r.Id} attempt {a.Number} is running" : $"run {r.Id} is starting"),
            new(ConditionTypes.Progressing, true, "Running", $"run {r.Id} started {r.Start.ToUniversalTime():yyyy-MM-dd'T'HH:mm:ss'Z'}"),
            new(ConditionTypes.Degraded, false, "AsExpected", ""),
        ],
        { Phase: RunPhase.Succeeded } r =>
        [
            new(ConditionTypes.Ready, true, Complete, $"run {r.Id} completed: {Outcome(r)}"),
            new(ConditionTypes.Progressing, false, Complete, ""),
            new(ConditionTypes.Degraded, false, "AsExpected", ""),
            new(Complete, true, r.Reason ?? RunReasons.Completed, Outcome(r)),
        ],
        { } r =>
        [
            new(ConditionTypes.Ready, false, r.Reason ?? Failed, $"run {r.Id} failed: {Outcome(r)}"),
            new(ConditionTypes.Progressing, false, r.Reason ?? Failed, ""),
            new(ConditionTypes.Degraded, true, r.Reason ?? Failed, $"run {r.Id} failed: {Outcome(r)}"),
            new(Failed, true, r.Reason ?? Failed, Outcome(r)),
        ],
    };

    public const string EngineUnavailable = "EngineUnavailable";

    /// <summary>Degraded's reason while the job's history is kept in memory only (the state dir cannot take it): it runs on,
    /// and a restart of the agent meanwhile rebuilds the history from its containers' labels (probe-25: Ready, no word).</summary>
    public const string HistoryNotSaved = "HistoryNotSaved";

    /// <summary>A CronJob (or a job with a run under way) while its loop cannot reach the engine: not Ready, Degraded and
    /// retrying, as a group reads then; what it schedules next and its Suspended condition stay as decided.</summary>
    public static IReadOnlyList<ConditionValue> EngineDown(IReadOnlyList<ConditionValue> decided, string message)
    {
        var result = decided.Where(c => c.Type is not (ConditionTypes.Ready or ConditionTypes.Progressing or ConditionTypes.Degraded)).ToList();
        result.Add(new(ConditionTypes.Ready, false, EngineUnavailable, message));
        result.Add(new(ConditionTypes.Progressing, true, "Retrying", "retrying with back-off"));
        result.Add(new(ConditionTypes.Degraded, true, EngineUnavailable, message));
        return result;
    }

    public const string StateDirUnavailable = "StateDirUnavailable";

    /// <summary>A CronJob or Job while the state dir that holds its history is missing or another folder: no run starts
    /// and no run's end is recorded until it is back, so it is not Ready, as while the engine is away (probe-65 M3: it read
    /// Ready with "1 run(s) active ... next run at" while nothing could start). Suspended and what it schedules stay.</summary>
    public static IReadOnlyList<ConditionValue> StateDirDown(IReadOnlyList<ConditionValue> decided, string message)
    {
        var result = decided.Where(c => c.Type is not (ConditionTypes.Ready or ConditionTypes.Progressing or ConditionTypes.Degraded)).ToList();
        result.Add(new(ConditionTypes.Ready, false, StateDirUnavailable, message));
        result.Add(new(ConditionTypes.Progressing, false, StateDirUnavailable, "no run starts and none is recorded until the state dir is back"));
        result.Add(new(ConditionTypes.Degraded, true, StateDirUnavailable, message));
        return result;
    }

    /// <summary>A CronJob or Job whose manifest is held (the folder cannot be read, its deletion is held by the mass-prune
    /// guard): it keeps running at its last good spec, so Ready stays as <paramref name="decided"/> says, and Degraded says
    /// why nothing new comes from its manifest (Kubernetes-style, as a held group: `Ready,SourceUnavailable`). Held by the
    /// guard it also has PruneBlocked (agent get shows STATUS PruneBlocked) and is not Progressing.</summary>
    public static IReadOnlyList<ConditionValue> Held(IReadOnlyList<ConditionValue> decided, string reason, string message)
    {
        var result = decided.Where(c => c.Type != ConditionTypes.Degraded && (reason != ConditionTypes.PruneBlocked || c.Type != ConditionTypes.Progressing)).ToList();
        result.Add(new(ConditionTypes.Degraded, true, reason, message));
        if (reason == ConditionTypes.PruneBlocked)
        {
            result.Add(new(ConditionTypes.Progressing, false, reason, "removal held by the mass-prune guard: it keeps running at its last spec until an admin confirms or its manifest comes back"));
            result.Add(new(ConditionTypes.PruneBlocked, true, reason, message));
        }
        return result;
    }

    /// <summary>A CronJob or Job held whose spec this run has not read (the agent started while its manifest could not be
    /// read, or with its deletion held from the last run): its runs and history are kept, nothing is removed, and since
    /// its schedule and template are in the manifest, nothing new is started until the manifest reads again.</summary>
    public static IReadOnlyList<ConditionValue> HeldWithoutSpec(string kind, string reason, string message)
    {
        var what = kind == Model.CronJob.KindName ? "not scheduled" : "not run";
        List<ConditionValue> result =
        [
            new(ConditionTypes.Ready, false, reason, $"held: {message}; its spec has not been read since the agent started, so it is {what} until its manifest reads again (its runs and history are kept)"),
            new(ConditionTypes.Progressing, false, reason, "nothing is started, stopped or removed until its manifest reads again"),
            new(ConditionTypes.Degraded, true, reason, message),
        ];
        if (reason == ConditionTypes.PruneBlocked) result.Add(new(ConditionTypes.PruneBlocked, true, reason, message));
        return result;
    }

    /// <summary>The condition types these decisions may set; one not decided now is removed (a Job that runs again loses Complete).</summary>
    public static readonly IReadOnlyList<string> Types = [ConditionTypes.Ready, ConditionTypes.Progressing, ConditionTypes.Degraded, ConditionTypes.Suspended, Complete, Failed];

    private static string Stamp(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>How a run ended, for people: "exit code 3 (BackoffLimitExceeded), 3 attempts, after 4.2s".</summary>
    public static string Outcome(JobRun r)
    {
        var exit = r.ExitCode ?? r.Current?.ExitCode;
        return (exit is { } e ? $"exit code {e}" : "no exit code") + $" ({r.Reason ?? r.Phase.ToString()})"
            + (r.Attempts.Count > 1 ? $", {r.Attempts.Count} attempts" : "")
            + (r.Duration is { } d ? $", after {d.TotalSeconds:0.#}s" : "");
    }

    /// <summary>The kubectl-style status fields from a history; a Job held by a lost history (<paramref name="historyLost"/>)
    /// has the phase HistoryLost.</summary>
    public static JobSummary Summarize(JobHistory history, bool historyLost = false)
    {
        var latest = history.Latest;
        // Its runs removed by ttlAfterFinished, a Job still reads how its latest run ended; a history written before the
        // removed run was kept knows only its last success.
        var removedAfterSuccess = latest is null && history.LastSuccessfulTime is not null;
        var removed = history.Runs.Count == 0 ? history.LastRemoved : null;
        return new JobSummary
        {
            Phase = latest?.Phase.ToString() ?? (removedAfterSuccess ? nameof(RunPhase.Succeeded) : historyLost ? HistoryLost : "Pending"),
            Active = history.Active.Count(),
            Succeeded = removedAfterSuccess || removed?.Phase == RunPhase.Succeeded ? 1 : history.Runs.Count(r => r.Phase == RunPhase.Succeeded),
            Failed = removed?.Phase == RunPhase.Failed ? 1 : history.Runs.Count(r => r.Phase == RunPhase.Failed),
            LastScheduleTime = history.LastScheduleTime,
            LastSuccessfulTime = history.LastSuccessfulTime,
            StartTime = latest?.Start,
            CompletionTime = latest?.End ?? (removedAfterSuccess ? history.LastSuccessfulTime : null),
            DurationSeconds = latest?.Duration?.TotalSeconds,
            ExitCode = latest?.ExitCode ?? latest?.Current?.ExitCode,
            Reason = latest?.Reason,
            Since = history.Since,
        };
    }
}
