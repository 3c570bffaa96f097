namespace Agent.Reconciliation;

/// <summary>
/// When the engine was last away: from the moment the events stream was lost until the engine answered a ping again.
/// A dockerd that crashed kills the containers it finds still running at its next start (probe-18 F1), before it serves
/// its API: its socket already takes connections then, so the listener probe finds it open, and the kills reach the agent
/// only in the replay after it reconnects. Their time tells them apart: no user's docker stop is served in that span.
/// A stream lost while the engine kept serving makes a span as short as the first ping after it (250 ms).
/// Used by the events loop only (one thread).
/// </summary>
public sealed class EngineAbsence
{
    private DateTimeOffset? lostAt;
    private (DateTimeOffset From, DateTimeOffset Until)? last;

    /// <summary>The events stream ended or failed at <paramref name="now"/> (the first loss of a disconnect counts).</summary>
    public void StreamLost(DateTimeOffset now) => lostAt ??= now;

    /// <summary>The engine answered a ping at <paramref name="now"/>: the span since the loss is the absence.</summary>
    public void Reachable(DateTimeOffset now)
    {
        if (lostAt is { } from) last = (from, now);
        lostAt = null;
    }

    /// <summary>True when an event of <paramref name="time"/> (the engine's clock, this host's) happened while the engine was away.</summary>
    public bool Covers(DateTimeOffset time) => last is { } span && time >= span.From && time <= span.Until;
}
