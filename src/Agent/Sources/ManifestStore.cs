using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Agent.Core.Json;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Core.Security;
using Agent.Core.Sources;
using Agent.Engine;
using Agent.Hosting;
using Agent.Telemetry;
using Microsoft.Extensions.Options;

namespace Agent.Sources;

/// <summary>One object's desired state: what loaded last, and whether the manifest is broken now.</summary>
public sealed record DesiredEntry(ObjectKey Key, IManifestObject? Object, long Generation, IReadOnlyList<ManifestError> Errors)
{
    public const string InvalidManifest = "InvalidManifest";
    public const string ManifestUnreadable = "ManifestUnreadable";

    /// <summary>Refused because an object that runs names its containers as this manifest would (they stay its own).</summary>
    public const string NameConflict = "NameConflict";

    /// <summary>Held because the record of folders containers write (writable-binds.json) was lost: see <see cref="ManifestIndex.WritableBindsLostFileName"/>.</summary>
    public const string WritableBindsLost = "WritableBindsLost";

    /// <summary>The manifest exists but does not load: <see cref="Object"/> is the last good state, to be left alone.</summary>
    public bool IsBroken => Errors.Count > 0;

    /// <summary>Why a broken entry is held: its manifest does not parse, or its file cannot be read at all.</summary>
    public string HeldReason { get; init; } = InvalidManifest;

    /// <summary>The revision of the GitRepository the object comes from (<c>main@sha1:…</c>); null for the folder's own.</summary>
    public string? Revision { get; init; }

    /// <summary>Set when the manifest's spec.placement does not select this host: why; the object is not applied here
    /// (what it has here is pruned, under the mass-prune guard).</summary>
    public string? NotSelected { get; init; }

    /// <summary>Since when the manifest has been broken (the start of the current run of errors); null while it loads.</summary>
    public DateTimeOffset? BrokenSince { get; init; }

    /// <summary>Set for an object whose GitRepository was deleted with prune: false: that repository's name. The object
    /// is kept and healed at its last applied spec (known while the agent runs) until a manifest names it again.</summary>
    public string? KeptFrom { get; init; }
}

/// <summary>A file or folder whose errors belong to no object (see <see cref="ManifestStore.FileProblems"/>).</summary>
public sealed record FileProblem(string Path, string Reason, IReadOnlyList<string> Errors, DateTimeOffset Since);

/// <summary>The manifests' part of /readyz, as of the last read (see <see cref="ManifestStore.Readiness"/>).</summary>
public sealed record ManifestReadiness(string? SourceError, string? WritableBindsLost, IReadOnlyList<FileProblem> FileProblems);

