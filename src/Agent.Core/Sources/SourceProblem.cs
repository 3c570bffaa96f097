namespace Agent.Core.Sources;

/// <summary>Why a path of the manifests folder could not be read. Bounded values: they label a metric.</summary>
public static class SourceProblemReasons
{
    public const string Unreadable = "unreadable";
    public const string Empty = "empty";
    public const string TooLarge = "too_large";
    public const string DanglingLink = "dangling_link";
    public const string SymlinkLoop = "symlink_loop";
    public const string OutsideRoot = "outside_root";
    public const string TooDeep = "too_deep";
    public const string TooMany = "too_many";
    public const string UndecodableName = "undecodable_name";
    public const string Unmounted = "unmounted";
}

/// <summary>
/// A file or folder of the manifests whose content is not known this read. When <see cref="HidesObjects"/>, the objects
/// it last defined are held at their last good state (a failed read is never a deletion); a symlink loop hides nothing,
/// its folder is read once through its real path.
/// </summary>
public sealed record SourceProblem(string Path, string Reason, string Message, bool HidesObjects = true)
{
    public override string ToString() => $"{Path}: {Message}";

    /// <summary>The path of a problem of the manifests folder itself (it holds an entry that cannot be read).</summary>
    public const string RootFolder = ".";

    /// <summary>True when <paramref name="file"/> (relative to the folder) is this path or lies under it.</summary>
    public bool Covers(string file) => Covers(Path, file);

    /// <summary>True when <paramref name="file"/> is <paramref name="held"/> or lies under it (<see cref="RootFolder"/>: everything).</summary>
    public static bool Covers(string held, string file) =>
        held == RootFolder || file == held || file.StartsWith(held.EndsWith('/') ? held : held + "/", StringComparison.Ordinal);
}
