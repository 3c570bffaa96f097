using System.Diagnostics;
using Agent.Core;
using Agent.Core.Model;
using Agent.Telemetry;

namespace Agent.Sources;

/// <summary>The answer to a sync request: its number, or why there is none.</summary>
public sealed record SyncRequest(long Number, bool Found = true, bool IsSuspended = false)
{
    public static readonly SyncRequest NotFound = new(0, Found: false);
    public static readonly SyncRequest Suspended = new(0, IsSuspended: true);
}

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
    ILogger<GitSyncService> logger,
    GitProcesses processes,
    Microsoft.Extensions.Options.IOptions<Hosting.AgentOptions>? options = null,
    GitBindStore? binds = null,
    Reconciliation.ObservedCache? cache = null,
    AgentLabels? labels = null,
    GitDocuments? documents = null,
    GitLocalSlots? localSlots = null,
    State.StateDirWatch? stateDir = null) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private readonly Dictionary<string, RepositoryState> states = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task> running = new(StringComparer.Ordinal);
    // Each running sync's own cancellation: a repository deleted from the manifests stops its fetch at once.
    private readonly Dictionary<string, CancellationTokenSource> cancels = new(StringComparer.Ordinal);
    private readonly Lock sync = new();
    private readonly SemaphoreSlim wake = new(0);
    // Repositories sync side by side: each fetches on its own (a slow or unreachable remote delays no other), and the
    // local work after a fetch runs a few at a time.
    private readonly GitLocalSlots slots = localSlots ?? new GitLocalSlots(options);

    private sealed class RepositoryState
    {
        public DateTimeOffset Due;
        public bool Requested;
        public string Spec = "";
        public string? LastProblem;
        /// <summary>The first error of the repository's broken manifest last recorded as an event.</summary>
        public string? ManifestError;
        /// <summary>A commit whose tree was over the size limit: not checked out again until the remote moves on.</summary>
        public string? OversizedCommit;
        /// <summary>Set while the revision does not fit in the state dir: the free bytes then, and when (see <see cref="Core.Git.StateDirRetry"/>).</summary>
        public (long Free, DateTimeOffset At)? StateDirFull;
        public long Requests;
        public long Done;
    }

    /// <summary>Asks for a sync of the repository now: <see cref="SyncRequest.NotFound"/> when the manifests define no
    /// such GitRepository, <see cref="SyncRequest.Suspended"/> (nothing fetched) under spec.suspend. Otherwise the
    /// request's number; <see cref="WaitAsync"/> waits until a sync that started after it ended.</summary>
    public SyncRequest RequestSync(string name)
    {
        var repo = manifests.Repositories.FirstOrDefault(r => r.Metadata.Name == name);
        if (repo is null) return SyncRequest.NotFound;
        if (repo.Spec.Suspend) return SyncRequest.Suspended;
        long number;
        lock (sync)
        {
            var state = StateOf(repo);
            state.Requested = true;
            number = ++state.Requests;
        }
        Wake();
        return new SyncRequest(number);
    }

    /// <summary>The repository's sync state, made when first seen (under <see cref="sync"/>): a revision checked out before
    /// a restart shows in the status at once, with the last outcome saved beside it.</summary>
    private RepositoryState StateOf(GitRepository repo)
    {
        var name = repo.Metadata.Name;
        if (states.TryGetValue(name, out var state)) return state;
        states[name] = state = new RepositoryState { Due = time.GetUtcNow() };
        if (checkouts.Current(name) is { } current)
        {
            GitLastSync? saved = null;
            try
            {
                saved = GitLastSync.Load(checkouts.Folder(name), logger);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("GitRepository {Name}: its last sync cannot be read back: {Error}", name, e.Message);
            }
            status.Update(repo, s => GitLastSync.Restore(s, current, GitDocuments.Revision(repo.Spec.Ref, current), saved, time.GetUtcNow()));
        }
        return state;
    }

    private void Wake()
    {
        if (wake.CurrentCount == 0) wake.Release();
    }

    /// <summary>The last time each repository synced successfully (for the metric and /readyz/sources).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset?> LastSyncTimes() =>
        manifests.Repositories.ToDictionary(r => r.Metadata.Name, r => status.Get(r.Metadata.Name)?.LastSyncTime, StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        RecoverFromCrash();
        manifests.Read += Wake; // a repository added, changed or deleted, or its manifest broken or fixed
        while (!ct.IsCancellationRequested)
        {
            try
            {
                StartDue(ct);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Git sync failed; retrying: {Error}", Core.Git.GitUrls.Scrub(e.Message));
            }
            var due = NextDue();
            var next = due - time.GetUtcNow();
            // Without repositories nothing is due until a read of the manifests brings one (it wakes this loop).
            var wait = due == DateTimeOffset.MaxValue && manifests.Repositories.Count == 0 && NoneRunning() ? Timeout.InfiniteTimeSpan
                : next < TimeSpan.Zero ? TimeSpan.Zero : next > Tick ? Tick : next;
            try
            {
                await wake.WaitAsync(wait, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
        }
        Task[] left;
        lock (sync) left = running.Values.ToArray();
        try
        {
            await Task.WhenAll(left); // each ends at once: its git is killed on cancellation
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    /// <summary>What an agent killed during a fetch left: git processes still running (killed) and half-written
    /// checkouts and git lock files (removed); the next sync then starts from the last published revision.</summary>
    private void RecoverFromCrash()
    {
        try
        {
            var killed = processes.KillLeftovers();
            if (killed > 0) logger.LogWarning("Killed {Count} git process(es) left running by an earlier agent that did not stop cleanly", killed);
            foreach (var name in checkouts.Known()) checkouts.Recover(name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Cleaning up after an earlier agent failed: {Error}", e.Message);
        }
    }

    private bool NoneRunning()
    {
        lock (sync) return running.Count == 0;
    }

    private DateTimeOffset NextDue()
    {
        lock (sync)
            return states.Where(p => !running.ContainsKey(p.Key)).Select(p => p.Value.Requested ? DateTimeOffset.MinValue : p.Value.Due)
                .DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
    }

    /// <summary>Starts a sync of each repository that is due and not syncing already; does not wait for them.</summary>
    private void StartDue(CancellationToken ct)
    {
        var repos = manifests.Repositories;
        Forget(repos);
        foreach (var repo in repos)
        {
            var name = repo.Metadata.Name;
            lock (sync)
            {
                if (running.ContainsKey(name)) continue;
                var state = StateOf(repo);
                var spec = System.Text.Json.JsonSerializer.Serialize(repo.Spec, Core.Json.CoreJsonContext.Default.GitRepositorySpec);
                if (spec != state.Spec)
                {
                    if (Core.Git.GitUrls.IsPlain(repo.Spec.Url) && repo.Spec.AllowedSignersFile is null)
                        logger.LogWarning("GitRepository {Name} is fetched over {Url}, which neither encrypts nor authenticates the server: " +
                                          "what it brings can be changed on the way; use https:// or ssh://, or spec.verify", name, Core.Git.GitUrls.Redact(repo.Spec.Url));
                    state.Spec = spec; // a changed spec (URL, ref, path, verify) is fetched at once
                    state.OversizedCommit = null;
                    state.Due = time.GetUtcNow();
                }
                RecordManifestError(repo, state);
                if (repo.Spec.Suspend) // no trigger fetches a suspended repository (a request made before the suspend is dropped)
                {
                    state.Requested = false;
                    status.SetConditions(repo, (SourceConditions.Reconciling, false, "Suspended", "spec.suspend is true: not fetched; the current revision stays applied"));
                    continue;
                }
                if (!state.Requested && time.GetUtcNow() < state.Due) continue;
                if (!state.Requested && state.StateDirFull is { } full
                    && !Core.Git.StateDirRetry.IsDue(full.Free, GitFetcher.FreeBytes(checkouts.Root), full.At, time.GetUtcNow())) continue;
                state.Requested = false;
                var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
                cancels[name] = cancel;
                running[name] = RunAsync(repo, state, state.Requests, cancel, ct);
            }
        }
    }

    /// <summary>A broken manifest of the repository is an event once per first error (its status shows it while it lasts).</summary>
    private void RecordManifestError(GitRepository repo, RepositoryState state)
    {
        var entry = manifests.Get(GitRepositoryViews.Key(repo));
        var error = entry is { IsBroken: true } ? entry.Errors[0].ToString() : null;
        if (error == state.ManifestError) return;
        state.ManifestError = error;
        if (error is not null)
        {
            var broken = GitRepositoryViews.BrokenEvent(entry!, DateTimeOffset.MinValue);
            status.Record(repo, broken.Type, broken.Reason, broken.Message);
        }
    }

    private async Task RunAsync(GitRepository repo, RepositoryState state, long requests, CancellationTokenSource cancel, CancellationToken stopping)
    {
        await Task.Yield(); // never run inside StartDue's lock
        var ct = cancel.Token;
        try
        {
            await SyncAsync(repo, state, ct);
            using (await slots.EnterAsync(ct)) CollectBinds();
            lock (sync)
            {
                state.Due = time.GetUtcNow().Plus(Jittered(repo.Spec.Interval));
                state.Done = requests;
            }
            status.Update(repo, s => s with { NextSyncTime = repo.Spec.Suspend ? null : state.Due });
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // stopping
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            logger.LogInformation("GitRepository {Name} is no longer in the manifests: its sync was stopped", repo.Metadata.Name);
        }
        catch (Exception e)
        {
            logger.LogError(e, "GitRepository {Name}: sync failed; retrying: {Error}", repo.Metadata.Name, Core.Git.GitUrls.Scrub(e.Message));
            lock (sync)
            {
                state.Due = time.GetUtcNow().Plus(Jittered(repo.Spec.Interval));
                state.Done = requests; // it ended (failed): a waiting sync request answers now, not after its deadline
            }
        }
        finally
        {
            lock (sync)
            {
                running.Remove(repo.Metadata.Name);
                cancels.Remove(repo.Metadata.Name);
            }
            cancel.Dispose();
            Wake();
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
        List<string> busy;
        lock (sync)
        {
            foreach (var (name, cancel) in cancels)
                if (!names.Contains(name) && manifests.Get(new ObjectKey(GitRepository.KindName, name)) is null && !cancel.IsCancellationRequested)
                    cancel.Cancel(); // deleted: its fetch stops now; the checkouts go once it ended
            busy = running.Keys.ToList();
        }
        foreach (var known in checkouts.Known().Where(n => !names.Contains(n) && !busy.Contains(n)).ToList())
        {
            if (manifests.Get(new ObjectKey(GitRepository.KindName, known)) is not null) continue; // broken or unreadable: held
            logger.LogInformation("GitRepository {Name} is no longer in the manifests: removing its checkouts", known);
            checkouts.Remove(known);
            documents?.Forget(known);
        }
        lock (sync)
            foreach (var gone in states.Keys.Where(n => !names.Contains(n) && !running.ContainsKey(n)).ToList())
            {
                states.Remove(gone);
                status.Remove(gone, deleted: manifests.Get(new ObjectKey(GitRepository.KindName, gone)) is null);
            }
    }

    /// <summary>Removes copies of bound repository content that neither the desired state nor any container of the agent
    /// (its applied-spec label) names any more; nothing while the engine's view is not current.</summary>
    private void CollectBinds()
    {
        if (binds is null || cache is null || labels is null || !cache.IsCurrent) return;
        var desired = manifests.All().Select(e => e.Object).OfType<ServiceGroup>().SelectMany(g => g.Spec.Services)
            .SelectMany(s => s.Container.Mounts).Select(m => m.Source).OfType<string>().Concat(documents?.BindSources() ?? []).ToList();
        var applied = cache.Containers.Select(c => c.Labels.GetValueOrDefault(labels.Spec)).OfType<string>().ToList();
        foreach (var repository in binds.Repositories().ToList())
        {
            bool InUse(string copy)
            {
                var id = $"/.binds/{repository}/{Path.GetFileName(copy)}/";
                return desired.Any(d => d.Contains(id, StringComparison.Ordinal)) || applied.Any(a => a.Contains(id, StringComparison.Ordinal));
            }
            binds.CheckInUse(repository, InUse);
            var removed = binds.Collect(repository, InUse, (path, kept) =>
            {
                // probe-27: the data a container wrote seemed gone; the log line alone named where it went.
                if (manifests.Repositories.FirstOrDefault(r => r.Metadata.Name == repository) is { } repo)
                    status.Record(repo, "Warning", "WrittenCopyKept", GitBindStore.KeptMessage(path, kept));
            });
            if (removed > 0) logger.LogInformation("GitRepository {Name}: removed {Count} copy(ies) of bound content no container uses", repository, removed);
        }
    }

    private static TimeSpan Jittered(TimeSpan interval) =>
        interval * (0.9 + Random.Shared.NextDouble() * 0.2); // ±10%: many agents on one repository do not fetch in step

    private async Task SyncAsync(GitRepository repo, RepositoryState state, CancellationToken ct)
    {
        var name = repo.Metadata.Name;
        var started = Stopwatch.GetTimestamp();
        var generation = manifests.Get(GitRepositoryViews.Key(repo)) is { IsBroken: false } entry ? entry.Generation : (long?)null;
        status.Update(repo, s => s with { LastAttemptTime = time.GetUtcNow(), ObservedGeneration = generation ?? s.ObservedGeneration });
        status.SetConditions(repo, (SourceConditions.Reconciling, true, "Progressing", $"fetching {repo.Spec.Ref.Name} from {Core.Git.GitUrls.Redact(repo.Spec.Url)}"));
        var result = "applied";
        try
        {
            // probe-17 F5: with the state dir moved away every sync failed outside this handler: Ready stayed True,
            // Reconciling "fetching" for good, and a sync?wait=true request waited its whole 5 minutes.
            if (stateDir?.Check() is not null) throw StateDirUnusable(repo);
            var previous = checkouts.Current(name);
            var (commit, tag) = await fetcher.FetchAsync(repo, ct);
            var revision = GitDocuments.Revision(repo.Spec.Ref, commit, tag);
            status.Update(repo, s => s with { LastFetchedRevision = revision });
            using var slot = await slots.EnterAsync(ct); // the local work; the fetch above took none
            await fetcher.VerifyAsync(repo, commit, ct);
            var damaged = previous?.Commit == commit && !checkouts.Intact(previous);
            if (damaged)
                logger.LogWarning("GitRepository {Name}: the checkout of {Revision} in the state dir does not match its commit (a file is missing or changed): checking it out again",
                    name, revision);
            if (previous?.Commit == commit && !damaged)
            {
                if (!GitDocuments.HasPath(repo, previous.Folder)) // spec.path changed to a folder this revision lacks
                {
                    var error = GitDocuments.PathNotFound(repo, commit, tag);
                    status.Update(repo, s => s with { ManifestErrors = [error.ToString()] });
                    throw new GitSyncException("PathNotFound", $"{error}; the objects GitRepository {name} brought are kept as they are");
                }
                result = "unchanged";
            }
            else
            {
                if (state.OversizedCommit == commit)
                    throw new GitSyncException("SizeLimitExceeded",
                        $"the tree of {commit} is larger than the size limit (Agent:Git:MaxBytes); it is not checked out again until a new revision; {Keeps(repo, previous)}");
                checkouts.Clean(name);
                string staging;
                IReadOnlyList<Core.Git.GitLink> skipped;
                IReadOnlyList<Core.Git.GitUnfetched> unfetched;
                try
                {
                    (staging, skipped, unfetched) = await fetcher.CheckoutAsync(repo, commit, ct);
                }
                catch (GitSyncException e) when (e.Reason == "SizeLimitExceeded")
                {
                    state.OversizedCommit = commit;
                    throw new GitSyncException(e.Reason, $"{e.Message}; {Keeps(repo, previous)}");
                }
                if (!GitDocuments.HasPath(repo, staging))
                {
                    Directory.Delete(staging, recursive: true);
                    var error = GitDocuments.PathNotFound(repo, commit, tag);
                    status.Update(repo, s => s with { ManifestErrors = [error.ToString()] });
                    throw new GitSyncException("PathNotFound", $"{error}; {Keeps(repo, previous)}");
                }
                var errors = manifests.Validate(repo, new GitCheckout(name, commit, staging) { SkippedLinks = skipped, Unfetched = unfetched });
                if (errors.Count > 0)
                {
                    Directory.Delete(staging, recursive: true);
                    errors = [.. errors.OrderBy(e => e.File, StringComparer.Ordinal).ThenBy(e => e.Line).ThenBy(e => e.Column)];
                    status.Update(repo, s => s with { ManifestErrors = errors.Select(e => e.ToString()).ToList() });
                    throw new GitSyncException("InvalidRevision",
                        $"revision {revision} is not applied: {errors.Count} manifest error(s), first {errors[0]}; {Keeps(repo, previous)}");
                }
                checkouts.Publish(name, staging, commit, tag, skipped);
                if (skipped.Count > 0)
                    logger.LogInformation("GitRepository {Name}: {Count} symbolic link(s) of revision {Revision} leave the repository and are not checked out: {Links}",
                        name, skipped.Count, revision, string.Join(", ", skipped.Take(5).Select(l => $"{l.Path} -> {l.Target}")));
                if (unfetched.Count > 0)
                {
                    var what = $"{unfetched.Count} path(s) of revision {revision} are not fetched (no file of the repository references them): " +
                               string.Join("; ", unfetched.Take(5).Select(u => $"{u.Path}: {u.Why}"));
                    logger.LogWarning("GitRepository {Name}: {Unfetched}", name, what);
                    status.Record(repo, "Warning", "NotFetched", what);
                }
                checkouts.Clean(name);
                manifests.RequestReload();
                var was = previous is null ? "none" : GitDocuments.Revision(repo.Spec.Ref, previous);
                logger.LogInformation("GitRepository {Name}: applying revision {Revision} (was {Previous})", name, revision, was);
                status.Record(repo, "Normal", "Applied", $"revision {revision} is applied (was {was})");
            }
            status.Update(repo, s => s with { LastAppliedRevision = revision, LastSyncTime = time.GetUtcNow(), ManifestErrors = [] });
            status.SetConditions(repo,
                (SourceConditions.Ready, true, "Succeeded", $"revision {revision} is applied"),
                (SourceConditions.Reconciling, false, "Succeeded", $"fetched in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.###}s"),
                (SourceConditions.Stalled, false, "Succeeded", ""));
            if (state.LastProblem is not null)
            {
                logger.LogInformation("GitRepository {Name} syncs again at {Revision}", name, revision);
                status.Record(repo, "Normal", "Recovered", $"syncs again at {revision}");
            }
            state.LastProblem = null;
            lock (sync) state.StateDirFull = null;
        }
        catch (State.StateWriteException e)
        {
            result = Failed(repo, state, stateDir?.Check() is not null ? StateDirUnusable(repo) : new GitSyncException(StateWriteFailedReason,
                $"writing into the agent's state dir failed: {HidePath(e.Message)}; {KeptByStatus(repo)}"));
        }
        catch (GitSyncException e)
        {
            result = Failed(repo, state, e);
        }
        catch (OperationCanceledException)
        {
            result = "cancelled";
            throw;
        }
        catch (Exception e)
        {
            // Any other failure ends the sync as failed too: never a stale Ready=True with Reconciling "fetching".
            logger.LogError(e, "GitRepository {Name}: sync failed: {Error}", name, Core.Git.GitUrls.Scrub(e.Message));
            result = Failed(repo, state, new GitSyncException(SyncFailedReason, $"{HidePath(Core.Git.GitUrls.Scrub(e.Message))}; {KeptByStatus(repo)}"));
        }
        finally
        {
            if (result != "cancelled") SaveLastSync(repo);
            AgentMetrics.SourceSyncs.Add(1, new KeyValuePair<string, object?>("source", $"{GitRepository.KindName}/{name}"),
                new KeyValuePair<string, object?>("result", result));
        }
    }

    public const string StateDirMissingReason = "StateDirMissing";
    public const string StateDirReplacedReason = "StateDirReplaced";
    public const string StateWriteFailedReason = "StateWriteFailed";
    public const string SyncFailedReason = "SyncFailed";

    /// <summary>The state dir is missing or another folder: nothing is fetched or checked out (nothing may be written
    /// there), and what the repository brought stays as it is. The message names no host path (viewers read it).</summary>
    private GitSyncException StateDirUnusable(GitRepository repo)
    {
        var missing = stateDir is null || !Directory.Exists(stateDir.Dir);
        return new GitSyncException(missing ? StateDirMissingReason : StateDirReplacedReason,
            (missing ? "the agent's state dir is missing (moved away or deleted while the agent ran)"
                : "the agent's state dir is another folder than the one it started with (replaced while it ran)") +
            $": nothing is fetched until it is back (or the agent restarts); {KeptByStatus(repo)}");
    }

    /// <summary>What stays applied, as the status last showed it (the checkout itself may be out of reach).</summary>
    private string KeptByStatus(GitRepository repo) =>
        status.Get(repo.Metadata.Name)?.LastAppliedRevision is { } applied ? $"{applied} stays applied" : "nothing from this repository is applied";

    private string HidePath(string message) =>
        stateDir is null ? message : message.Replace(stateDir.Dir, "<state dir>", StringComparison.Ordinal);

    /// <summary>A failed sync: Ready and Stalled say why, Reconciling ends, a Warning event; returns the metric's result.</summary>
    private string Failed(GitRepository repo, RepositoryState state, GitSyncException e)
    {
        var name = repo.Metadata.Name;
        var result = Snake(e.Reason);
        var full = e.Reason == GitFetcher.StateDirFullReason;
        lock (sync) state.StateDirFull = full ? (GitFetcher.FreeBytes(checkouts.Root), time.GetUtcNow()) : null;
        var current = StateDirOk() ? checkouts.Current(name) : null;
        // The errors listed are those of this failure: a fetch, checkout or size failure has none (not a stale list).
        var revisionErrors = e.Reason is "InvalidRevision" or "PathNotFound";
        status.Update(repo, s => s with
        {
            // While the state dir is out of reach its checkouts are too: the revision shown stays (nothing is pruned for it).
            LastAppliedRevision = !StateDirOk() ? s.LastAppliedRevision : GitDocuments.AppliedAfterFailure(s.LastAppliedRevision, repo.Spec.Ref, current),
            ManifestErrors = revisionErrors ? s.ManifestErrors : [],
        });
        status.SetConditions(repo,
            (SourceConditions.Ready, false, e.Reason, e.Message),
            (SourceConditions.Reconciling, false, e.Reason, full
                ? "retried once the state dir has more free space (or after an hour); a webhook or sync request tries at once"
                : "retrying at the next interval, webhook or sync request"),
            (SourceConditions.Stalled, true, e.Reason, e.Message));
        if (state.LastProblem != e.Message)
            logger.LogWarning("GitRepository {Name}: {Reason}: {Message}", name, e.Reason, e.Message);
        status.Record(repo, "Warning", e.Reason, e.Message);
        state.LastProblem = e.Message;
        return result;
    }

    private bool StateDirOk() => stateDir?.Check() is null;

    private void SaveLastSync(GitRepository repo)
    {
        var name = repo.Metadata.Name;
        if (checkouts.Current(name) is not { } current || status.Get(name) is not { } now) return;
        try
        {
            GitLastSync.Save(checkouts.Folder(name), current, now);
        }
        catch (State.StateWriteException e)
        {
            logger.LogDebug("GitRepository {Name}: its last sync is not saved: {Error}", name, e.Message);
        }
    }

    private string Keeps(GitRepository repo, GitCheckout? previous) =>
        GitDocuments.AppliedAfterFailure(status.Get(repo.Metadata.Name)?.LastAppliedRevision, repo.Spec.Ref, previous) is { } kept
            ? $"{kept} stays applied" : "nothing from this repository is applied";

    private static string Snake(string reason) =>
        string.Concat(reason.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
