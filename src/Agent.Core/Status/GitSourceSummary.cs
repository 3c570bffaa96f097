namespace Agent.Core.Status;

/// <summary>A GitRepository's own fields in GET /api/v1/objects (kubectl/flux columns): where it fetches from and when.
/// The URL never holds user information.</summary>
public sealed record GitSourceSummary
{
    public required string Url { get; init; }
    public required string Ref { get; init; }
    public string Path { get; init; } = "";
    public bool Suspend { get; init; }
    public bool Prune { get; init; } = true;
    public string? LastFetchedRevision { get; init; }
    public DateTimeOffset? LastSyncTime { get; init; }
    public DateTimeOffset? LastAttemptTime { get; init; }
    public DateTimeOffset? NextSyncTime { get; init; }
    /// <summary>Since when the agent knows the GitRepository (kubectl's AGE).</summary>
    public DateTimeOffset Since { get; init; }
}
