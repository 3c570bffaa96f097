namespace Agent.Core.Git;

/// <summary>
/// When a repository's revision did not fit in the state dir, its interval does not fetch it again (each try wrote the
/// disk full, and every other state write failed meanwhile): only once the file system has more room, or after
/// <see cref="Longest"/>. A sync request or webhook still tries at once.
/// </summary>
public static class StateDirRetry
{
    public static readonly TimeSpan Longest = TimeSpan.FromHours(1);

    /// <summary>More free than this since the failure is worth a new try.</summary>
    public const long MoreRoom = 1024 * 1024;

    public static bool IsDue(long freeAtFailure, long freeNow, DateTimeOffset failedAt, DateTimeOffset now) =>
        freeNow >= freeAtFailure + MoreRoom || now - failedAt >= Longest;
}
