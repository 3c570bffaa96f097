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
    /// Failed runs of an exited container: those counted before the agent last started it, plus the engine's restarts
    /// since (the engine counts from 0 again at every start), plus this exit when it failed.
    /// </summary>
    public static int Failures(int beforeLastStart, long restartCount, int? exitCode) =>
        beforeLastStart + (int)restartCount + (exitCode is null or 0 ? 0 : 1);
}
