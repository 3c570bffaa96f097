namespace Agent.State;

/// <summary>
/// Folders of the state dir that the agent writes, cleans or deletes in are never followed through a symbolic link put
/// in their place (a cleaner, rsync, an admin's `mv` and `ln -s`): the link is unlinked, its target untouched, and what
/// the agent keeps there is made again (probe-28 F9, probe-29 F1/F5: the git store's folders, turned into links, were
/// written through and folders outside the state dir deleted as stale checkouts).
/// </summary>
public static class StateLinks
{
    /// <summary>Unlinks each of <paramref name="levels"/> (outermost first) that is a symbolic link. False when one is a
    /// link that cannot be removed: nothing may be written or deleted below it then.</summary>
    public static bool Unlink(ILogger? logger, params string[] levels)
    {
        foreach (var level in levels)
        {
            if (new FileInfo(level).LinkTarget is not { } target) continue;
            try
            {
                File.Delete(level); // unlink(2): the target is not touched
                logger?.LogWarning("{Level} in the agent's state dir was a symbolic link (to {Target}): removed, never followed; what the agent keeps there is made again", level, target);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger?.LogWarning("{Level} in the agent's state dir is a symbolic link (to {Target}) that cannot be removed: nothing is written or deleted through it: {Error}", level, target, e.Message);
                return false;
            }
        }
        return true;
    }

    /// <summary><see cref="Unlink"/>, or an <see cref="IOException"/> when a link stays (the caller writes below the levels).</summary>
    public static void EnsureReal(ILogger? logger, params string[] levels)
    {
        if (!Unlink(logger, levels))
            throw new IOException($"{levels.First(l => new FileInfo(l).LinkTarget is not null)} in the agent's state dir is a symbolic link that cannot be removed: nothing is written through it");
    }
}
