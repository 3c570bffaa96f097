using Agent.Core.Model;

namespace Agent.Core.Jobs;

/// <summary>
/// What becomes of a job container that was created and never started, found when the runner looks at the engine
/// (probe-15l H2). Only one case is a run to finish: an agent killed between the create and the start of a run its
/// history holds as active (the run is saved before its container is created). Anything else is a create the agent
/// gave up on (it timed out client-side and landed in the engine later) or a run already ended or dropped: a run the
/// agent declared failed never runs later, so its container is removed, never started; so is an attempt that ended
/// (its start refused by the engine: the run's retry is a new attempt). A scheduled run is started
/// only while its time is still the most recent due one and within startingDeadline, as a scheduled time would be.
/// </summary>
public static class NeverStarted
{
    /// <summary>Null: start it (it is the run's attempt). Otherwise why it is removed.</summary>
    /// <param name="run">The run the container's labels name, as the history holds it; null when the history does not name it.</param>
    /// <param name="attempt">The attempt number the container's labels name.</param>
    public static string? RemoveBecause(JobRun? run, int attempt, CronJobSpec? cron, DateTimeOffset now)
    {
        if (run is null) return "its run is not in the history (a create the agent had given up on, or a run already dropped)";
        if (!run.IsActive) return $"run {run.Id} already ended {run.Phase} ({run.Reason ?? "no reason"}): a run declared ended never runs later";
        // An attempt whose start the engine refused is a failed attempt; its retry is a new attempt with a container of its own.
        if (run.Attempts.FirstOrDefault(a => a.Number == attempt) is { Finished: true } ended)
            return $"attempt {attempt} of run {run.Id} already ended" + (ended.StartError is { } error ? $" (it could not start: {error})" : "") + ": an ended attempt never runs later";
        if (cron is null || run.ScheduledTime is not { } scheduled) return null;
        if (cron.StartingDeadline is { } deadline && now - scheduled > deadline)
            return $"run {run.Id} was due at {CronSchedule.Format(scheduled)}, {(now - scheduled).TotalSeconds:0}s ago, beyond startingDeadline {deadline.TotalSeconds:0}s";
        var zone = CronSchedule.Zone(cron.TimeZone) ?? TimeZoneInfo.Utc;
        if (cron.Schedule.Next(scheduled, zone) is { } later && later <= now)
            return $"run {run.Id} was due at {CronSchedule.Format(scheduled)}, and a later schedule time ({CronSchedule.Format(later)}) has come since";
        return null;
    }
}
