using System.Diagnostics;
using Agent.Core.Model;
using Agent.Telemetry;

namespace Agent.Sources;

/// <summary>
/// Keeps each GitRepository's checkout at the head of its ref: fetches on its interval (with jitter), on
/// POST /api/v1/gitrepositories/{name}/sync and on webhooks; verifies, checks out and validates the whole revision with
/// everything else before switching to it. Any failure leaves the previous revision running and says why (Stalled).
/// </summary>
public sealed class GitSyncService(
    ManifestStore manifests,
    GitFetcher fetcher,
    GitCheckouts checkouts,
    GitRepositoryStatusStore status,
    TimeProvider time,
    ILogger<GitSyncService> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private readonly Dictionary<string, RepositoryState> states = new(StringComparer.Ordinal);
    private readonly Lock sync = new();
    private readonly SemaphoreSlim wake = new(0);

    private sealed class RepositoryState
    {
        public DateTimeOffset Due;
        public bool Requested;
        public string Spec = "";
        public string? LastProblem;
        public long Requests;
        public long Done;
    }

    /// <summary>Asks for a sync of the repository now; false when the manifests define no such GitRepository.
    /// Returns the request's number, <see cref="WaitAsync"/> waits until a sync that started after it ended.</summary>
    public long? RequestSync(string name)
    {
        if (manifests.Repositories.All(r => r.Metadata.Name != name)) return null;
        long number;
        lock (sync)
        {
            if (!states.TryGetValue(name, out var state)) states[name] = state = new RepositoryState { Due = time.GetUtcNow() };
            state.Requested = true;
            number = ++state.Requests;
        }
        if (wake.CurrentCount == 0) wake.Release();
        return number;
    }

    /// <summary>The last time each repository synced successfully (for the metric and /readyz/sources).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset?> LastSyncTimes() =>
        manifests.Repositories.ToDictionary(r => r.Metadata.Name, r => status.Get(r.Metadata.Name)?.LastSyncTime, StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await SyncDueAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Git sync failed; retrying: {Error}", Core.Git.GitUrls.Scrub(e.Message));
            }
            var next = NextDue() - time.GetUtcNow();
            var wait = next < TimeSpan.Zero ? TimeSpan.Zero : next > Tick ? Tick : next;
            try
            {
                await wake.WaitAsync(wait, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private DateTimeOffset NextDue()
    {
        lock (sync) return states.Values.Select(s => s.Requested ? DateTimeOffset.MinValue : s.Due).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
    }

    private async Task SyncDueAsync(CancellationToken ct)
    {
        var repos = manifests.Repositories;
        Forget(repos);
        foreach (var repo in repos)
        {
            RepositoryState state;
            bool due;
            lock (sync)
            {
                if (!states.TryGetValue(repo.Metadata.Name, out state!)) states[repo.Metadata.Name] = state = new RepositoryState { Due = time.GetUtcNow() };
                var spec = System.Text.Json.JsonSerializer.Serialize(repo.Spec);
                if (spec != state.Spec)
                {
                    state.Spec = spec; // a changed spec (URL, ref, path, verify) is fetched at once
                    state.Due = time.GetUtcNow();
                }
                due = state.Requested || (!repo.Spec.Suspend && time.GetUtcNow() >= state.Due);
            }
            if (repo.Spec.Suspend && !due)
            {
                status.SetConditions(repo, (SourceConditions.Reconciling, false, "Suspended", "spec.suspend is true: not fetched; the current revision stays applied"));
                continue;
            }
            if (!due) continue;
            long requests;
            lock (sync)
            {
                state.Requested = false;
                requests = state.Requests;
            }
            await SyncAsync(repo, state, ct);
            lock (sync)
            {
                state.Due = time.GetUtcNow() + Jittered(repo.Spec.Interval);
                state.Done = requests;
            }
            status.Update(repo, s => s with { NextSyncTime = repo.Spec.Suspend ? null : state.Due });
        }
    }

    /// <summary>Waits until a sync that began after request <paramref name="number"/> ended (for a synchronous API).</summary>
    public async Task WaitAsync(string name, long number, TimeSpan within, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + within;
        while (time.GetUtcNow() < deadline)
        {
            lock (sync)
                if (!states.TryGetValue(name, out var s) || s.Done >= number) return;
            await Task.Delay(50, ct);
        }
    }

    /// <summary>Repositories no longer in the manifests: their checkouts and status go (what they brought is pruned, or
    /// kept with prune: false, by the manifest store). Nothing is removed before the manifests were read once.</summary>
    private void Forget(IReadOnlyList<GitRepository> repos)
    {
        if (manifests.ReadVersion == 0 || manifests.SourceError is not null) return;
        var names = repos.Select(r => r.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var known in checkouts.Known().Where(n => !names.Contains(n)).ToList())
        {
            if (manifests.Get(new ObjectKey(GitRepository.KindName, known)) is not null) continue; // broken or unreadable: held
            logger.LogInformation("GitRepository {Name} is no longer in the manifests: removing its checkouts", known);
            checkouts.Remove(known);
        }
        lock (sync)
            foreach (var gone in states.Keys.Where(n => !names.Contains(n)).ToList())
            {
                states.Remove(gone);
                status.Remove(gone);
            }
    }

    private static TimeSpan Jittered(TimeSpan interval) =>
        interval * (0.9 + Random.Shared.NextDouble() * 0.2); // ±10%: many agents on one repository do not fetch in step

    private async Task SyncAsync(GitRepository repo, RepositoryState state, CancellationToken ct)
    {
        var name = repo.Metadata.Name;
        var started = Stopwatch.GetTimestamp();
        status.Update(repo, s => s with { LastAttemptTime = time.GetUtcNow() });
        status.SetConditions(repo, (SourceConditions.Reconciling, true, "Progressing", $"fetching {repo.Spec.Ref.Name} from {Core.Git.GitUrls.Redact(repo.Spec.Url)}"));
        var result = "applied";
        try
        {
            var previous = checkouts.Current(name);
            var commit = await fetcher.FetchAsync(repo, ct);
            var revision = GitDocuments.Revision(repo.Spec.Ref, commit);
            status.Update(repo, s => s with { LastFetchedRevision = revision });
            await fetcher.VerifyAsync(repo, commit, ct);
            if (previous?.Commit == commit)
                result = "unchanged";
            else
            {
                checkouts.Clean(name, previous?.Commit);
                var staging = await fetcher.CheckoutAsync(repo, commit, ct);
                var errors = manifests.Validate(repo, new GitCheckout(name, commit, staging));
                if (errors.Count > 0)
                {
                    Directory.Delete(staging, recursive: true);
                    status.Update(repo, s => s with { ManifestErrors = errors.Select(e => e.ToString()).ToList() });
                    var keeps = previous is null ? "nothing from this repository is applied" : $"{GitDocuments.Revision(repo.Spec.Ref, previous.Commit)} stays applied";
                    throw new GitSyncException("InvalidRevision",
                        $"revision {revision} is not applied: {errors.Count} manifest error(s), first {errors[0]}; {keeps}");
                }
                checkouts.Publish(name, staging, commit);
                manifests.RequestReload();
                logger.LogInformation("GitRepository {Name}: applying revision {Revision} (was {Previous})", name, revision,
                    previous is null ? "none" : GitDocuments.Revision(repo.Spec.Ref, previous.Commit));
            }
            status.Update(repo, s => s with { LastAppliedRevision = revision, LastSyncTime = time.GetUtcNow(), ManifestErrors = [] });
            status.SetConditions(repo,
                (SourceConditions.Ready, true, "Succeeded", $"revision {revision} is applied"),
                (SourceConditions.Reconciling, false, "Succeeded", $"fetched in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.###}s"),
                (SourceConditions.Stalled, false, "Succeeded", ""));
            if (state.LastProblem is not null) logger.LogInformation("GitRepository {Name} syncs again at {Revision}", name, revision);
            state.LastProblem = null;
        }
        catch (GitSyncException e)
        {
            result = Snake(e.Reason);
            var current = checkouts.Current(name);
            status.Update(repo, s => s with { LastAppliedRevision = current is null ? null : GitDocuments.Revision(repo.Spec.Ref, current.Commit) });
            status.SetConditions(repo,
                (SourceConditions.Ready, false, e.Reason, e.Message),
                (SourceConditions.Reconciling, false, e.Reason, "retrying at the next interval, webhook or sync request"),
                (SourceConditions.Stalled, true, e.Reason, e.Message));
            if (state.LastProblem != e.Message)
                logger.LogWarning("GitRepository {Name}: {Reason}: {Message}", name, e.Reason, e.Message);
            state.LastProblem = e.Message;
        }
        finally
        {
            AgentMetrics.SourceSyncs.Add(1, new KeyValuePair<string, object?>("result", result));
        }
    }

    private static string Snake(string reason) =>
        string.Concat(reason.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
