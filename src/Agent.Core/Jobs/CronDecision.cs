using Agent.Core.Model;

namespace Agent.Core.Jobs;

/// <summary>What a CronJob should do now: at most one run to start, runs to kill first (Replace), schedule
/// times skipped or missed, and when to look again.</summary>
public sealed record CronDecision
{
    public DateTimeOffset? Start { get; init; }
    public IReadOnlyList<string> Kill { get; init; } = [];
    /// <summary>Schedule times that passed without a run: during an outage beyond the one catch-up, or too late for the starting deadline.</summary>
    public int Missed { get; init; }
    /// <summary>Schedule times not run because concurrencyPolicy is Forbid and a run was active.</summary>
    public int Skipped { get; init; }
    /// <summary>The new cursor: the latest schedule time now decided.</summary>
    public DateTimeOffset? Cursor { get; init; }
    public DateTimeOffset? Next { get; init; }
    /// <summary>For people: why nothing started, or why something was skipped.</summary>
    public string? Message { get; init; }
}

/// <summary>
/// The pure schedule decision of a CronJob, after Kubernetes' CronJob controller: time, history and policy in,
/// runs, kills and skips out. Only the most recent due time can run (at most one catch-up, never a burst); it runs
/// only within startingDeadline; Forbid skips it while a run is active, Replace kills the active runs first;
/// suspend runs nothing and decides nothing, so the most recent time may still run on resume, as in Kubernetes.
/// </summary>
public static class CronDecisions
{
    /// <summary>The schedule's next time after <paramref name="now"/> in its time zone (needs nothing but the spec).</summary>
    public static DateTimeOffset? NextTime(CronJobSpec spec, DateTimeOffset now) => spec.Schedule.Next(now, CronSchedule.Zone(spec.TimeZone) ?? TimeZoneInfo.Utc);

    public static CronDecision Decide(CronJobSpec spec, JobHistory history, DateTimeOffset now)
    {
        var zone = CronSchedule.Zone(spec.TimeZone) ?? TimeZoneInfo.Utc;
        var next = spec.Schedule.Next(now, zone);
        var cursor = history.Cursor ?? history.Since ?? now;
        if (spec.Suspend) return new CronDecision { Cursor = history.Cursor, Next = next, Message = "suspended" };

        var (latest, count) = spec.Schedule.Between(cursor, now, zone, limit: 1);
        if (count == 0) return new CronDecision { Cursor = history.Cursor ?? cursor, Next = next };

        var due = latest[^1];
        var missed = count - 1;
        if (spec.StartingDeadline is { } deadline && now - due > deadline)
            return new CronDecision
            {
                Missed = missed + 1, Cursor = due, Next = next,
                Message = $"missed the run of {CronSchedule.Format(due)}: {Seconds(now - due)} late, beyond startingDeadline {Seconds(deadline)}",
            };

        var active = history.Active.ToList();
        if (active.Count > 0 && spec.ConcurrencyPolicy == ConcurrencyPolicy.Forbid)
            return new CronDecision
            {
                Missed = missed, Skipped = 1, Cursor = due, Next = next,
                Message = $"skipped the run of {CronSchedule.Format(due)}: run {active[0].Id} is still active and concurrencyPolicy is Forbid",
            };

        return new CronDecision
        {
            Start = due,
            Kill = spec.ConcurrencyPolicy == ConcurrencyPolicy.Replace ? active.Select(r => r.Id).ToList() : [],
            Missed = missed, Cursor = due, Next = next,
            Message = missed > 0 ? $"{missed} earlier schedule time(s) missed; running only the most recent, {CronSchedule.Format(due)}" : null,
        };
    }

    /// <summary>A CronJob new to the agent (nothing decided or run yet) begins its schedule once its template has settled
    /// (<paramref name="settledAt"/>, Agent:JobSettle after the file was last changed): the times that passed while the
    /// agent waited for the file to be quiet are neither run nor counted missed (probe-36 6: a new CronJob read "2 missed"
    /// 4 s after its file was written). A CronJob the agent has decided for before counts them, as after an outage.</summary>
    public static JobHistory BeginAfterSettle(JobHistory history, DateTimeOffset settledAt) =>
        history is { Cursor: null, LastScheduleTime: null, Runs.Count: 0 } && (history.Since is not { } since || settledAt > since)
            ? history with { Since = settledAt }
            : history;

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.###}s";
}
