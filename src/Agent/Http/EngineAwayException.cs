using Agent.Engine;

namespace Agent.Http;

/// <summary>A call on one container while the heartbeat knows the engine does not answer: refused at once (503 with
/// Retry-After) rather than held for Agent:EngineRequestTimeout and answered 504, as a hung engine would (probe-18 F11).
/// A call that was already under way when the heartbeat found so (<paramref name="ended"/>) says it was ended, and how long
/// it had waited when known, not "at once" (probe-25: said after 18 s).</summary>
public sealed class EngineAwayException(string endpoint, DateTimeOffset since, TimeSpan retryAfter, bool ended = false, TimeSpan? waited = null) : EngineException(
    $"The Docker engine at {endpoint} has been unreachable since {since.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} (its _ping goes unanswered, "
    + "Agent:EngineHeartbeat): this call needs the engine, so it "
    + (ended ? $"was ended{(waited is { } w ? $" after waiting {w.TotalSeconds:0.#} s for it" : "")} when the heartbeat found it not answering, rather than after Agent:EngineRequestTimeout; nothing more of it is done. "
        : "is answered at once instead of waiting Agent:EngineRequestTimeout. ")
    + $"Retry in {Seconds(retryAfter)} s (Retry-After); GET /api/v1/containers shows the containers as last observed meanwhile.")
{
    public DateTimeOffset Since { get; } = since;

    /// <summary>Whole seconds, at least 1: the heartbeat's interval, after which it has pinged again.</summary>
    public int RetryAfterSeconds { get; } = Seconds(retryAfter);

    private static int Seconds(TimeSpan t) => Math.Max(1, (int)Math.Ceiling(t.TotalSeconds));
}
