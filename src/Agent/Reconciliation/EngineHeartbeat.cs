namespace Agent.Reconciliation;

/// <summary>
/// Whether the engine answers, from a _ping every Agent:EngineHeartbeat (pure bookkeeping; the controller pings). The
/// events stream of a hung engine is silent, not closed, so without a heartbeat the cache would go on saying "running"
/// about containers that died meanwhile (probe-15l H3). Two missed pings in a row make it down (one slow answer of a
/// busy engine does not); the first answer after that makes it up again.
/// </summary>
public sealed class EngineHeartbeat
{
    public const int MissesToDown = 2;

    private int misses;

    public bool IsDown { get; private set; }

    /// <summary>Records one ping; returns the change it makes (true: came back, false: went down), or null.</summary>
    public bool? Record(bool answered)
    {
        if (answered)
        {
            misses = 0;
            if (!IsDown) return null;
            IsDown = false;
            return true;
        }
        if (++misses < MissesToDown || IsDown) return null;
        IsDown = true;
        return false;
    }
}
