namespace Agent.State;

/// <summary>A state file could not be saved: nothing it was meant to record has taken effect.</summary>
public sealed class StateWriteException(string path, Exception inner)
    : IOException($"writing {path} failed: {inner.Message}", inner)
{
    private const int ENOSPC = 28;
    private const int EDQUOT = 122;

    public string Path { get; } = path;

    /// <summary>The file system is full (or over quota): HTTP 507 Insufficient Storage.</summary>
    public bool IsDiskFull => (InnerException!.HResult & 0xFFFF) is ENOSPC or EDQUOT
        || InnerException.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
}
