using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>
/// What an exit the agent did not watch (it happened while the agent was not running: events are not replayed) was,
/// decided from the engine's own state, the way the engine itself remembers it.
/// </summary>
public static class UnwatchedExits
{
    /// <summary>
    /// True when the engine would have restarted the container had it exited by itself, so that it is exited only because
    /// someone stopped it (the engine does not restart a container stopped with `docker stop`/`kill`): any exit under
    /// always/unless-stopped, a failed exit under on-failure while the engine had retries left.
    /// </summary>
    public static bool WasStoppedByUser(RestartPolicy engine, long restartCount, int? exitCode) => engine.Mode switch
    {
        RestartMode.Always or RestartMode.UnlessStopped => true,
        RestartMode.OnFailure => exitCode is not (null or 0) && (engine.MaxRetries == 0 || restartCount < engine.MaxRetries),
        _ => false,
    };

    /// <summary>
    /// True when an exit the agent did not watch was the engine's own as it started (probe-18 F1): a dockerd started
    /// after a crash (kill -9, OOM) kills the containers it finds still running (their shims outlived it) before it serves
    /// its API, and marks them stopped by hand, so that under unless-stopped the engine leaves them down. Its events of the
    /// kill are of its current run (it keeps no events across a restart) and dated no later than it began to serve
    /// (<paramref name="servingSince"/>), when no user's stop can have been served; the container exited no later either,
    /// so it has not run since. An exit that only some of this holds for stays what <see cref="WasStoppedByUser"/> says.
    /// </summary>
    /// <param name="stopEvents">When the engine's current run logged a kill, stop or die of this container.</param>
    public static bool StoppedAtEngineStart(DateTimeOffset? finishedAt, IEnumerable<DateTimeOffset> stopEvents, DateTimeOffset servingSince) =>
        finishedAt is { } finished && finished <= servingSince && stopEvents.Any(t => t <= servingSince);

    /// <summary>
    /// Failed runs of an exited container: those counted before the agent last started it, plus the engine's restarts
    /// since (the engine counts from 0 again at every start), plus this exit when it failed.
    /// </summary>
    public static int Failures(int beforeLastStart, long restartCount, int? exitCode) =>
        beforeLastStart + (int)restartCount + (exitCode is null or 0 ? 0 : 1);
}
