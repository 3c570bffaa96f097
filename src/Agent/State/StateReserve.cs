namespace Agent.State;

/// <summary>
/// Room kept back in the state dir for a record that must land even when the disk is full: a file of
/// <see cref="Bytes"/> zeros (and its inode) that the owner deletes when a write of its record finds no space, then writes
/// again. Made again once there is room. probe-31 F11: the mass-prune guard's hold could not be written on a full state
/// dir; a restart forgot it and pruned what it had held.
/// </summary>
public sealed class StateReserve(string path)
{
    public const int Bytes = 64 * 1024;

    public string Path { get; } = path;

    /// <summary>Makes the reserve when it is missing and there is room; a failure leaves no part of it (there is no room:
    /// the next call tries again).</summary>
    public void Keep()
    {
        if (!StateFile.MayWrite || File.Exists(Path) || StateFile.Refused(Path) is not null) return;
        try
        {
            using (var stream = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(new byte[Bytes]); // real blocks, not a sparse file: deleting it frees them
                stream.Flush(flushToDisk: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete();
        }
    }

    /// <summary>Frees the room for the owner's write that found the disk full; false when there was no reserve to free.</summary>
    public bool Release(StateWriteException failure) => failure.IsDiskFull && StateFile.MayWrite && File.Exists(Path) && TryDelete();

    private bool TryDelete()
    {
        try
        {
            File.Delete(Path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
