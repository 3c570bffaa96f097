namespace Agent.State;

/// <summary>What is at the state dir's path while the agent runs, against the folder it started with.</summary>
public enum StateDirFinding
{
    /// <summary>The folder the agent started with, its lock in place.</summary>
    Intact,

    /// <summary>Nothing (moved away or deleted).</summary>
    Missing,

    /// <summary>Another folder (deleted and made again, or another one moved there).</summary>
    Replaced,

    /// <summary>The same folder, but its lock file was deleted or replaced.</summary>
    LockLost,
}

/// <summary>
/// The state dir moved away, deleted or replaced under a running agent (probe-13d D1, probe-15j M5). What the agent keeps
/// there (Job histories and the ledger, holds, stops, tokens, git checkouts) is its memory across restarts, so a state
/// dir that is not the one it started with is a failed read, never a fresh start: while it is missing or another folder,
/// no Job or CronJob run starts, nothing is pruned and no state file is written (so nothing is written into a new empty
/// folder as if fresh, and a folder moved away can be moved back); readiness fails (check <c>state</c>) and an error is
/// logged. When the same folder is back (moved back) the agent goes on. One that never comes back needs a restart: the
/// agent then starts with the state dir it finds (a new one follows the rules for a fresh state dir). Only the lock file
/// deleted (the folder the same) is made and locked again at once, so that no second agent takes the state dir. Looked at
/// every few seconds, at every /readyz, before each Job step and prune, and before every state file write.
/// </summary>
public sealed class StateDirWatch : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private readonly Lazy<StateDirLock> held;
    private readonly ILogger<StateDirWatch> logger;
    private readonly IDisposable guard;
    private readonly Lock sync = new();
    private string? problem;

    /// <summary>The lock is asked for at the first look only: a command that only looks (agent diff) never takes it
    /// (it writes nothing, so the guard is never asked either).</summary>
    public StateDirWatch(Func<StateDirLock> held, string stateDir, ILogger<StateDirWatch> logger)
    {
        (this.held, this.logger) = (new Lazy<StateDirLock>(held), logger);
        Dir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(stateDir));
        guard = StateFile.Guard(Dir, Check);
    }

    public StateDirWatch(StateDirLock held, ILogger<StateDirWatch> logger) : this(() => held, Path.GetDirectoryName(held.Path)!, logger)
    {
    }

    /// <summary>The state dir, as a full path.</summary>
    public string Dir { get; }

    /// <summary>Why the agent must not act on its state dir now (missing, or not the folder it started with), or null.</summary>
    public string? Check()
    {
        lock (sync)
        {
            var finding = Judge(held.Value.Folder, LibC.FolderIdentity(Dir), held.Value.Lost() is not null);
            if (finding == StateDirFinding.LockLost)
            {
                var relocked = held.Value.Relock();
                if (relocked is null) logger.LogWarning("The lock {Lock} of the state dir was deleted or replaced while the agent ran: made and taken again", held.Value.Path);
                else logger.LogError("The lock {Lock} of the state dir was deleted or replaced while the agent ran and cannot be taken again: {Error}", held.Value.Path, relocked);
                finding = StateDirFinding.Intact;
            }
            var now = finding switch
            {
                StateDirFinding.Missing => $"the state dir {Dir} is missing (moved away or deleted while the agent ran)",
                StateDirFinding.Replaced => $"the state dir {Dir} is another folder than the one the agent started with (replaced while it ran)",
                _ => null,
            };
            if (now is not null)
                now += ": no Job or CronJob run starts, nothing is pruned and no state file is written until it is back; " +
                       "move it back, or restart the agent to start with the state dir it finds then (a new one starts fresh)";
            if (now is not null && now != problem) logger.LogError("{Problem}", now);
            else if (now is null && problem is not null) logger.LogWarning("The state dir {Dir} is back: Job runs, prunes and state writes go on", Dir);
            problem = now;
            return problem;
        }
    }

    /// <summary>What is at the state dir's path: <paramref name="now"/> against <paramref name="atStart"/> (device and
    /// inode; null at start: not known on this platform, only the lock tells).</summary>
    public static StateDirFinding Judge((uint, uint, ulong)? atStart, (uint, uint, ulong)? now, bool lockLost) =>
        atStart is null ? (lockLost ? StateDirFinding.LockLost : StateDirFinding.Intact)
        : now is null ? StateDirFinding.Missing
        : now != atStart ? StateDirFinding.Replaced
        : lockLost ? StateDirFinding.LockLost
        : StateDirFinding.Intact;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) Check();
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override void Dispose()
    {
        guard.Dispose();
        base.Dispose();
    }
}
