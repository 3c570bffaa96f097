using Agent.Core.Model;

namespace Agent.Core.Jobs;

public enum BrokenStartOutcome
{
    /// <summary>A container of it ran: that is the run's attempt, followed as any other.</summary>
    Follow,
    /// <summary>Nothing of it ran, and its time is still due: it starts (this once).</summary>
    StartAgain,
    /// <summary>A scheduled run none of which ran: its schedule time counts as missed.</summary>
    Missed,
    /// <summary>Any other run none of which ran: failed (StartFailed), not retried.</summary>
    Failed,
}

/// <param name="Why">Why it does not start again (Missed, Failed).</param>
public sealed record BrokenStartDecision(BrokenStartOutcome Outcome, string? Why = null);

/// <summary>
/// A run whose start the engine did not answer (it went away mid-call: the connection dropped or was refused; or it hung)
/// may have started or not: the create may have landed, and the start with it, or neither. Judged once the engine answers
/// again and has said whether a container of the run ran (probe-34: such a run was failed, StartFailed, though it never ran;
/// an engine away says nothing about the job).
/// </summary>
public static class BrokenStart
{
    /// <param name="ran">A container of the run's next attempt has started (the engine says).</param>
    /// <param name="hung">The engine did not answer at all (a timeout): the call may still be carried out when it does, so
    /// the run is not started beside it. A dropped or refused connection cannot land later.</param>
    /// <param name="startedAgain">It was started again once already after a start that broke off: an engine that drops this
    /// start each time (it crashes on it) is not sent it again and again.</param>
    public static BrokenStartDecision Decide(JobRun run, bool ran, bool hung, bool startedAgain, CronJobSpec? cron, DateTimeOffset now)
    {
        if (ran) return new(BrokenStartOutcome.Follow);
        var late = hung ? "its start may still be carried out late"
            : startedAgain ? "its start broke off again"
            : run.Attempts.Count == 0 ? NeverStarted.RemoveBecause(run, 1, cron, now) // a schedule time caught up after an outage is judged so
            : null; // a retry: within backoffLimit, whatever the time
        if (late is null) return new(BrokenStartOutcome.StartAgain);
        return new(run is { ScheduledTime: not null, Attempts.Count: 0 } ? BrokenStartOutcome.Missed : BrokenStartOutcome.Failed, late);
    }
}
