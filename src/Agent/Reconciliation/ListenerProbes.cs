namespace Agent.Reconciliation;

/// <summary>
/// Lets one <see cref="Agent.Engine.IContainerEngine.AcceptsConnectionsAsync"/> probe answer for a burst of kill and stop
/// events (a docker stop of many containers), so they are not each held up behind a probe of their own.
/// A shutting-down engine closes its listener first and only then stops its containers, so a probe that found the listener
/// open proves that every event read off the stream before that probe started came before the shutdown: those are told
/// apart without asking again. An event read after it (or of unknown receipt time, 0) is probed afresh, so a shutdown that
/// starts right after a user's stop is still seen. A closed listener is never reused: each such event is probed, as before
/// (a refused connect is immediate). Timestamps are <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> values.
/// </summary>
public sealed class ListenerProbes
{
    private long openAt; // start of the latest probe that found the listener open; 0: none yet

    /// <summary>True when a probe that found the listener open started after the event was read (<paramref name="receivedAt"/>).</summary>
    public bool KnownOpen(long receivedAt) => receivedAt > 0 && receivedAt < Volatile.Read(ref openAt);

    /// <summary>Records a probe that started at <paramref name="startedAt"/> and found the listener open or not.</summary>
    public void Probed(long startedAt, bool open)
    {
        if (!open) return;
        long seen;
        while ((seen = Volatile.Read(ref openAt)) < startedAt && Interlocked.CompareExchange(ref openAt, startedAt, seen) != seen) { }
    }
}
