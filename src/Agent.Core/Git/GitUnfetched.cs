namespace Agent.Core.Git;

/// <summary>What a repository's tree holds that the agent does not fetch: a submodule (its folder stays empty) or a Git
/// LFS pointer (the file holds the pointer text, not the content). <see cref="Why"/> says which, for people.</summary>
public sealed record GitUnfetched(string Path, string Why)
{
    private const string LfsHeader = "version https://git-lfs.github.com/spec/v1";

    /// <summary>Git LFS writes pointers of at most 1024 bytes; only files that small are read to tell.</summary>
    public const int LfsPointerMaxBytes = 1024;

    public static GitUnfetched Submodule(string path, string commit) =>
        new(path, $"a git submodule (commit {commit[..Math.Min(12, commit.Length)]}) whose content is not fetched: submodules are not checked out");

    public static GitUnfetched LfsPointer(string path) =>
        new(path, "a Git LFS pointer, not the file's content: Git LFS content is not fetched");

    /// <summary>Whether a file's first bytes are a Git LFS pointer's.</summary>
    public static bool IsLfsPointer(ReadOnlySpan<byte> head) => head.StartsWith(System.Text.Encoding.ASCII.GetBytes(LfsHeader));

    /// <summary>The entry a repository path is at or under, or null.</summary>
    public static GitUnfetched? Covering(IEnumerable<GitUnfetched> entries, string path) =>
        entries.FirstOrDefault(u => path == u.Path || path.StartsWith(u.Path + "/", StringComparison.Ordinal));
}
