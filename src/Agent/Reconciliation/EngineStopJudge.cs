using Agent.Engine;

namespace Agent.Reconciliation;

/// <summary>
/// Answers one question for the controller: was a kill or stop of a managed container the engine's (a shutdown, a crash's
/// restart) or a user's? Three rules, each for a way the agent learns of it:
/// <list type="bullet">
/// <item>an event read off the open stream while the engine was serving: the engine's when its listener was closed
/// (a shutting-down dockerd closes it first; <see cref="ListenerProbes"/> lets one probe answer for a burst);</item>
/// <item>an event of a time when the engine was away (replayed after a reconnect): the engine's (<see cref="EngineAbsence"/>);</item>
/// <item>an exit the agent never saw (it was not running, or the engine kept no event for it): judged from when the engine
/// started serving and its retained events (<see cref="EngineStartStops"/>).</item>
/// </list>
/// </summary>
public sealed class EngineStopJudge(IContainerEngine engine, EngineStartStops startStops)
{
    private readonly EngineAbsence absence = new();
    private readonly ListenerProbes probes = new();

    /// <summary>The events stream ended or failed.</summary>
    public void StreamLost() => absence.StreamLost(DateTimeOffset.UtcNow);

    /// <summary>The engine answered a ping after the stream was lost.</summary>
    public void Reachable() => absence.Reachable(DateTimeOffset.UtcNow);

    /// <summary>Who stopped or killed the container of <paramref name="e"/>: <see cref="UserStops.ByEngine"/> (a user, through the
    /// engine) or <see cref="UserStops.ByShutdown"/> (the engine itself).</summary>
    public async Task<string> StopCauseAsync(EngineEvent e, CancellationToken ct) =>
        !absence.Covers(e.Time) && await AcceptsConnectionsAsync(e, ct) ? UserStops.ByEngine : UserStops.ByShutdown;

    /// <summary>After the agent's listing at its start or a reconnect: records the exits the engine's current run made as it
    /// started, which no event reached the agent for.</summary>
    public Task RecordUnwatchedAsync(CancellationToken ct) => startStops.RecordAsync(ct);

    /// <summary>See <see cref="EngineStartStops.StopsUnderWayJudged"/>.</summary>
    public bool StopsUnderWayJudged => startStops.StopsUnderWayJudged;

    private async Task<bool> AcceptsConnectionsAsync(EngineEvent e, CancellationToken ct)
    {
        if (probes.KnownOpen(e.ReceivedAt)) return true;
        var startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var open = await engine.AcceptsConnectionsAsync(ct);
        probes.Probed(startedAt, open);
        return open;
    }
}
