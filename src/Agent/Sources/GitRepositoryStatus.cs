using Agent.Core.Git;
using Agent.Core.Model;
using Agent.Core.Status;

namespace Agent.Sources;

/// <summary>Flux's condition types for a source: Ready (the last sync succeeded), Reconciling (a sync runs), Stalled
/// (the last sync failed and needs the remote or a person to change something).</summary>
public static class SourceConditions
{
    public const string Ready = ConditionTypes.Ready;
    public const string Reconciling = "Reconciling";
    public const string Stalled = "Stalled";
}

/// <summary>What GET /api/v1/gitrepositories shows for one repository (no credential: the URL is redacted).</summary>
public sealed record GitRepositoryStatus
{
    public required string Name { get; init; }
    public required string Url { get; init; }
    public required string Ref { get; init; }
    public string Path { get; init; } = "";
    public bool Suspend { get; init; }
    public bool Prune { get; init; } = true;
    /// <summary>The revision whose manifests are applied (<c>main@sha1:…</c>).</summary>
    public string? LastAppliedRevision { get; init; }
    /// <summary>The revision the last fetch found (also when it was refused).</summary>
    public string? LastFetchedRevision { get; init; }
    public DateTimeOffset? LastSyncTime { get; init; }
    public DateTimeOffset? LastAttemptTime { get; init; }
    public DateTimeOffset? NextSyncTime { get; init; }
    public IReadOnlyList<Condition> Conditions { get; init; } = [];
    /// <summary>The errors of the last refused revision (file:line:column: field: message).</summary>
    public IReadOnlyList<string> ManifestErrors { get; init; } = [];
    /// <summary>Since when the agent knows the repository (kubectl's AGE).</summary>
    public DateTimeOffset Since { get; init; }
    /// <summary>The generation of its manifest (bumped by each change of the spec) and the one the last sync ran with.</summary>
    public long Generation { get; init; }
    public long ObservedGeneration { get; init; }
    /// <summary>Applied, refused and failed syncs, like the kubectl describe Events of other kinds.</summary>
    public IReadOnlyList<ObjectEvent> Events { get; init; } = [];

    public Condition? Condition(string type) => Conditions.FirstOrDefault(c => c.Type == type);
}

/// <summary>The status of every GitRepository, set by the sync only. When each was first seen is kept across restarts
/// (<see cref="Status.FirstSeen"/>), when one is given.</summary>
public sealed class GitRepositoryStatusStore(TimeProvider time, Status.FirstSeen? firstSeen = null)
{
    private readonly Dictionary<string, GitRepositoryStatus> statuses = new(StringComparer.Ordinal);
    private readonly Lock sync = new();

    public IReadOnlyList<GitRepositoryStatus> List()
    {
        lock (sync) return statuses.Values.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
    }

    public GitRepositoryStatus? Get(string name)
    {
        lock (sync) return statuses.GetValueOrDefault(name);
    }

    public GitRepositoryStatus Update(GitRepository repo, Func<GitRepositoryStatus, GitRepositoryStatus> change)
    {
        lock (sync)
        {
            var current = statuses.GetValueOrDefault(repo.Metadata.Name) ?? new GitRepositoryStatus
            {
                Name = repo.Metadata.Name, Url = "", Ref = "", Since = firstSeen?.Of(Key(repo.Metadata.Name), time.GetUtcNow()) ?? time.GetUtcNow(),
                Conditions =
                [
                    new Condition(SourceConditions.Ready, "Unknown", "Progressing", "not fetched yet", time.GetUtcNow()),
                    new Condition(SourceConditions.Reconciling, "True", "Progressing", "fetching for the first time", time.GetUtcNow()),
                ],
            };
            var spec = repo.Spec;
            var updated = change(current) with
            {
                Url = GitUrls.Redact(spec.Url),
                Ref = spec.Ref.Describe(),
                Path = spec.Path,
                Suspend = spec.Suspend,
                Prune = spec.Prune,
            };
            statuses[repo.Metadata.Name] = updated;
            return updated;
        }
    }

    public void SetConditions(GitRepository repo, params (string Type, bool Status, string Reason, string Message)[] conditions) =>
        Update(repo, s =>
        {
            var list = s.Conditions;
            foreach (var (type, status, reason, message) in conditions)
                list = Core.Status.Conditions.Set(list, type, status, reason, message, time.GetUtcNow());
            return s with { Conditions = list };
        });

    /// <summary>An event of the repository (a repeat of the latest is recorded once).</summary>
    public void Record(GitRepository repo, string type, string reason, string message) =>
        Update(repo, s => s with { Events = ObjectEvents.Append(s.Events, new ObjectEvent(time.GetUtcNow(), type, reason, message)) });

    /// <summary>The repository's status as shown, made at once when it has none yet (listed before its first sync); with
    /// its manifest's generation, Ready=False while the manifest does not load, while the manifests folder cannot be read
    /// (the revision checked out is not applied), or while an object it brought cannot be applied (of
    /// <paramref name="objects"/>, the status of every object; see <see cref="GitRepositoryViews"/>).</summary>
    public GitRepositoryStatus Of(GitRepository repo, ManifestStore manifests, IReadOnlyList<ObjectStatus>? objects = null)
    {
        var status = GitRepositoryViews.WithManifest(Get(repo.Metadata.Name) ?? Update(repo, s => s), manifests.Get(GitRepositoryViews.Key(repo)));
        status = GitRepositoryViews.WithSource(status, manifests.SourceError, manifests.SourceErrorSince, manifests.ReadRevision(repo.Metadata.Name));
        return objects is null ? status : GitRepositoryViews.WithObjects(status, objects);
    }

    /// <summary>The repository as one of GET /api/v1/objects (kind GitRepository), beside the objects it brought.</summary>
    public ObjectStatus ObjectOf(GitRepository repo, ManifestStore manifests, IReadOnlyList<ObjectStatus>? objects = null)
    {
        var s = Of(repo, manifests, objects);
        return new ObjectStatus
        {
            Kind = GitRepository.KindName,
            Name = s.Name,
            Source = repo.Source.ToString(),
            LastAppliedRevision = s.LastAppliedRevision,
            Generation = s.Generation,
            ObservedGeneration = s.ObservedGeneration,
            Conditions = s.Conditions,
            ManifestErrors = s.ManifestErrors,
            Events = s.Events,
            GitRepository = new GitSourceSummary
            {
                Url = s.Url, Ref = s.Ref, Path = s.Path, Suspend = s.Suspend, Prune = s.Prune, LastFetchedRevision = s.LastFetchedRevision,
                LastSyncTime = s.LastSyncTime, LastAttemptTime = s.LastAttemptTime, NextSyncTime = s.NextSyncTime, Since = s.Since,
            },
        };
    }

    private static ObjectKey Key(string name) => new(GitRepository.KindName, name);

    /// <summary>The repository is no longer synced; <paramref name="deleted"/>: its manifest is gone too (not held broken),
    /// so one made again under its name starts a new age.</summary>
    public void Remove(string name, bool deleted)
    {
        lock (sync) statuses.Remove(name);
        if (deleted) firstSeen?.Forget(Key(name));
    }
}
