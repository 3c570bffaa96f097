namespace Agent.Hosting;

/// <summary>Agent:Git: the size limit of a repository, and the GitRepository that `agent run --git-url URL` synthesises
/// (named <see cref="Name"/>, as if its manifest were in the folder).</summary>
public sealed class GitSettings
{
    /// <summary>The bare cache of a repository, and one checked-out tree, may not be larger than this.</summary>
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>How many repositories do the local work of a sync (compact, verify, check out, validate) at the same time;
    /// fetching from a remote takes no slot (each repository syncs one at a time, bounded by its own timeout).</summary>
    public int ConcurrentSyncs { get; set; } = 4;

    public string? Url { get; set; }
    public string Ref { get; set; } = "main";
    public string? Path { get; set; }
    public string Interval { get; set; } = "1m";
    public string Name { get; set; } = "default";
}
