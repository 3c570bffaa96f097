using Agent.Core.Status;
using Agent.State;

namespace Agent.Sources;

/// <summary>
/// What a GitRepository's last sync ended with, kept beside its checkouts (<c>STATE/git/NAME/last-sync.json</c>, written
/// whole or not at all): after a restart the status shows the applied revision and the last outcome at once, not
/// "not fetched yet" until the next fetch succeeds (which, with the remote down, may be never).
/// </summary>
public sealed record GitLastSync(string Commit, string Revision, string? FetchedRevision, DateTimeOffset? SyncTime,
    IReadOnlyList<Condition> Conditions, IReadOnlyList<string> ManifestErrors)
{
    public const string FileName = "last-sync.json";

    public static void Save(string folder, GitCheckout current, GitRepositoryStatus status) =>
        StateFile.WriteJson(Path.Combine(folder, FileName), new GitLastSync(current.Commit, status.LastAppliedRevision ?? "", status.LastFetchedRevision,
            status.LastSyncTime, status.Conditions.Where(c => c.Type != SourceConditions.Reconciling).ToList(), status.ManifestErrors));

    public static GitLastSync? Load(string folder, ILogger logger) => StateFile.ReadJson<GitLastSync>(Path.Combine(folder, FileName), logger);

    /// <summary>The status a restarted agent shows for a repository whose checkout <paramref name="current"/> is in use:
    /// the saved one when it is of that commit, else the revision with Ready Unknown.</summary>
    public static GitRepositoryStatus Restore(GitRepositoryStatus status, GitCheckout current, string revision, GitLastSync? saved, DateTimeOffset now)
    {
        if (saved is not null && saved.Commit == current.Commit && saved.Revision.Length > 0)
            return status with
            {
                LastAppliedRevision = saved.Revision,
                LastFetchedRevision = saved.FetchedRevision,
                LastSyncTime = saved.SyncTime,
                ManifestErrors = saved.ManifestErrors,
                Conditions = [.. saved.Conditions, .. status.Conditions.Where(c => c.Type == SourceConditions.Reconciling)],
            };
        return status with
        {
            LastAppliedRevision = revision,
            Conditions = [.. status.Conditions.Where(c => c.Type != SourceConditions.Ready), new Condition(SourceConditions.Ready, "Unknown", "Restarted",
                $"revision {revision} is applied (checked out before the agent restarted); not fetched since", now)],
        };
    }
}