/// <summary>
/// The desired state from the manifests folder. Deletion is inferred only from a complete read: a manifest that stops
/// loading, or a file or folder that cannot be read, keeps the last good objects it defined; a folder that cannot be read
/// at all keeps everything. Only a manifest that is really gone (its file deleted, or its document removed) reads as deleted.
/// </summary>
public sealed class ManifestStore(ManifestFolder folder, SecurityPolicy policy, ManifestIndex index, TimeProvider time, ILogger<ManifestStore> logger,
    GitDocuments? git = null, GitCheckouts? checkouts = null, HostPlacement? placement = null, IOptions<AgentOptions>? options = null,
    Reconciliation.ObservedCache? observed = null)
{
    private IReadOnlyList<WritableBind> writableBinds = [];
    private bool writableBindsUnsaved;
    private readonly TimeSpan pruneDelay = options?.Value.PruneDelay ?? TimeSpan.Zero;
    private Dictionary<ObjectKey, DateTimeOffset> goneSince = [];
    // How long past its prune delay an object whose manifest went is remembered (its last entry, its file's last text):
    // long enough for a deploy that removes and writes files again, bounded for an agent that runs for months.
    private static readonly TimeSpan GoneMemory = TimeSpan.FromHours(1);
    // The last entries of objects whose manifest went (goneSince): one that comes back half-written is judged against it.
    private Dictionary<ObjectKey, DesiredEntry> goneEntries = [];
    private Dictionary<ObjectKey, Dictionary<string, DateTimeOffset>> servicesGoneSince = [];
    private readonly Lock sync = new();
    private readonly Lock reloading = new();
    private Dictionary<ObjectKey, DesiredEntry> entries = [];
    private Dictionary<ObjectKey, string> files = [];
    private readonly HashSet<ObjectKey> known = [];
    private IReadOnlyList<ManifestError> unattributed = [];

    /// <summary>Files that cannot be read or parsed, by the objects they last defined: those objects carry the file's
    /// errors and are held, so the file is no "File" entry and its errors are no errors "tied to no object".</summary>
    private IReadOnlyDictionary<string, List<ObjectKey>> heldFiles = new Dictionary<string, List<ObjectKey>>();
    private IReadOnlyList<SourceProblem> problems = [];
    private IReadOnlySet<string> loggedErrors = new HashSet<string>();
    private Dictionary<string, DateTimeOffset> fileErrorsSince = new(StringComparer.Ordinal);
    private IReadOnlyList<string> heldPaths = [];
    private string? sourceError;
    private DateTimeOffset sourceErrorSince;
    private IReadOnlyDictionary<string, string> readRevisions = new Dictionary<string, string>();
    private IReadOnlyList<string> unfetched = [];
    private string? lastDigest;
    private IReadOnlyList<string> buildContexts = [];
    private bool indexLoaded;
    private long readVersion;
    private IReadOnlyList<ManifestDocument> folderDocuments = [];
    private IReadOnlyList<GitRepository> repositories = [];
    private Dictionary<ObjectKey, string> orphans = [];
    private Dictionary<ObjectKey, string> pruneFalse = []; // as written in the state dir (git-prune-false.json)
    // A state file that could not be written (a full disk): written again at every read until it is, so that what it
    // records (objects kept with prune: false, which file defined what) survives a restart once there is room.
    private bool orphansUnsaved, filesUnsaved, nameOwnersUnsaved;
    // Which object was accepted with the containers of each "{group}-{service}-" prefix (name-owners.json): it keeps them
    // against a newer manifest that would name its containers alike (probe-16 F9).
    private Dictionary<string, ObjectKey> nameOwners = new(StringComparer.Ordinal);
    // Each object's generation and the fingerprint of its spec as recorded (generations.json): after a restart an object
    // goes on from its recorded generation, one more if its manifest changed meanwhile.
    private Dictionary<ObjectKey, (long Generation, string Fingerprint)> generations = [];
    private bool generationsUnsaved;
    private readonly SemaphoreSlim sourceChanged = new(0);
    private DateTimeOffset? repositoryDelayEnds;
    private ITimer? repositoryDelayTimer;
    // Input files (env files) that had content at their objects' last good read, as they read then, and since when one
    // reads as being rewritten: such an object is held for Agent:PruneDelay (InputFileHold), then read again.
    private Dictionary<string, InputFileShape> inputsLastGood = new(StringComparer.Ordinal);
    private Dictionary<string, DateTimeOffset> inputsGoneSince = new(StringComparer.Ordinal);
    // A manifest file held as torn: the text it read last and when it first read torn (the hold restarts at each change).
    private Dictionary<string, (string? Text, DateTimeOffset First)> tornSeen = new(StringComparer.Ordinal);
    private Dictionary<string, InputFileHold.Seen> inputsSeen = new(StringComparer.Ordinal);
    private TimeSpan TornHoldLimit => pruneDelay * 12 > TimeSpan.FromMinutes(1) ? pruneDelay * 12 : TimeSpan.FromMinutes(1);
    // Manifest files of folder objects, their text at the last good read: one that reads torn against it is held (TornManifest).
    private Dictionary<string, string> manifestsLastGood = new(StringComparer.Ordinal);
    private DateTimeOffset? inputHoldEnds;
    // New objects' files that end without a line end or in an open block: the text read and since when it reads so.
    private Dictionary<string, (string Text, DateTimeOffset Since)> newFilesSeen = new(StringComparer.Ordinal);
    private bool firstReadDone;
    private ITimer? inputHoldTimer;

    /// <summary>Released when a source other than the folder changed (a GitRepository switched revision): read again.</summary>
    public SemaphoreSlim SourceChanged => sourceChanged;

    /// <summary>Asks the controller to read the desired state again (a new git revision is checked out).</summary>
    public void RequestReload()
    {
        if (sourceChanged.CurrentCount == 0) sourceChanged.Release();
    }

    /// <summary>Raised after every read of the manifests (also one that found nothing changed or could not read the
    /// folder): what depends on the desired state looks again now, instead of polling it.</summary>
    public event Action? Read;

    /// <summary>The GitRepositories of the manifests (a broken one at its last good spec).</summary>
    public IReadOnlyList<GitRepository> Repositories
    {
        get { lock (sync) return repositories; }
    }

    public string Root => folder.Root;

    public DesiredEntry? Get(ObjectKey key)
    {
        lock (sync) return entries.GetValueOrDefault(key);
    }

    public IReadOnlyList<DesiredEntry> All()
    {
        lock (sync) return entries.Values.ToList();
    }

    /// <summary>Every error of the last load: of broken objects, of documents whose object cannot even be named
    /// (broken YAML, no kind or name), and of files that cannot be read.</summary>
    public IReadOnlyList<ManifestError> Errors
    {
        get { lock (sync) return [.. entries.Values.SelectMany(e => e.Errors).Distinct(), .. unattributed.Where(u => !entries.Values.Any(e => e.Errors.Contains(u)))]; }
    }

    /// <summary>Why the folder itself could not be read at the last attempt (then everything is held); null when it read.</summary>
    public string? SourceError
    {
        get { lock (sync) return sourceError; }
    }

    /// <summary>Since when <see cref="SourceError"/> has been set.</summary>
    public DateTimeOffset SourceErrorSince
    {
        get { lock (sync) return sourceErrorSince; }
    }

    /// <summary>The revision of a GitRepository that the last complete read applied (<c>main@sha1:…</c>), or null when
    /// no read has held one: a revision checked out while the folder cannot be read is not applied yet.</summary>
    public string? ReadRevision(string repository)
    {
        lock (sync) return readRevisions.GetValueOrDefault(repository);
    }

    /// <summary>Files and folders that could not be read at the last complete read, and symlink loops.</summary>
    public IReadOnlyList<SourceProblem> Problems
    {
        get { lock (sync) return problems; }
    }

    /// <summary>Errors tied to no object, by file: files that do not parse far enough to name an object (broken YAML, a
    /// binary file, no kind or name) and files or folders that cannot be read. `GET /api/v1/objects` lists each as a
    /// "File" entry and /readyz?verbose names them.</summary>
    public IReadOnlyList<FileProblem> FileProblems
    {
        get
        {
            lock (sync)
            {
                var errors = unattributed.Where(e => !heldFiles.ContainsKey(e.File)).GroupBy(e => e.File, StringComparer.Ordinal)
                    .Select(g => (Path: g.Key, Reason: DesiredEntry.InvalidManifest, Errors: g.Select(e => e.ToString())));
                // A problem that hides objects is also one of the read's errors (ManifestFolder.Parse): listed once.
                var unreadable = problems.Where(p => !heldFiles.ContainsKey(p.Path)).Select(p => (p.Path, Reason: p.HidesObjects ? DesiredEntry.ManifestUnreadable : "ManifestSkipped",
                    Errors: unattributed.Any(e => e.File == p.Path && e.Message == p.Message) ? [] : (IEnumerable<string>)[p.ToString()]));
                return errors.Concat(unreadable).GroupBy(p => p.Path, StringComparer.Ordinal)
                    .Select(g => new FileProblem(g.Key, g.First().Reason, g.SelectMany(p => p.Errors).Distinct().ToList(),
                        fileErrorsSince.GetValueOrDefault(g.Key, time.GetUtcNow())))
                    .OrderBy(p => p.Path, StringComparer.Ordinal).ToList();
            }
        }
    }

    /// <summary>Counts complete reads whose content differed from the one before: a new read to judge prunes by.</summary>
    public long ReadVersion
    {
        get { lock (sync) return readVersion; }
    }

    /// <summary>Why an object that has no manifest must not be pruned now, or null when its absence is known for sure.</summary>
    public string? PruneHold(ObjectKey key)
    {
        lock (sync)
        {
            if (KeepReason(key) is { } kept) return kept;
            if (PruneDelayLeft(key) is { } left)
                return $"its manifest is gone since {goneSince[key]:HH:mm:ss}; pruned in {Math.Ceiling(left.TotalSeconds)} s unless it comes back (Agent:PruneDelay)";
            return null;
        }
    }

    /// <summary>Why an object without a manifest is not to be removed at all by this read (the read is not complete, or
    /// something keeps it), null when it is a removal: the mass-prune guard counts it then, also while its
    /// Agent:PruneDelay runs, so that a folder read empty is held however the delay and the guard's judgement interleave.</summary>
    public string? KeepReason(ObjectKey key)
    {
        lock (sync)
        {
            if (sourceError is not null) return $"{sourceError}; nothing is pruned until it reads again";
            if (bindsLost is not null) return $"the record of folders containers write was lost ({bindsLost}); nothing is pruned until {ManifestIndex.WritableBindsLostFileName} is deleted";
            if (orphans.TryGetValue(key, out var repository))
                return $"kept: GitRepository {repository}, which brought it, was deleted with prune: false";
            // A run (POST /run, its volumes) is never defined by a manifest: what the manifests read says nothing of it.
            if (!ManifestParser.Kinds.Contains(key.Kind)) return null;
            if (readVersion == 0) return "the manifests folder has not been read yet";
            // A repository without a revision yet is a read not finished: what it will bring is unknown (an object may
            // move to it from another repository or the folder), so nothing is judged deleted until it has one.
            if (unfetched.Count > 0 && !entries.ContainsKey(key))
                return $"GitRepository {string.Join(", ", unfetched)} has no revision checked out yet; nothing is pruned until it has";
            if (entries.ContainsKey(key) || heldPaths.Count == 0 || known.Contains(key)) return null;
            return $"{string.Join(", ", heldPaths)} cannot be read and may define {key}; it is not pruned until every manifest reads";
        }
    }

    /// <summary>The GitRepository an object was kept from (deleted with prune: false), or null.</summary>
    public string? KeptFrom(ObjectKey key)
    {
        lock (sync) return orphans.GetValueOrDefault(key);
    }

    /// <summary>How much longer an object whose manifest went away in this run waits before it may be pruned; null when it
    /// may be pruned now (or was never seen in this run: gone while the agent was down, or the first read).</summary>
    public TimeSpan? PruneDelayLeft(ObjectKey key)
    {
        lock (sync)
        {
            if (entries.ContainsKey(key) || !goneSince.TryGetValue(key, out var since)) return null;
            var left = since + pruneDelay - time.GetUtcNow();
            return left > TimeSpan.Zero ? left : null;
        }
    }

    /// <summary>Services an object's manifest stopped listing in this run, less than Agent:PruneDelay ago, with the time
    /// their containers may be removed: the planner keeps them until then.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> ServicesLeaving(ObjectKey key)
    {
        lock (sync)
            return servicesGoneSince.TryGetValue(key, out var gone)
                ? gone.ToDictionary(p => p.Key, p => p.Value + pruneDelay, StringComparer.Ordinal)
                : new Dictionary<string, DateTimeOffset>();
    }

    /// <summary>Services each folder object's manifest stopped listing, and since when: those gone at the last read that
    /// are still gone and within Agent:PruneDelay, and those gone at this one. Git objects are not delayed (a revision
    /// is read whole), nor is what went while the agent was down.</summary>
    private Dictionary<ObjectKey, Dictionary<string, DateTimeOffset>> ServicesGone(Dictionary<ObjectKey, DesiredEntry> next, DateTimeOffset now)
    {
        var result = new Dictionary<ObjectKey, Dictionary<string, DateTimeOffset>>();
        if (pruneDelay <= TimeSpan.Zero) return result;
        foreach (var (key, entry) in next)
        {
            if (entry.Object is not ServiceGroup group || GitDocuments.RepositoryOf(group.Source.File) is not null) continue;
            var listed = group.Spec.Services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            var gone = (servicesGoneSince.GetValueOrDefault(key) ?? []).Where(p => !listed.Contains(p.Key) && p.Value + pruneDelay > now)
                .ToDictionary(StringComparer.Ordinal);
            if (entries.GetValueOrDefault(key)?.Object is ServiceGroup last)
                foreach (var service in last.Spec.Services.Where(s => !listed.Contains(s.Name))) gone.TryAdd(service.Name, now);
            if (gone.Count > 0) result[key] = gone;
        }
        return result;
    }

    /// <summary>Reads the folder again; returns the keys whose entry changed (added, changed, broken, fixed or deleted).
    /// Never throws: whatever goes wrong keeps the last desired state and is logged.</summary>
    public IReadOnlySet<ObjectKey> Reload()
    {
        Interlocked.CompareExchange(ref readStartedTicks, time.GetUtcNow().UtcTicks, 0);
        try
        {
            // One read at a time: two reads racing (the watcher and a git switch) could apply the older one last.
            lock (reloading) return ReloadCore();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Reading the manifests in {Folder} failed, keeping the last desired state: {Error}", folder.Root, e.Message);
            return new HashSet<ObjectKey>();
        }
        finally
        {
            readiness = new ManifestReadiness(SourceError, WritableBindsLost, FileProblems);
            Interlocked.Exchange(ref readStartedTicks, 0);
            Read?.Invoke();
        }
    }

    /// <summary>What readiness reports of the manifests, as the last read left them: had without waiting for a read under
    /// way (a probe that waited for one hung 10 s: probe-15h L4).</summary>
    public ManifestReadiness Readiness => readiness;

    private volatile ManifestReadiness readiness = new(null, null, []);

    private long readStartedTicks;

    /// <summary>How long the read of the manifests under way has been running (waiting included), or null when none is:
    /// a read that does not end keeps every change from being applied, and readiness says so (probe-15g F6).</summary>
    public TimeSpan? ReadRunningFor =>
        Interlocked.Read(ref readStartedTicks) is var ticks and > 0 ? time.GetUtcNow() - new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>A read running longer than this fails readiness.</summary>
    public static readonly TimeSpan ReadStalledAfter = TimeSpan.FromSeconds(30);

    private IReadOnlySet<ObjectKey> ReloadCore()
    {
        LoadIndexOnce();
        var lost = index.WritableBindsLost();
        var heldBinds = HeldWritableBinds(out var runningKnown);
        unreadFolders = heldBinds.Select(b => b.Source).Distinct(StringComparer.Ordinal).ToList();
        var snapshot = lost is not null && observed is not null && !runningKnown && !runningBindsRecorded
            ? FolderSnapshot.Failed(WaitingForRunningBinds) // probe-15h M4: a running container's folder would be walked
            : folder.Read(heldBinds);
        if (folder.Absent && lastDigest is null)
            logger.LogInformation("There is no manifests folder {Folder} and --manifests was not given: the repository of --git-url is the only source", folder.Root);
        if (!snapshot.IsComplete)
        {
            lock (sync)
            {
                if (sourceError != snapshot.RootError)
                    logger.LogWarning("Manifests folder cannot be read, keeping every object as it is (nothing is applied from it or pruned): {Error}", snapshot.RootError);
                if (sourceError is null) sourceErrorSince = time.GetUtcNow();
                sourceError = snapshot.RootError;
                AgentMetrics.ManifestLoadErrors.Add(1);
            }
            return new HashSet<ObjectKey>();
        }
        lock (sync)
        {
            if (sourceError is not null) logger.LogInformation("Manifests folder {Folder} reads again", folder.Root);
            sourceError = null;
            if (bindsLost is not null && lost is null)
                logger.LogWarning("{Marker} was deleted: the manifests are applied again", ManifestIndex.WritableBindsLostFileName);
            bindsLost = lost;
            if (snapshot.Digest + checkouts?.Fingerprint() + lost + BuildContextStamp.Of(buildContexts) == lastDigest // nothing changed on disk: no reparse
                && !(repositoryDelayEnds <= time.GetUtcNow()) && !(inputHoldEnds <= time.GetUtcNow()))
            {
                SaveUnsaved();
                return new HashSet<ObjectKey>();
            }
        }

        var digest = snapshot.Digest + checkouts?.Fingerprint() + lost;
        IReadOnlyList<ManifestDocument> parsed = [.. HeldWhileLost(folder.ParseTrusted(snapshot, policy, heldBinds), lost), .. git?.CommandLine(folder) ?? []];
        var repos = RepositoriesOf(parsed);
        repos.AddRange(RepositoriesInPruneDelay(repos));
        var (gitDocuments, revisions) = git?.Read(repos, HeldRepositories(parsed, repos), Brought) ?? ([], new Dictionary<string, string>());
        var (selected, notSelected) = Select(WithoutNewAmbiguousStacks(parsed.Concat(gitDocuments)));
        var set = ManifestSet.Build(selected, NameOwner(), DefinedIn);
        var errorCount = set.Errors.Count();
        if (errorCount > 0) AgentMetrics.ManifestLoadErrors.Add(errorCount);

        lock (sync)
        {
            var next = new Dictionary<ObjectKey, DesiredEntry>();
            var nextFiles = new Dictionary<ObjectKey, string>();
            var valid = set.Objects;
            var broken = set.Documents.Where(d => !d.IsValid && d.Key is not null).GroupBy(d => d.Key!.Value)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<ManifestError>)g.SelectMany(d => d.Errors).ToList());
            var unknown = set.FilesWithUnknownObjects.Order(StringComparer.Ordinal).ToList();
            // A file refused because a container may have written it keeps what it defined, but is no failed read: it
            // holds no prune of an object it never defined.
            var written = set.Documents.Where(d => d.IsContainerWritten).Select(d => d.Source.File).ToHashSet(StringComparer.Ordinal);

            var readAt = time.GetUtcNow();
            var heldForInputs = new HashSet<ObjectKey>();
            var deferredFiles = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, obj) in valid)
            {
                if (broken.ContainsKey(key)) continue; // a duplicate: the broken copy decides
                // The file that defined it cannot be read now: whether it still does (and the other copy is a duplicate)
                // is unknown, so the last state is held below, never replaced by the other copy's spec (probe-16 F5).
                if (files.TryGetValue(key, out var lastFile) && lastFile != obj.Source.File && unknown.Any(p => Covers(p, lastFile))) continue;
                var previous = entries.GetValueOrDefault(key);
                if (previous?.Object is ServiceGroup last && GitDocuments.RepositoryOf(obj.Source.File) is null && Fingerprint(last) != Fingerprint(obj)
                    && InputFileHold.Decide(InputFilesOf(last), InputShape, inputsLastGood, inputsGoneSince, readAt, pruneDelay, inputsSeen, TornHoldLimit) is { Count: > 0 } emptied)
                {
                    next[key] = previous with
                    {
                        Errors = emptied.Select(h => new ManifestError(Display(h.Path), 1, 1, "", InputFileHold.Message(h, pruneDelay))).ToList(),
                        HeldReason = DesiredEntry.ManifestUnreadable, BrokenSince = previous.BrokenSince ?? readAt,
                    };
                    nextFiles[key] = obj.Source.File;
                    heldForInputs.Add(key);
                    continue;
                }
                // probe-29 F3: a file emptied or removed, then written again in steps (cp, cat >): the first steps are
                // judged against the last good read, as a cut of the file in place is.
                var lastGood = previous is { Object: not null } ? previous : goneEntries.GetValueOrDefault(key) ?? previous;
                if (lastGood?.Object is ServiceGroup good && obj is ServiceGroup read && GitDocuments.RepositoryOf(obj.Source.File) is null
                    && TornHold(good, read, readAt) is { } torn)
                {
                    next[key] = lastGood with { Errors = [torn], HeldReason = Hold.PrunePending, BrokenSince = lastGood.BrokenSince ?? readAt };
                    nextFiles[key] = obj.Source.File;
                    heldForInputs.Add(key);
                    continue;
                }
                if (previous is null && lastGood is null && !files.ContainsKey(key) && firstReadDone && GitDocuments.RepositoryOf(obj.Source.File) is null
                    && NewObjectMayBeMidWrite(obj, readAt, deferredFiles))
                    continue;
                var generation = previous?.Object is null ? Math.Max(RecordedGeneration(key, obj), previous?.Generation ?? 1)
                    : Fingerprint(previous.Object) == Fingerprint(obj) ? previous.Generation : previous.Generation + 1;
                next[key] = new DesiredEntry(key, obj, generation, []) { Revision = RevisionOf(obj.Source.File, revisions) };
                nextFiles[key] = obj.Source.File;
            }
            foreach (var (key, errors) in broken)
            {
                var previous = entries.GetValueOrDefault(key);
                next[key] = new DesiredEntry(key, previous?.Object, previous?.Generation ?? 0, errors)
                {
                    Revision = previous?.Revision, BrokenSince = previous?.BrokenSince ?? time.GetUtcNow(),
                    HeldReason = lost is not null && errors.Any(e => e.Message.StartsWith(LostPrefix, StringComparison.Ordinal)) ? DesiredEntry.WritableBindsLost
                        : set.Documents.Where(d => d.Key == key && !d.IsValid).All(d => d.IsNameTaken) ? DesiredEntry.NameConflict
                        : DesiredEntry.InvalidManifest,
                };
                // Its own file while a document there still names it: a duplicate elsewhere never takes the object over.
                nextFiles[key] = files.TryGetValue(key, out var was) && set.Documents.Any(d => d.Key == key && d.Source.File == was) ? was : errors[0].File;
            }
            // A file or folder that cannot be read, or no longer parses far enough to name its objects, keeps the
            // objects it had, as broken: after a restart too, through the index of the last run.
            var nextHeldFiles = new Dictionary<string, List<ObjectKey>>(StringComparer.Ordinal);
            // probe-32 F3: a manifest removed (`rm f`) and written back in steps reads empty, or names no object yet, within
            // the prune delay: it holds what it last defined, as the file emptied in place does, before any prune starts.
            var removedLately = goneEntries.Where(p => !files.ContainsKey(p.Key) && p.Value.Object is not null
                                                       && goneSince.TryGetValue(p.Key, out var gone) && readAt - gone < pruneDelay)
                .Select(p => KeyValuePair.Create(p.Key, p.Value.Object!.Source.File));
            foreach (var (key, file) in files.Concat(removedLately))
            {
                if (next.ContainsKey(key) || unknown.FirstOrDefault(p => Covers(p, file)) is not { } held) continue;
                var errors = set.Documents.Where(d => d.Key is null && Covers(d.Source.File, file)).SelectMany(d => d.Errors).ToList();
                if (errors.Any(e => e.File == file))
                {
                    if (!nextHeldFiles.TryGetValue(file, out var keys)) nextHeldFiles[file] = keys = [];
                    keys.Add(key);
                }
                var reason = snapshot.Problems.Any(p => p.HidesObjects && p.Covers(file)) ? DesiredEntry.ManifestUnreadable : DesiredEntry.InvalidManifest;
                next[key] = (entries.GetValueOrDefault(key) ?? goneEntries.GetValueOrDefault(key)) is { } previous
                    ? previous with { Errors = errors, HeldReason = reason, BrokenSince = previous.BrokenSince ?? time.GetUtcNow() }
                    : new DesiredEntry(key, null, 0, errors) { HeldReason = reason, BrokenSince = time.GetUtcNow() };
                nextFiles[key] = file;
            }

            foreach (var (key, document, why) in notSelected)
            {
                if (next.ContainsKey(key)) continue; // another manifest of the same name selects this host
                next[key] = new DesiredEntry(key, null, 0, []) { NotSelected = why };
                nextFiles[key] = document.Source.File;
            }

            newFilesSeen = newFilesSeen.Where(p => deferredFiles.Contains(p.Key)).ToDictionary(StringComparer.Ordinal);
            TrackInputFiles(next, heldForInputs, readAt);
            UpdateOrphans(repos, nextFiles);
            // Kept with prune: false: healed at the spec last applied (not in the index: after a restart it is only held).
            foreach (var (key, repository) in orphans)
                if (!next.ContainsKey(key) && entries.GetValueOrDefault(key) is { Object: not null } last)
                    next[key] = last with { Errors = [], KeptFrom = repository };

            var now = time.GetUtcNow();
            var changed = next.Keys.Concat(entries.Keys)
                .Where(k => !next.TryGetValue(k, out var n) || !entries.TryGetValue(k, out var o) || !Same(n, o))
                .ToHashSet();
            var filesChanged = !nextFiles.OrderBy(p => p.Key.ToString()).SequenceEqual(files.OrderBy(p => p.Key.ToString()));
            var realRoot = folder.ResolveLinks(HostPath.Normalize(folder.Root));
            var writtenFolders = WrittenFolderLog.Folders(set.Documents, realRoot);
            var readProblems = snapshot.Problems.Where(p => !writtenFolders.Any(f => Covers(f, p.Path))).ToList();
            LogProblemChanges(problems, readProblems, writtenFolders);
            LogErrorChanges(set, realRoot, writtenFolders, nextHeldFiles, next);
            // A git revision is read whole and at once: only the folder's own files can be caught half-way through a deploy.
            // One whose file reads again but broken, with no spec yet (a new text written in steps: probe-31 F4), is still
            // remembered as gone: its step that first reads valid is judged against the last good entry.
            bool Gone(ObjectKey k) => next.GetValueOrDefault(k) is not { Object: not null };
            goneSince = entries.Keys.Where(k => Gone(k) && files.TryGetValue(k, out var f) && GitDocuments.RepositoryOf(f) is null)
                .Concat(goneSince.Keys.Where(k => Gone(k) && now - goneSince[k] < pruneDelay + GoneMemory))
                .Distinct().ToDictionary(k => k, k => goneSince.GetValueOrDefault(k, now));
            goneEntries = goneSince.Keys.Select(k => entries.TryGetValue(k, out var e) && e.Object is not null ? e : goneEntries.GetValueOrDefault(k))
                .OfType<DesiredEntry>().ToDictionary(e => e.Key);
            servicesGoneSince = ServicesGone(next, now);
            entries = next;
            firstReadDone = true;
            files = nextFiles;
            RecordNameOwners(next);
            RecordGenerations(next);
            known.UnionWith(nextFiles.Keys);
            unattributed = set.Documents.Where(d => d.Key is null).SelectMany(d => d.Errors).ToList();
            heldFiles = nextHeldFiles;
            problems = readProblems;
            fileErrorsSince = unattributed.Select(e => e.File).Concat(problems.Select(p => p.Path)).Distinct(StringComparer.Ordinal)
                .ToDictionary(f => f, f => fileErrorsSince.GetValueOrDefault(f, now), StringComparer.Ordinal);
            heldPaths = unknown.Where(f => !written.Contains(f)).ToList();
            unfetched = repos.Select(r => r.Metadata.Name).Where(n => checkouts?.Current(n) is null).Order(StringComparer.Ordinal).ToList();
            ScheduleRepositoryDelayEnd(repos, now);
            buildContexts = BuildContextStamp.ContextsOf(next.Values.Select(e => e.Object));
            lastDigest = digest + BuildContextStamp.Of(buildContexts);
            folderDocuments = parsed;
            SaveWritableBinds([.. heldBinds, .. WritableBindsOf(next.Values)]);
            runningBindsRecorded |= runningKnown;
            repositories = repos;
            readRevisions = revisions;
            readVersion++;
            // While the orphans record is not written, the index of the last run still names what it would keep (an
            // index without them, after a restart, would make them objects of no source, pruned).
            if (orphansUnsaved) filesUnsaved |= filesChanged;
            else if (filesChanged || filesUnsaved) filesUnsaved = !index.Save(files, logger);
            return changed;
        }
    }

    private string? bindsLost;

    /// <summary>Why no manifest of the folder is applied (the record of folders containers write was lost), or null.</summary>
    public string? WritableBindsLost
    {
        get { lock (sync) return bindsLost; }
    }

    private const string LostPrefix = "not applied: the record of folders containers write was lost";

    /// <summary>With the record lost, any folder could be one a container wrote (its container since deleted): every object of
    /// the folder is held (nothing created, changed or pruned for it; what runs is kept) until an operator, having checked,
    /// deletes the marker (probe-15g F2). Failing closed, not refusing to start: the API, events and status still work.</summary>
    private IEnumerable<ManifestDocument> HeldWhileLost(IEnumerable<ManifestDocument> documents, string? lost) =>
        lost is null ? documents : documents.Select(d => d.Key is null || !d.IsValid ? d : new ManifestDocument(d.Source, d.Key, null,
        [
            new ManifestError(d.Source.File, d.Source.Line, d.Source.Column, "",
                $"{LostPrefix} ({lost}): any folder of the manifests could hold what a container wrote, so nothing is applied, created or pruned " +
                $"until {ManifestIndex.WritableBindsLostFileName} is deleted from the state dir {index.StateDir} (check the folders containers bind " +
                "read-write first); what runs is kept as it is"),
        ]));

    /// <summary>Records the input files that have content now, as they read (those of held objects as they were at the last
    /// good read), forgets since-times of files no longer held, and reads again when the first hold ends (nothing on disk
    /// changes then).</summary>
    private void TrackInputFiles(Dictionary<ObjectKey, DesiredEntry> next, HashSet<ObjectKey> held, DateTimeOffset now)
    {
        var lastGood = new Dictionary<string, InputFileShape>(StringComparer.Ordinal);
        foreach (var (key, entry) in next)
        {
            if (entry.Object is not ServiceGroup group) continue;
            // Held or broken (held at its last good spec): its input files keep their last good read as the reference
            // (probe-32 F4: an envFrom file removed, then written back in pieces, read "not found" (broken), and its
            // reference was dropped: every piece was applied).
            var keep = held.Contains(key) || entry.IsBroken;
            foreach (var file in InputFilesOf(group))
                if ((keep ? inputsLastGood.GetValueOrDefault(file) : InputShape(file)) is { Regular: true, Length: > 0 } good)
                    lastGood.TryAdd(file, good);
        }
        var manifests = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, entry) in next)
        {
            if (entry.Object is not ServiceGroup group || GitDocuments.RepositoryOf(group.Source.File) is not null) continue;
            // Held (torn, an emptied input) or broken (an empty or invalid read held at its last good spec): the text of
            // the last good read stays the one a later read is judged against (probe-29 F3: after an empty read it was
            // dropped, and the next, half-written, read was applied).
            var keep = held.Contains(key) || entry.IsBroken;
            foreach (var file in ManifestFilesOf(group))
                if ((keep ? manifestsLastGood.GetValueOrDefault(file) : ReadText(file)) is { } text)
                    manifests.TryAdd(file, text);
        }
        // A manifest removed (its objects wait out the prune delay) keeps its last good text too: `rm f`, then `cp` of a new
        // one written in steps, also while the first steps define no object yet (probe-31 F4: 40 bytes with no name yet
        // dropped it, and the 120-byte step, no command yet, was applied). Only while an object it defined is remembered as
        // gone (goneEntries) and no object read now is defined by the file, not for ever.
        var goneFiles = entries.Values.Concat(goneEntries.Values).Where(e => next.GetValueOrDefault(e.Key) is not { Object: not null })
            .Select(e => e.Object).OfType<ServiceGroup>().SelectMany(ManifestFilesOf).ToHashSet(StringComparer.Ordinal);
        foreach (var (file, text) in manifestsLastGood)
            if (!manifests.ContainsKey(file) && goneFiles.Contains(file))
                manifests[file] = text;
        manifestsLastGood = manifests;
        var heldFiles = next.Where(p => held.Contains(p.Key)).SelectMany(p => p.Value.Errors).Select(e => e.File).ToHashSet(StringComparer.Ordinal);
        inputsGoneSince = inputsGoneSince.Where(p => heldFiles.Contains(Display(p.Key))).ToDictionary(StringComparer.Ordinal);
        tornSeen = tornSeen.Where(p => inputsGoneSince.ContainsKey(p.Key)).ToDictionary(StringComparer.Ordinal);
        inputsSeen = inputsSeen.Where(p => inputsGoneSince.ContainsKey(p.Key)).ToDictionary(StringComparer.Ordinal);
        inputsLastGood = lastGood;
        var holdsSince = inputsGoneSince.Values.Concat(newFilesSeen.Values.Select(v => v.Since)).ToList();
        inputHoldEnds = holdsSince.Count > 0 ? holdsSince.Min() + pruneDelay : null;
        inputHoldTimer?.Dispose();
        inputHoldTimer = inputHoldEnds is { } end && end > now
            ? time.CreateTimer(_ => RequestReload(), null, end - now + TimeSpan.FromMilliseconds(50), Timeout.InfiniteTimeSpan)
            : null;
    }

    /// <summary>The env files a group reads: a compose project's input files, a ServiceGroup's envFrom files (absolute).</summary>
    private IEnumerable<string> InputFilesOf(ServiceGroup group)
    {
        if (group.Compose is { } compose) return compose.InputFiles.Where(f => !compose.ConfigFiles.Contains(f));
        var folderOfManifest = Path.GetDirectoryName(Path.Combine(folder.Root, group.Source.File))!;
        return group.Spec.Services.SelectMany(s => s.Container.FileDigests.Keys)
            .Where(k => k.StartsWith("envFrom:", StringComparison.Ordinal))
            .Select(k => Path.GetFullPath(Path.Combine(folderOfManifest, k["envFrom:".Length..])));
    }

    /// <summary>The files a group's manifest is read from: a compose project's compose files, a ServiceGroup's manifest.</summary>
    private IEnumerable<string> ManifestFilesOf(ServiceGroup group) =>
        group.Compose is { } compose ? compose.ConfigFiles.Select(f => Path.Combine(folder.Root, f)) : [Path.Combine(folder.Root, group.Source.File)];

    /// <summary>The hold of a read that looks like a manifest caught mid-write (<see cref="TornManifest"/>) and changes a
    /// service <paramref name="good"/> runs, while within Agent:PruneDelay of the first such read; null when it applies.</summary>
    private ManifestError? TornHold(ServiceGroup good, ServiceGroup read, DateTimeOffset now)
    {
        if (pruneDelay <= TimeSpan.Zero) return null;
        foreach (var file in ManifestFilesOf(read))
        {
            if (!manifestsLastGood.TryGetValue(file, out var last) || ReadText(file) is not { } text) continue;
            // Cut anywhere it is shorter: open, or at a line end of its last good text, any change holds; at another line
            // end (an edit cut short), only dropping fields a service has does.
            var cutOpen = TornManifest.LooksTorn(text, last);
            if (!cutOpen && !TornManifest.Shorter(text, last)) continue;
            var services = cutOpen ? TornManifest.ChangedServices(good, read) : TornManifest.ServicesLosingFields(good, read);
            if (services.Count == 0) continue;
            if (!inputsGoneSince.TryGetValue(file, out var since)) inputsGoneSince[file] = since = now;
            // The delay runs from the last change of the file, not its first torn read: a writer slower than the delay
            // (a line every 0.6 s for 14 s) had each step after the first 5 s applied (probe-30 F4). Bounded, so a file
            // that never stops changing is taken as written in the end.
            var first = tornSeen.TryGetValue(file, out var seen) ? seen.First : now;
            if (seen.Text is not null && seen.Text != text && now - first < TornHoldLimit) inputsGoneSince[file] = since = now;
            tornSeen[file] = (text, first);
            if (now - since < pruneDelay) return new ManifestError(Display(file), 1, 1, "", TornManifest.Message(text, services, since, pruneDelay, losesFields: !cutOpen));
        }
        return null;
    }

    /// <summary>A file's text (never blocking on a FIFO), or null when it cannot be read or is over the manifest size limit.</summary>
    /// <summary>probe-31 F15: a new manifest caught mid-write with its name cut short (<c>name: ne</c> of <c>newgroup</c>)
    /// made a phantom object, pruned 5 s later. An object no read has had yet, from a file that ends without a line end or
    /// in an open block, waits until that text has stayed unchanged for the prune delay. Not at the first read (what the
    /// last run had is not new).</summary>
    private bool NewObjectMayBeMidWrite(IManifestObject obj, DateTimeOffset now, HashSet<string> deferred)
    {
        var midWrite = false;
        foreach (var file in obj is ServiceGroup group ? ManifestFilesOf(group) : [Path.Combine(folder.Root, obj.Source.File)])
        {
            if (ReadText(file) is not { } text) continue;
            var shape = ManifestShape.Of(text);
            if (shape.Terminated && !shape.EndsOpen) continue;
            var since = newFilesSeen.TryGetValue(file, out var seen) && seen.Text == text ? seen.Since : now;
            newFilesSeen[file] = (text, since);
            if (now - since >= pruneDelay) continue;
            deferred.Add(file);
            midWrite = true;
        }
        return midWrite;
    }

    private string? ReadText(string path)
    {
        try
        {
            using var stream = RegularFile.OpenRead(path);
            if (stream.Length > folder.MaxFileBytes) return null;
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SecretFileException)
        {
            return null;
        }
    }

    /// <summary>How an input file reads now (never blocking on a FIFO; a file over the manifest size limit counts as written).</summary>
    private InputFileShape InputShape(string path)
    {
        try
        {
            using var stream = RegularFile.OpenRead(path);
            var length = stream.Length;
            if (length > folder.MaxFileBytes) return new InputFileShape(true, true, length, int.MaxValue, true);
            using var reader = new StreamReader(stream);
            return InputFileShape.Of(reader.ReadToEnd(), length);
        }
        catch (SecretFileException)
        {
            return InputFileShape.NotAFile;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return InputFileShape.Missing;
        }
    }

    private string Display(string path) =>
        path.StartsWith(folder.Root.TrimEnd('/') + "/", StringComparison.Ordinal) ? Path.GetRelativePath(folder.Root, path) : path;

    /// <summary>The GitRepositories the folder defines; a broken one keeps being read at its last good spec. A name
    /// defined twice is broken too (a duplicate): it runs at its last good spec, never switched to whichever file sorts
    /// first (a copy dropped into the folder would redirect a running repository).</summary>
    private List<GitRepository> RepositoriesOf(IReadOnlyList<ManifestDocument> documents)
    {
        lock (sync)
            return documents.Where(d => d.Key is { Kind: GitRepository.KindName }).GroupBy(d => d.Key!.Value)
                .Select(g => g.Count() == 1 && g.First().IsValid ? g.First().Object as GitRepository : entries.GetValueOrDefault(g.Key)?.Object as GitRepository)
                .OfType<GitRepository>().ToList();
    }

    /// <summary>GitRepositories whose manifest went away from the folder in this run, for less than Agent:PruneDelay: read
    /// on at their last spec (what they brought stays, their checkouts too), so an `rm` then `cp` of the manifest takes
    /// nothing down. Once the delay has passed they go, and what they brought is pruned (or kept with prune: false).</summary>
    private List<GitRepository> RepositoriesInPruneDelay(List<GitRepository> repos)
    {
        if (pruneDelay <= TimeSpan.Zero) return [];
        lock (sync)
            return repositories.Where(r => repos.All(n => n.Metadata.Name != r.Metadata.Name)).Where(r =>
            {
                var key = new ObjectKey(GitRepository.KindName, r.Metadata.Name);
                var goneNow = entries.ContainsKey(key) && files.TryGetValue(key, out var file) && GitDocuments.RepositoryOf(file) is null;
                if (goneNow)
                    logger.LogInformation("GitRepository {Name}: its manifest is gone; what it brought and its checkouts stay for {Delay} s unless it comes back (Agent:PruneDelay)",
                        r.Metadata.Name, pruneDelay.TotalSeconds);
                return goneNow || PruneDelayLeft(key) is not null;
            }).ToList();
    }

    /// <summary>Reads the folder again when the prune delay of a GitRepository whose manifest went away has passed (nothing
    /// on disk changes then, so no watcher would).</summary>
    private void ScheduleRepositoryDelayEnd(List<GitRepository> repos, DateTimeOffset now)
    {
        var ends = repos.Select(r => new ObjectKey(GitRepository.KindName, r.Metadata.Name))
            .Where(k => goneSince.ContainsKey(k)).Select(k => goneSince[k] + pruneDelay).Where(e => e > now).ToList();
        repositoryDelayEnds = ends.Count > 0 ? ends.Min() : null;
        repositoryDelayTimer?.Dispose();
        repositoryDelayTimer = repositoryDelayEnds is { } end
            ? time.CreateTimer(_ => RequestReload(), null, end - now + TimeSpan.FromMilliseconds(50), Timeout.InfiniteTimeSpan)
            : null;
    }

    /// <summary>GitRepositories known from the last reads (also after a restart, through the index) whose manifest is now
    /// broken or unreadable, with no last good spec to read: what they brought is held, never read as deleted.</summary>
    private List<string> HeldRepositories(IReadOnlyList<ManifestDocument> documents, List<GitRepository> repos)
    {
        lock (sync)
        {
            var unknown = documents.Where(d => d.Key is null).Select(d => d.Source.File).ToList();
            // Only one that brought something: a GitRepository that never loaded has nothing to hold (it shows as itself,
            // Ready=False InvalidManifest, not as a file error that appears one read later).
            return files.Where(p => p.Key.Kind == GitRepository.KindName && repos.All(r => r.Metadata.Name != p.Key.Name)
                                    && (documents.Any(d => d.Key == p.Key) || unknown.Any(u => Covers(u, p.Value)))
                                    && files.Values.Any(f => GitDocuments.RepositoryOf(f) == p.Key.Name))
                .Select(p => p.Key.Name).ToList();
        }
    }

    /// <summary>Splits documents by placement: those for this host, and those (with a key) that select other hosts. Names
    /// are checked across all hosts first: a duplicate is broken here too, even when it selects only other hosts, so every
    /// host refuses the same revision.</summary>
    private (List<ManifestDocument> Selected, List<(ObjectKey Key, ManifestDocument Document, string Why)> NotSelected) Select(IEnumerable<ManifestDocument> documents)
    {
        var read = documents.ToList();
        var marked = ManifestSet.MarkDuplicates([.. read], acrossHosts: true, DefinedIn);
        var selected = new List<ManifestDocument>();
        var notSelected = new List<(ObjectKey, ManifestDocument, string)>();
        for (var i = 0; i < marked.Count; i++)
        {
            var d = marked[i];
            if (d.Key is { } key && ReferenceEquals(d, read[i]) && placement?.Decide(d) is { } why) notSelected.Add((key, d, why));
            else selected.Add(d); // also a document too broken to name its object: an error on every host
        }
        return (selected, notSelected);
    }

    /// <summary>The file that defined the object at the last read, or null.</summary>
    private string? DefinedIn(ObjectKey key)
    {
        lock (sync) return files.GetValueOrDefault(key);
    }

    private bool Brought(string repository)
    {
        lock (sync) return files.Values.Any(f => GitDocuments.RepositoryOf(f) == repository);
    }

    private static string? RevisionOf(string file, IReadOnlyDictionary<string, string> revisions) =>
        GitDocuments.RepositoryOf(file) is { } repo ? revisions.GetValueOrDefault(repo) : null;

    /// <summary>Read-write bind sources whose manifests are not read: of every object of the last read (also one held at
    /// its last good spec), of every container of this instance that has one, and every one seen before (saved in the
    /// state dir) while its folder exists: deleting the binding manifest, or changing the bind to read-only, does not turn
    /// what a container wrote there into manifests.</summary>
    private List<WritableBind> HeldWritableBinds() => HeldWritableBinds(out _);

    /// <param name="runningKnown">False while the engine's containers are not listed (the cache is not current).</param>
    private List<WritableBind> HeldWritableBinds(out bool runningKnown)
    {
        lock (sync)
        {
            var listed = observed?.WritableBinds();
            runningKnown = listed is not null;
            var running = listed?.Select(b => b with { Source = folder.ResolveLinks(HostPath.Normalize(b.Source)) }) ?? [];
            return [.. NotOfTheManifestsFolder([.. KeptWritableBinds(), .. WritableBindsOf(entries.Values), .. running])];
        }
    }

    /// <summary>True once a complete read of this process knew the running containers' read-write binds: they are in the
    /// record (in memory) from then on, so a later read needs the engine's list no more.</summary>
    private volatile bool runningBindsRecorded;

    private const string WaitingForRunningBinds = "the record of folders containers write was lost and the engine's containers are not listed yet: " +
        "the manifests folder is not read until they are, so that no folder a running container binds read-write is walked";

    /// <summary>The next read needs the engine's containers first: the record of folders containers write was lost, and no
    /// read of this process has seen the running containers' read-write binds yet. The controller lists the engine before
    /// the first read then, and reads again after a listing.</summary>
    public bool ReadWaitsForEngine
    {
        get
        {
            LoadIndexOnce();
            return observed is not null && !runningBindsRecorded && index.WritableBindsLost() is not null;
        }
    }

    /// <summary>Leaves out (with a warning, once per source) a bind that now resolves to the manifests folder or a folder above
    /// it: admission refuses such a bind, so a link was swapped in since (the container is BindSourceMoved at its next start);
    /// recording it would leave every manifest unread for good (probe-15h H4). Also heals a record already holding one.</summary>
    private IEnumerable<WritableBind> NotOfTheManifestsFolder(IEnumerable<WritableBind> binds)
    {
        var realRoot = folder.ResolveLinks(HostPath.Normalize(folder.Root));
        foreach (var bind in binds)
        {
            if (!WritableBindTrust.IsManifestsFolderOrAbove(bind.Source, realRoot)) yield return bind;
            else if (warnedManifestsFolderBinds.Add(bind.Source))
                logger.LogWarning("Read-write bind {Source} of {Owner} is (or now resolves to) the manifests folder {Root} or a folder above it: " +
                    "no such bind is ever admitted (a link was swapped in), so it is not recorded as a folder containers write", bind.Source, bind.Owner, realRoot);
        }
    }

    private readonly HashSet<string> warnedManifestsFolderBinds = new(StringComparer.Ordinal);

    /// <summary>The recorded binds still in force: while their folder exists, or, recorded for a create of this process, until
    /// the engine made it (a folder deleted and made anew is read again).</summary>
    private IEnumerable<WritableBind> KeptWritableBinds()
    {
        recordedMissing.RemoveWhere(Path.Exists);
        return writableBinds.Where(b => Path.Exists(b.Source) || recordedMissing.Contains(b.Source));
    }

    private readonly HashSet<string> recordedMissing = new(StringComparer.Ordinal);

    /// <summary>The folders containers write (links resolved) as the last read knew them: not walked, and what happens
    /// inside them is no reason to read again (the folder watcher asks, once per event).</summary>
    public IReadOnlyList<string> UnreadFolders => unreadFolders;

    private volatile IReadOnlyList<string> unreadFolders = [];

    /// <summary>Records the read-write bind sources (links resolved) of a container about to be created, saved before the
    /// create on every path (manifests, runs, jobs: probe-15f F7), as a container may be gone (autoRemove) before it is seen;
    /// throws <see cref="State.StateWriteException"/> when the record cannot be saved: then the container is not created
    /// (probe-15f F3), or after its exit and a restart the agent would read what it wrote.</summary>
    public void RecordWritableBinds(IEnumerable<string> sources, ObjectKey owner)
    {
        LoadIndexOnce();
        lock (sync)
        {
            var recorded = sources.Select(s => HostPath.Normalize(s)).Where(MayHoldInputs).Distinct(StringComparer.Ordinal).ToList();
            if (recorded.Count == 0 || !writableBindsUnsaved && recorded.All(s => writableBinds.Any(b => b.Source == s))) return;
            // Already on disk for this owner (a replica brought back while a later save of the record fails, e.g. a full
            // disk): nothing to write, so nothing keeps the container from being made again (probe-15g F1).
            if (recorded.All(s => savedWritableBinds.Contains(new WritableBind(s, owner)))) return;
            var (before, unsavedBefore, missingBefore) = (writableBinds, writableBindsUnsaved, recordedMissing.ToList());
            foreach (var missing in recorded.Where(s => !Path.Exists(s))) recordedMissing.Add(missing);
            writableBinds = writableBinds.Concat(recorded.Select(s => new WritableBind(s, owner))).DistinctBy(b => b.Source)
                .OrderBy(b => b.Source, StringComparer.Ordinal).ToList();
            try
            {
                index.WriteWritableBinds(writableBinds);
                writableBindsUnsaved = false;
                savedWritableBinds = writableBinds.ToHashSet();
            }
            catch
            {
                // The create is refused: what it would have bound is not in the record, now or after a later save (probe-15g F3).
                (writableBinds, writableBindsUnsaved) = (before, unsavedBefore);
                recordedMissing.Clear();
                recordedMissing.UnionWith(missingBefore);
                throw;
            }
        }
    }

    /// <summary>The record as last written to (or read from) the state dir.</summary>
    private HashSet<WritableBind> savedWritableBinds = [];

    /// <summary>A bind source that can hold a manifest or a file one reads: inside (or above) the manifests folder or a root
    /// of Agent:Security:AllowedFileRoots.</summary>
    private bool MayHoldInputs(string source) =>
        new[] { folder.Root }.Concat(policy.Options.AllowedFileRoots)
            .Any(r => Overlap(source.TrimEnd('/'), folder.ResolveLinks(HostPath.Normalize(r)).TrimEnd('/')));

    /// <summary>The folders containers of this instance can write (read-write bind sources, links resolved): those of
    /// <see cref="HeldWritableBinds"/>.</summary>
    public IEnumerable<string> WritableFolders() => HeldWritableBinds().Select(b => b.Source);

    private IEnumerable<WritableBind> WritableBindsOf(IEnumerable<DesiredEntry> desired) =>
        desired.SelectMany(e => WritableBindTrust.Sources(e.Object).Select(s => new WritableBind(folder.ResolveLinks(HostPath.Normalize(s)), e.Key)));

    /// <summary>Keeps (and saves) those that can hold a manifest or an input file (<see cref="MayHoldInputs"/>), and every one
    /// a create recorded since <paramref name="binds"/> were gathered.</summary>
    private void SaveWritableBinds(List<WritableBind> binds)
    {
        binds = NotOfTheManifestsFolder(binds.Concat(KeptWritableBinds())).Where(b => MayHoldInputs(b.Source)).DistinctBy(b => b.Source).OrderBy(b => b.Source, StringComparer.Ordinal).ToList();
        if (binds.SequenceEqual(writableBinds) && !writableBindsUnsaved) return;
        writableBinds = binds;
        writableBindsUnsaved = !index.SaveWritableBinds(binds, logger);
        if (!writableBindsUnsaved) savedWritableBinds = binds.ToHashSet();
    }

    /// <summary>The object accepted with the containers of a name prefix, as of the last read (or the last run's record).</summary>
    private Func<string, ObjectKey?> NameOwner()
    {
        lock (sync)
        {
            var owners = nameOwners;
            return prefix => owners.TryGetValue(prefix, out var key) ? key : null;
        }
    }

    /// <summary>Records which object owns each name prefix after a read: an owner keeps a prefix while its entry is there and
    /// its spec (the last good one, when held) still names it, or while its spec is not known (held after a restart);
    /// the other prefixes of accepted objects go to them.</summary>
    private void RecordNameOwners(Dictionary<ObjectKey, DesiredEntry> next)
    {
        var owned = new Dictionary<string, ObjectKey>(StringComparer.Ordinal);
        static IEnumerable<string> Prefixes(ServiceGroup group) =>
            group.Spec.Services.Select(s => ContainerNames.Replica(group.Metadata.Name, s.Name, 0)[..^1]);
        foreach (var (prefix, key) in nameOwners)
            if (next.TryGetValue(key, out var entry) && (entry.Object is null ? entry.NotSelected is null : entry.Object is ServiceGroup g && Prefixes(g).Contains(prefix)))
                owned[prefix] = key;
        foreach (var entry in next.Values.OrderBy(e => e.Key.ToString(), StringComparer.Ordinal))
            if (entry.Object is ServiceGroup group)
                foreach (var prefix in Prefixes(group))
                    owned.TryAdd(prefix, entry.Key);
        if (!nameOwnersUnsaved && owned.Count == nameOwners.Count && owned.All(o => nameOwners.GetValueOrDefault(o.Key) == o.Value)) return;
        nameOwners = owned;
        nameOwnersUnsaved = !index.SaveNameOwners(owned, logger);
    }

    /// <summary>The generation an object read for the first time in this run starts at: its recorded one, one more when its
    /// spec differs from the recorded fingerprint, 1 when none is recorded.</summary>
    private long RecordedGeneration(ObjectKey key, IManifestObject obj) =>
        generations.TryGetValue(key, out var recorded) ? recorded.Fingerprint == Fingerprint(obj) ? recorded.Generation : recorded.Generation + 1 : 1;

    /// <summary>Records the generation of every object that has a spec, and keeps the record of one that cannot be read; a
    /// deleted object's record goes with it (written back later, it starts at 1, as a new object does in Kubernetes).</summary>
    private void RecordGenerations(Dictionary<ObjectKey, DesiredEntry> next)
    {
        var now = new Dictionary<ObjectKey, (long, string)>();
        var changed = generationsUnsaved;
        foreach (var (key, entry) in next)
        {
            var has = generations.TryGetValue(key, out var recorded);
            if (entry.Object is null || entry.Generation < 1)
            {
                if (has) now[key] = recorded; // unreadable since the restart: a failed read forgets nothing
                continue;
            }
            if (has && recorded.Generation == entry.Generation) now[key] = recorded;
            else
            {
                now[key] = (entry.Generation, Fingerprint(entry.Object));
                changed = true;
            }
        }
        changed |= generations.Keys.Any(k => !now.ContainsKey(k));
        generations = now;
        if (changed) generationsUnsaved = !index.SaveGenerations(now, logger);
    }

    private void SaveUnsaved()
    {
        if (generationsUnsaved) generationsUnsaved = !index.SaveGenerations(generations, logger);
        if (nameOwnersUnsaved) nameOwnersUnsaved = !index.SaveNameOwners(nameOwners, logger);
        if (writableBindsUnsaved && index.SaveWritableBinds(writableBinds, logger)) (writableBindsUnsaved, savedWritableBinds) = (false, writableBinds.ToHashSet());
        if (orphansUnsaved) orphansUnsaved = !index.SaveOrphans(orphans, logger);
        RecordPruneFalse(repositories);
        if (filesUnsaved && !orphansUnsaved) filesUnsaved = !index.Save(files, logger);
    }

    /// <summary>Objects of a GitRepository deleted with prune: false are kept (and never pruned) until a manifest names them
    /// again. Which repositories had prune: false is known from this run, and from the record of earlier ones (deleted
    /// while the agent was down, or before the orphans record could be written): a failed write is never a deletion.</summary>
    private void UpdateOrphans(IReadOnlyList<GitRepository> now, Dictionary<ObjectKey, string> nextFiles)
    {
        var names = now.Select(n => n.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        var thisRun = repositories.Where(r => !r.Spec.Prune).Select(r => r.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        var kept = thisRun.Concat(pruneFalse.Keys.Select(k => k.Name)).Where(n => !names.Contains(n)).ToHashSet(StringComparer.Ordinal);
        var before = orphans.Count;
        var recorded = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (key, file) in files)
            if (!nextFiles.ContainsKey(key) && !orphans.ContainsKey(key) && GitDocuments.RepositoryOf(file) is { } repo && kept.Contains(repo))
            {
                orphans[key] = repo;
                if (!thisRun.Contains(repo)) recorded[repo] = recorded.GetValueOrDefault(repo) + 1;
            }
        foreach (var (repo, count) in recorded)
            logger.LogWarning("GitRepository {Name} is no longer in the manifests and was recorded with prune: false ({File}): the {Count} object(s) it brought are kept, not pruned",
                repo, ManifestIndex.PruneFalseFileName, count);
        var adopted = orphans.Keys.Where(nextFiles.ContainsKey).ToList();
        foreach (var key in adopted) orphans.Remove(key);
        if (orphans.Count != before || adopted.Count > 0 || orphansUnsaved) orphansUnsaved = !index.SaveOrphans(orphans, logger);
        RecordPruneFalse(now);
    }

    /// <summary>Writes which GitRepositories have prune: false when that changed (tried again at every read until it lands).
    /// A repository that went keeps its entry until the orphans record naming what it brought is written.</summary>
    private void RecordPruneFalse(IReadOnlyList<GitRepository> now)
    {
        var wanted = now.Where(r => !r.Spec.Prune).ToDictionary(GitRepositoryViews.Key, r => r.Source.File);
        if (orphansUnsaved)
            foreach (var (key, file) in pruneFalse) wanted.TryAdd(key, file);
        if (wanted.Count == pruneFalse.Count && wanted.All(p => pruneFalse.GetValueOrDefault(p.Key) == p.Value)) return;
        if (index.SavePruneFalse(wanted, logger)) pruneFalse = wanted;
    }

    /// <summary>A stack folder that was a project keeps being one, held, when an agent manifest appears beside its compose file.</summary>
    private List<ManifestDocument> WithoutNewAmbiguousStacks(IEnumerable<ManifestDocument> documents)
    {
        lock (sync) return ManifestSet.WithoutNewAmbiguousStacks(documents, files.ContainsKey).ToList();
    }

    /// <summary>The errors a candidate revision of a repository would have, loaded with everything else (the folder and
    /// the other repositories at their current revisions): any error and the revision is not switched to.</summary>
    public IReadOnlyList<ManifestError> Validate(GitRepository repo, GitCheckout candidate)
    {
        if (git is null) return [];
        IReadOnlyList<ManifestDocument> parsed;
        List<GitRepository> others;
        lock (sync)
        {
            parsed = folderDocuments;
            others = repositories.Where(r => r.Metadata.Name != repo.Metadata.Name).ToList();
        }
        var name = repo.Metadata.Name;
        var (selected, notSelected) = Select(WithoutNewAmbiguousStacks(parsed.Concat(git.Read(others).Documents).Concat(git.Read(repo, candidate))));
        var set = ManifestSet.Build(selected, NameOwner());
        var unselected = notSelected.Select(n => n.Document).Where(d => GitDocuments.RepositoryOf(d.Source.File) == name).SelectMany(d => d.Errors);
        return set.Documents.Where(d => GitDocuments.RepositoryOf(d.Source.File) == name).SelectMany(d => d.Errors).Concat(unselected).Distinct().ToList();
    }

    private void LoadIndexOnce()
    {
        lock (sync)
        {
            if (indexLoaded) return;
            indexLoaded = true;
            var loaded = index.LoadWritableBinds(logger);
            writableBinds = [.. NotOfTheManifestsFolder(loaded)];
            savedWritableBinds = loaded.ToHashSet();
            // Both records are written again at the first read whatever they held: this agent's own view replaces a stale
            // file (one an older build's `agent diff` wrote, probe-15j H3/H4), as it would replace a changed one.
            writableBindsUnsaved = true;
            filesUnsaved = true;
            pruneFalse = index.LoadPruneFalse(logger);
            nameOwners = index.LoadNameOwners(logger);
            generations = index.LoadGenerations(logger);
            if (index.Load(logger) is not { } stored) return;
            files = stored;
            known.UnionWith(stored.Keys);
            orphans = index.LoadOrphans(logger);
        }
    }

    /// <param name="written">Folders read as container-written now: problems met in them before go with one line per folder.</param>
    private void LogProblemChanges(IReadOnlyList<SourceProblem> before, IReadOnlyList<SourceProblem> after, IReadOnlySet<string> written)
    {
        var known = before.ToHashSet();
        foreach (var p in after.Where(p => !known.Contains(p)))
        {
            if (p.HidesObjects)
                logger.LogWarning("Manifest {Path} in {Folder} cannot be read, keeping the objects it defined as they are: {Problem}", p.Path, folder.Root, p.Message);
            else
                logger.LogWarning("Manifests folder {Folder}: {Path}: {Problem}", folder.Root, p.Path, p.Message);
        }
        var still = after.Select(a => a.Path).ToHashSet(StringComparer.Ordinal);
        var gone = before.Where(p => !still.Contains(p.Path)).ToList();
        foreach (var inWritten in gone.GroupBy(p => written.FirstOrDefault(w => Covers(w, p.Path))).Where(g => g.Key is not null))
            logger.LogInformation("Manifests folder {Folder}: {Count} problem(s) under {Written} are no longer reported: it is bound read-write, so nothing in it is read",
                folder.Root, inWritten.Count(), inWritten.Key);
        foreach (var p in gone.Where(p => !written.Any(w => Covers(w, p.Path))))
            logger.LogInformation("Manifest {Path} in {Folder} reads again", p.Path, folder.Root);
    }

    /// <summary>Each manifest error once per change (file:line:column: field: message), not once per read or reconcile;
    /// and a file whose errors are all gone, once.</summary>
    /// <param name="written">Folders read as container-written now: the errors of files in them are the folder's line, so a
    /// file there whose own error is gone does not "load again".</param>
    /// <param name="held">Files that cannot be read or parsed, by the objects they last defined (held at their last good state).</param>
    /// <param name="next">The entries of this read: an object with no spec in them never had a good one (probe-33 F13).</param>
    private void LogErrorChanges(ManifestSet set, string realRoot, IReadOnlySet<string> written, IReadOnlyDictionary<string, List<ObjectKey>> held,
        IReadOnlyDictionary<ObjectKey, DesiredEntry> next)
    {
        var now = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in WrittenFolderLog.Lines(set.Documents, realRoot))
            if (now.Add(line) && !loggedErrors.Contains(line))
                logger.LogWarning("Invalid manifest {Error} (tied to no object: nothing in this document is applied)", line);
        foreach (var document in set.Documents.Where(d => !d.IsContainerWritten))
            foreach (var error in document.Errors)
            {
                var text = error.ToString();
                if (!now.Add(text) || loggedErrors.Contains(text)) continue;
                if (document.Key is { } key && next.GetValueOrDefault(key)?.Object is null)
                    logger.LogWarning("Invalid manifest {Error} ({Key} is not applied: it has no good spec yet)", text, key);
                else if (document.Key is { } kept)
                    logger.LogWarning("Invalid manifest {Error} ({Key} keeps its last good state)", text, kept);
                else if (held.GetValueOrDefault(error.File) is { } keys)
                    logger.LogWarning("Invalid manifest {Error} ({Key} keeps its last good state)", text, string.Join(", ", keys.Select(k => k.ToString()).Order(StringComparer.Ordinal)));
                else
                    logger.LogWarning("Invalid manifest {Error} (tied to no object: nothing in this document is applied)", text);
            }
        var fixedFiles = loggedErrors.Select(FileOf).Except(now.Select(FileOf), StringComparer.Ordinal)
            .Where(f => !written.Any(w => Covers(w, f))).Order(StringComparer.Ordinal);
        var read = set.Documents.Select(d => d.Source.File).ToHashSet(StringComparer.Ordinal);
        foreach (var file in fixedFiles)
        {
            if (read.Contains(file)) logger.LogInformation("Manifest {File} loads without errors again", file);
            else logger.LogInformation("Manifest {File} is gone; its errors with it", file); // deleted, not fixed (probe-19)
        }
        loggedErrors = now;
        LogUnsetVariables(next);
    }

    /// <summary>Each project's unset variables (<see cref="Core.Compose.UnsetVariablesWarning"/>), once per project and set
    /// of such variables, not once per read.</summary>
    private void LogUnsetVariables(IReadOnlyDictionary<ObjectKey, DesiredEntry> next)
    {
        var now = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, entry) in next.OrderBy(e => e.Key.ToString(), StringComparer.Ordinal))
        {
            if (Core.Compose.UnsetVariablesWarning.Of(key, entry.Object) is { } line && now.Add(line) && !loggedUnset.Contains(line))
                logger.LogWarning("{Warning}", line);
        }
        loggedUnset = now;
    }

    private IReadOnlySet<string> loggedUnset = new HashSet<string>();

    private static string FileOf(string error) => error[..Math.Max(0, error.IndexOf(':'))];

    private static bool Overlap(string a, string b) =>
        a.Length == 0 || b.Length == 0 || a == b || a.StartsWith(b + "/", StringComparison.Ordinal) || b.StartsWith(a + "/", StringComparison.Ordinal);

    private static bool Covers(string held, string file) => SourceProblem.Covers(held, file);

    private static bool Same(DesiredEntry a, DesiredEntry b) =>
        a.Generation == b.Generation && a.Revision == b.Revision && a.NotSelected == b.NotSelected && a.KeptFrom == b.KeptFrom && a.Errors.SequenceEqual(b.Errors) && a.HeldReason == b.HeldReason
        && (ReferenceEquals(a.Object, b.Object) || Fingerprint(a.Object) == Fingerprint(b.Object));

    /// <summary>Identifies an object's content (metadata and spec, not where in the file it stands) for generations.</summary>
    public static string Fingerprint(IManifestObject? obj) => obj switch
    {
        null => "",
        ServiceGroup g => Hash(JsonSerializer.Serialize(new ServiceGroupFingerprint(g.Metadata, g.Spec), CoreJsonContext.Default.ServiceGroupFingerprint)),
        _ => Hash(JsonSerializer.Serialize(obj, CoreJsonContext.Default.GetTypeInfo(obj.GetType())
            ?? throw new InvalidOperationException($"no JSON metadata for {obj.GetType().Name}"))),
    };

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
}
