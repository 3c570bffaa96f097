namespace Agent.State;

/// <summary>
/// The state dir deleted (or replaced) under a running agent (probe-13d D1): its lock no longer guards it, so a second
/// agent could take it, and what the agent kept there (tokens, server address, git checkouts, records) is gone. Looked
/// at every few seconds and at every /readyz: once seen, the lock is made and taken again (if no other agent took it
/// meanwhile), an error is logged, and readiness fails (check `state`) until the agent restarts, as a kubelet does with
/// a node whose disk went away.
/// </summary>
public sealed class StateDirWatch(StateDirLock held, ILogger<StateDirWatch> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private readonly Lock sync = new();
    private string? problem;

    /// <summary>Why the state dir cannot be trusted any more (sticky until a restart), or null.</summary>
    public string? Check()
    {
        lock (sync)
        {
            if (problem is not null) return problem;
            if (held.Lost() is not { } lost) return null;
            var relocked = held.Relock();
            var dir = Path.GetDirectoryName(held.Path);
            problem = $"the state dir {dir} was deleted or replaced while the agent ran ({lost}): " +
                      (relocked is null ? "its lock was made and taken again, but " : $"its lock could not be taken again ({relocked}), and ") +
                      "what the agent kept there (tokens, server address, git checkouts, records) is gone; restart the agent";
            logger.LogError("{Problem}", problem);
            return problem;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken) && Check() is null)
            {
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
