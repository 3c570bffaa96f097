using System.Security.Cryptography;
using System.Text;
using Agent.Core.Build;
using Agent.Core.Manifests;
using Agent.Engine;
using Agent.Core.Security;
using Agent.Core.Sources;

namespace Agent.Sources;

/// <summary>A folder of manifests on disk: read recursively (*.yaml, *.yml; hidden files and folders skipped),
/// and the files those manifests reference.</summary>
public sealed class ManifestFolder(string root, ManifestLimits? limits = null, long maxFileBytes = ManifestFolder.DefaultMaxFileBytes) : IManifestFiles
{
    public const long DefaultMaxFileBytes = 1024 * 1024;
    private const long MaxDigestBytes = 256L * 1024 * 1024;
    private static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);
    private readonly Dictionary<string, (long Length, long Written, UnixFileMode Mode, ManifestFileText Text)> cache = [];
    private readonly Lock sync = new();
    private string? mountAtLastRead;
    private IReadOnlySet<string> mountsBelowAtLastRead = new HashSet<string>(StringComparer.Ordinal);
    private IReadOnlySet<string>? mountsBelowSaved;

    /// <summary>Where the mount points below the folder are kept between runs (the state dir's manifest-mounts.json): a
    /// filesystem not mounted yet when the agent starts (an NFS share, a bind made later at boot) leaves an empty folder,
    /// which is a failed read, not the deletion of what it held (probe-33 F2: pruned at the restart). Null: not kept.</summary>
    public string? MountsFile { get; init; }

    public const string MountsFileName = "manifest-mounts.json";

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Set when there is no folder at all (`agent run --git-url` on a host whose only source is the repository):
    /// every read is complete and empty, never a read that failed.</summary>
    public bool Absent { get; init; }

    /// <summary>Set for a git checkout: no file outside this folder (the checkout, symlinks resolved) is read.</summary>
    public string? ConfinedTo { get; init; }

    /// <summary>The symbolic links of that checkout that leave the repository and were not checked out (repository paths).</summary>
    public IReadOnlyList<Core.Git.GitLink> SkippedLinks { get; init; } = [];

    /// <summary>The submodules and Git LFS pointers of that checkout (repository paths).</summary>
    public IReadOnlyList<Core.Git.GitUnfetched> Unfetched { get; init; } = [];

    /// <summary>The agent's own secret files (<see cref="Hosting.AgentOptions.SecretFiles"/>): a file of the folder that is
    /// one of them (a hard link to the tokens file or the JWT key placed there) is never read, so never quoted in an error,
    /// applied or handed to a container.</summary>
    public IReadOnlyList<string> SecretFiles { get; init; } = [];

    /// <summary>Why <paramref name="stream"/>, as opened, is not read: it is one of <see cref="SecretFiles"/> (same device
    /// and inode), or null. The message names neither the secret file nor anything of its content.</summary>
    private string? SecretFile(FileStream stream)
    {
        if (SecretFiles.Count == 0 || State.LibC.FileIdentity((int)stream.SafeFileHandle.DangerousGetHandle()) is not { } opened) return null;
        return SecretFiles.Any(f => State.LibC.TargetIdentity(f) == opened)
            ? "is one of the agent's own secret files (a hard link to its tokens file, JWT key or a registry credential file): not read"
            : null;
    }

    public string? Confinement(string absolutePath)
    {
        if (ConfinedTo is null) return null;
        var inside = ResolveLinks(Path.GetFullPath(ConfinedTo)).TrimEnd('/');
        var resolved = ResolveLinks(Path.GetFullPath(absolutePath));
        if (resolved != inside && !resolved.StartsWith(inside + "/", StringComparison.Ordinal))
            return "is outside the repository's checkout: files of a git repository may reference only files inside it";
        if (resolved.Length > inside.Length && Core.Git.GitLinks.Covering(SkippedLinks, resolved[(inside.Length + 1)..]) is { } link)
            return $"is a symbolic link that leaves the repository ({link.Path} -> {link.Target}); it is not checked out, so not read";
        if (resolved.Length > inside.Length && Core.Git.GitUnfetched.Covering(Unfetched, resolved[(inside.Length + 1)..]) is { } unfetched)
            return $"is {unfetched.Path}, {unfetched.Why}";
        return DanglingLink(Path.GetFullPath(ConfinedTo), Path.GetFullPath(absolutePath)) is { } dangling
            ? $"is a dangling symbolic link in the repository ({dangling})"
            : null;
    }

    /// <summary>The first link on the way from <paramref name="root"/> to a missing path that leads nowhere (PATH -> TARGET).</summary>
    private static string? DanglingLink(string root, string path)
    {
        static bool Reaches(string p) => Directory.Exists(p) || (new FileInfo(p).LinkTarget is null ? File.Exists(p) : PathExists(p));
        if (!path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal) || Reaches(path)) return null;
        var at = root;
        foreach (var part in Path.GetRelativePath(root, path).Split('/'))
        {
            at = Path.Combine(at, part);
            if (Reaches(at)) continue;
            return new FileInfo(at).LinkTarget is { } target ? $"{Path.GetRelativePath(root, at)} -> {target}" : null;
        }
        return null;
    }

    /// <summary>Nothing at all at that path: no folder, no file, no link (a dangling link is a folder that failed to read).</summary>
    public static bool Missing(string path)
    {
        var full = Path.GetFullPath(path);
        return !Directory.Exists(full) && !File.Exists(full) && new FileInfo(full).LinkTarget is null;
    }

    public ManifestLimits Limits { get; } = limits ?? ManifestLimits.Default;

    /// <summary>Set by `agent validate STACKDIR`: a compose file at the very top makes the folder itself a stack folder,
    /// validated as it would be as a sub-folder of a manifests folder (the agent's manifests folder is never one).</summary>
    public bool RootIsStack { get; init; }

    public long MaxFileBytes { get; } = maxFileBytes;

    /// <summary>Loads every manifest; files that cannot be read are errors on those files. Throws when the folder cannot be read.</summary>
    public ManifestSet Load(SecurityPolicy policy)
    {
        var snapshot = Read();
        if (snapshot.RootError is not null) throw new DirectoryNotFoundException(snapshot.RootError);
        return Load(snapshot, policy);
    }

    /// <summary>Loads a read: each file on its own (whatever the loader does with one costs that file only), and every
    /// file or folder that could not be read as a document with no key, so the objects it last defined are held.</summary>
    public ManifestSet Load(FolderSnapshot snapshot, SecurityPolicy policy) => ManifestSet.Build(ManifestSet.WithoutNewAmbiguousStacks(ParseTrusted(snapshot, policy, []), _ => false));

    /// <summary>The documents of the manifests folder itself: those a container could have written (inside a read-write
    /// bind of an object, or of one applied before: <paramref name="held"/>) become errors, not objects. Read-only binds
    /// are digested without the read-write bind sources of the objects read (parsed again when those were not known yet).</summary>
    public IReadOnlyList<ManifestDocument> ParseTrusted(FolderSnapshot snapshot, SecurityPolicy policy, IReadOnlyCollection<WritableBind> held)
    {
        writableSources = held.Select(h => h.Source).ToHashSet(StringComparer.Ordinal);
        var trusted = WritableBindTrust.Apply(Parse(snapshot, policy), Root, ResolveLinks, held, Locations);
        var read = trusted.SelectMany(d => WritableBindTrust.Sources(d.IsValid ? d.Object : null)).Select(s => ResolveLinks(HostPath.Normalize(s)));
        if (read.Where(s => !writableSources.Contains(s)).ToList() is not { Count: > 0 } unknown) return trusted;
        writableSources = writableSources.Concat(unknown).ToHashSet(StringComparer.Ordinal);
        return WritableBindTrust.Apply(Parse(snapshot, policy), Root, ResolveLinks, held, Locations);
    }

    private IReadOnlySet<string> writableSources = new HashSet<string>();

    public string? DigestBind(string absolutePath)
    {
        var real = ResolveLinks(absolutePath).TrimEnd('/');
        if (writableSources.Any(s => Within(real, s))) return null; // all of it is some container's data
        var skipped = writableSources.Where(s => Within(s, real)).ToList();
        return Digest(absolutePath, skipped.Count == 0 ? null : entry => skipped.Any(s => Within(real + "/" + entry, s)));
    }

    /// <summary>Judged as written and at every link on the way (<see cref="Locations"/>), not only by the target: a link
    /// inside a read-write bind folder to a file outside it is the container's to re-point (probe-15f F1).</summary>
    public string? WritableByContainers(string absolutePath, bool orContains = false)
    {
        var locations = Locations(Path.GetFullPath(absolutePath)).Select(l => l.TrimEnd('/')).ToList();
        var real = locations[^1];
        var bound = writableSources.FirstOrDefault(s => locations.Any(l => Within(l, s)) || orContains && Within(s, real));
        if (bound is null) return null;
        var root = ResolveLinks(Path.GetFullPath(Root)).TrimEnd('/');
        var shown = Within(bound, root) && bound != root ? "./" + Path.GetRelativePath(root, bound) : bound;
        var what = Directory.Exists(bound) || !File.Exists(bound) ? "a folder" : "a file";
        return $"{(locations.Any(l => Within(l, bound)) ? "lies inside" : "holds")} {shown}, {what} bound read-write into a container: not read, " +
               "as the container could change what the agent applies (keep configuration out of data folders)";
    }

    private static bool Within(string path, string folder) =>
        path == folder.TrimEnd('/') || path.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);

    /// <summary>The documents of a read before the checks that span documents (to be built with other sources').</summary>
    public IReadOnlyList<ManifestDocument> Parse(FolderSnapshot snapshot, SecurityPolicy policy) =>
    [
        .. ManifestSet.Parse(snapshot.Files.Select(f => (f.File, f.Content)), this, policy, Limits, RootIsStack),
        .. snapshot.Problems.Where(p => p.HidesObjects).Select(p => FileError(p.Path, p.Message)),
        .. snapshot.Written.Select(w => WritableBindTrust.NotRead(w.File, w.Bind, realRoot)),
    ];

    public static ManifestDocument FileError(string file, string message) =>
        new(new Core.Model.SourceLocation(file, 1, 1), null, null, [new ManifestError(file, 1, 1, "", message)]);

    /// <summary>Reads the folder: stat of every file, content of manifests whose size or time changed since the last read.
    /// Never throws for what is on disk; a folder that cannot be read is a <see cref="FolderSnapshot.RootError"/>.</summary>
    /// <param name="unread">Read-write bind sources (links resolved) known before the read: folders a container writes are
    /// never read as manifests, so they are not walked either (a container controls what is in them: probe-15g F6, a chain
    /// of 1,900 nested folders stalled every read). Only the names of manifests in them are listed, within a small bound,
    /// to say they are not read (<see cref="FolderSnapshot.Written"/>).</param>
    public FolderSnapshot Read(IReadOnlyCollection<WritableBind>? unread = null)
    {
        lock (sync)
        {
            try
            {
                return ReadCore(unread ?? []);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
            {
                return FolderSnapshot.Failed($"manifests folder {Root} cannot be read: {e.Message}");
            }
        }
    }

    private FolderSnapshot ReadCore(IReadOnlyCollection<WritableBind> unread)
    {
        if (Absent) return new FolderSnapshot(null, [], [], "absent");
        if (!Directory.Exists(Root))
            return FolderSnapshot.Failed(File.Exists(Root) || new FileInfo(Root).LinkTarget is not null && !Directory.Exists(Root)
                ? $"manifests folder {Root} is not a folder (or a link to a missing folder)"
                : $"manifests folder {Root} does not exist");
        var real = ResolveLinks(Root);
        realRoot = real;
        LoadMountsBelow();
        // A filesystem unmounted under the folder leaves an empty mount point: that is not a deletion.
        var mounts = MountPoints.All();
        var mount = mounts is null ? null : MountPoints.Of(real, mounts);
        if (mountAtLastRead is { } before && mount is not null && before != mount && before.Length > mount.Length)
            return FolderSnapshot.Failed($"manifests folder {Root} was on the filesystem mounted at {before}, which is not mounted anymore");
        _ = Directory.EnumerateFileSystemEntries(Root).FirstOrDefault(); // unreadable root: throws here, not as a problem

        var files = new List<ManifestFileText>();
        var problems = new List<SourceProblem>();
        var others = new List<(string File, long Length, long Written)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var walk = new TreeWalk(files, problems, others, seen, new Dictionary<string, string>(StringComparer.Ordinal) { [real] = "" }, [], unread, [])
        {
            Unmounted = UnmountedBelow(real, mounts),
        };
        if (walk.UnreadAt(real) is { } rootBind)
        {
            // The whole folder is some container's to write: nothing in it is read.
            if (!ListWritten(Root, "", rootBind, walk))
                return FolderSnapshot.Failed($"manifests folder {Root} lies inside {rootBind.Source}, bound read-write by {rootBind.Owner}, and holds more " +
                                             $"than {WrittenListLimit} entries or {WrittenListDepth} levels of folders: nothing in it is read");
        }
        else Walk(Root, "", real, 0, walk);
        // Linked folders last, so a folder is read once under its own name; a link into the tree, to an ancestor, or to
        // a folder another link already led to is reported and not followed.
        while (walk.Links.Count > 0)
        {
            var (path, rel, location) = walk.Links.Dequeue();
            var target = ResolveLinks(path);
            if (!Within(target, real))
            {
                // Not walked: nothing in it is read anyway, and a link to / listed /proc, /dev and the host's folder names
                // into the log and to viewers, 50,000 entries a read (probe-15n F3). Only whether it holds manifests is
                // looked at, within a small bound, to say they are not read (a build context or env files: nothing to say).
                if (ManifestNames(path, rel) is not { Count: 0 })
                    problems.Add(new SourceProblem(rel, SourceProblemReasons.OutsideRoot, $"links outside the manifests folder (to {target}); not read"));
                continue;
            }
            if (walk.Unmounted.Contains(target))
            {
                problems.Add(Unmounted(rel));
                continue;
            }
            if (walk.Folders.TryGetValue(target, out var readAs))
            {
                var loop = location == target || location.StartsWith(target + "/", StringComparison.Ordinal);
                problems.Add(new SourceProblem(rel, SourceProblemReasons.SymlinkLoop, loop
                    ? $"symlink loop: links back to {(readAs.Length == 0 ? "the manifests folder" : readAs)}; not followed"
                    : $"links to a folder already read as {(readAs.Length == 0 ? "the manifests folder" : readAs)}; not read twice", HidesObjects: false));
                continue;
            }
            walk.Folders[target] = rel;
            Walk(path, rel, target, rel.Count(c => c == '/') + 1, walk);
        }
        foreach (var stale in cache.Keys.Where(k => !seen.Contains(k)).ToList()) cache.Remove(stale);
        if (mount is not null) mountAtLastRead = mount;
        if (mounts is not null) mountsBelowAtLastRead = MountsBelow(real, mounts).Concat(walk.Unmounted).ToHashSet(StringComparer.Ordinal);
        SaveMountsBelow();

        files.Sort((a, b) => string.CompareOrdinal(a.File, b.File));
        problems.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var f in files) hash.AppendData(Encoding.UTF8.GetBytes($"m\0{f.File}\0{f.Digest}\n"));
        foreach (var p in problems) hash.AppendData(Encoding.UTF8.GetBytes($"p\0{p.Path}\0{p.Reason}\0{p.Message}\n"));
        foreach (var o in others.OrderBy(o => o.File, StringComparer.Ordinal)) hash.AppendData(Encoding.UTF8.GetBytes($"o\0{o.File}\0{o.Length}\0{o.Written}\n"));
        walk.Written.Sort((a, b) => string.CompareOrdinal(a.File, b.File));
        foreach (var w in walk.Written) hash.AppendData(Encoding.UTF8.GetBytes($"w\0{w.File}\0{w.Bind.Source}\0{w.Bind.Owner}\n"));
        return new FolderSnapshot(null, files, problems, Convert.ToHexStringLower(hash.GetHashAndReset())) { Written = walk.Written };
    }

    /// <summary>What one read collects. <see cref="Folders"/> maps each real folder read to the name it was read as;
    /// <see cref="Links"/> holds linked folders to follow after the tree itself (link path, name, real folder it stands in).</summary>
    private sealed record TreeWalk(List<ManifestFileText> Files, List<SourceProblem> Problems, List<(string, long, long)> Others,
        HashSet<string> Seen, Dictionary<string, string> Folders, Queue<(string Path, string Rel, string Location)> Links,
        IReadOnlyCollection<WritableBind> Unread, List<WrittenFile> Written)
    {
        /// <summary>Files and folders listed so far (<see cref="MaxEntries"/>).</summary>
        public int Entries { get; set; }

        public WritableBind? UnreadAt(string location) => Unread.FirstOrDefault(b => Within(location, b.Source));

        /// <summary>Folders (real paths) below the manifests folder that were mount points at the last read and are not now.</summary>
        public IReadOnlySet<string> Unmounted { get; init; } = new HashSet<string>();
    }

    private static SourceProblem Unmounted(string rel) => new(rel, SourceProblemReasons.Unmounted,
        "folder was the mount point of a filesystem at the last read and is not mounted anymore: not read (what it defined is kept as it is until it is mounted again, or the folder is removed)");

    private static IEnumerable<string> MountsBelow(string real, IReadOnlyList<string> mounts) =>
        mounts.Where(m => m != real.TrimEnd('/') && Within(m, real));

    /// <summary>A filesystem mounted on a folder below the manifests folder (a team's NFS share, a configMap-like bind)
    /// that is not mounted any more leaves an empty folder: that is a failed read of what it held, never a deletion
    /// (probe-15n F1). Held while its folder is there; a folder removed too is a real deletion.</summary>
    private IReadOnlySet<string> UnmountedBelow(string real, IReadOnlyList<string>? mounts)
    {
        if (mounts is null) return mountsBelowAtLastRead; // the table cannot be read now: nothing is known to be mounted
        var now = mounts.ToHashSet(StringComparer.Ordinal);
        return mountsBelowAtLastRead.Where(m => !now.Contains(m) && Within(m, real) && Directory.Exists(m)).ToHashSet(StringComparer.Ordinal);
    }

    private void LoadMountsBelow()
    {
        if (mountsBelowSaved is not null || MountsFile is not { } file) return;
        try
        {
            var saved = File.Exists(file)
                ? System.Text.Json.JsonSerializer.Deserialize(File.ReadAllText(file), Http.AgentJsonContext.Default.ListString) ?? []
                : [];
            mountsBelowAtLastRead = mountsBelowSaved = saved.Where(m => m.StartsWith('/')).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            mountsBelowSaved = new HashSet<string>(StringComparer.Ordinal); // unreadable: as without a record (the runtime hold still applies)
        }
    }

    /// <summary>Written when the set changes; a write that fails is tried again at the next read.</summary>
    private void SaveMountsBelow()
    {
        if (MountsFile is not { } file || mountsBelowSaved is not null && mountsBelowSaved.SetEquals(mountsBelowAtLastRead)) return;
        try
        {
            State.StateFile.WriteJson(file, mountsBelowAtLastRead.Order(StringComparer.Ordinal).ToList());
            mountsBelowSaved = mountsBelowAtLastRead;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or State.StateWriteException)
        {
        }
    }

    /// <summary>Nested folders read below the manifests folder; a folder deeper is not read (what it defined is held).</summary>
    public int MaxDepth { get; init; } = DefaultMaxDepth;

    public const int DefaultMaxDepth = 64;

    /// <summary>Files and folders listed per read; the folders not reached are not read (what they defined is held).</summary>
    public int MaxEntries { get; init; } = DefaultMaxEntries;

    public const int DefaultMaxEntries = 50_000;

    /// <summary>How much of a folder a container writes is listed for manifest names (to say they are not read).</summary>
    public const int WrittenListLimit = 2_000, WrittenListDepth = 16;

    /// <param name="location">The folder's real path (every link resolved), kept as the walk goes down (a folder that is
    /// no link lies at its parent's real path plus its name): resolving each folder's path again, link by link, made a
    /// read cost the cube of the depth (probe-15g F6).</param>
    private void Walk(string folder, string relative, string location, int depth, TreeWalk walk)
    {
        if (relative.Length > 0)
        {
            if (walk.UnreadAt(location) is { } bind)
            {
                if (!ListWritten(folder, relative, bind, walk)) walk.Written.Add(new WrittenFile(relative, bind));
                return;
            }
            if (depth > MaxDepth)
            {
                walk.Problems.Add(new SourceProblem(relative, SourceProblemReasons.TooDeep,
                    $"folder is nested more than {MaxDepth} levels below the manifests folder: not read (what it defined is kept as it is)"));
                return;
            }
            if (walk.Entries >= MaxEntries)
            {
                walk.Problems.Add(new SourceProblem(relative, SourceProblemReasons.TooMany,
                    $"not read: the manifests folder holds more than {MaxEntries} files and folders, the most one read lists (what this folder defined is kept as it is)"));
                return;
            }
        }
        List<string> entries;
        try
        {
            entries = Directory.EnumerateFileSystemEntries(folder).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (relative.Length == 0) throw;
            walk.Problems.Add(new SourceProblem(relative, SourceProblemReasons.Unreadable, $"folder cannot be read: {e.Message}"));
            return;
        }
        walk.Entries += entries.Count;
        if (entries.Any(e => Path.GetFileName(e).Contains('\uFFFD')) && UndecodableNames.In(folder) is { Count: > 0 } undecodable)
        {
            // The entry is decoded with U+FFFD and opens nothing: unseen, its objects would look deleted. Where they were
            // is unknown (a file renamed, or moved into such a folder), so every object of this folder and below is held.
            var where = relative.Length == 0 ? "the manifests folder" : "this folder";
            walk.Problems.Add(new SourceProblem(relative.Length == 0 ? SourceProblem.RootFolder : relative, SourceProblemReasons.UndecodableName,
                $"{string.Join(", ", undecodable.Select(n => $"\"{n}\""))} in {where}: a name that is not valid UTF-8 cannot be read; " +
                "every object whose manifest was in this folder or below is kept as it is until it is renamed"));
        }
        foreach (var path in entries.Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            if (name.StartsWith('.')) continue;
            var rel = relative.Length == 0 ? name : $"{relative}/{name}";
            var info = new FileInfo(path);
            var isLink = info.LinkTarget is not null;
            if (Directory.Exists(path))
            {
                if (isLink)
                {
                    walk.Links.Enqueue((path, rel, location));
                    continue;
                }
                if (IsManifestName(name))
                {
                    // probe-33 F7: a manifest file replaced by a folder of its name read as deleted, silently pruned.
                    walk.Problems.Add(new SourceProblem(rel, SourceProblemReasons.Unreadable,
                        "is a folder, not a manifest file: not read (what a file of this name defined is kept as it is; rename the folder)"));
                    continue;
                }
                var real = location == "/" ? "/" + name : location + "/" + name;
                if (walk.Unmounted.Contains(real))
                {
                    walk.Problems.Add(Unmounted(rel));
                    continue;
                }
                walk.Folders[real] = rel;
                Walk(path, rel, real, depth + 1, walk);
                continue;
            }
            var manifest = IsManifestName(name);
            if (isLink && !PathExists(path))
            {
                // A dangling link may have been a file or a folder of manifests: what it held is unknown.
                // In a git checkout (a whole tree) only a manifest's name says it held something; what needs another link names it.
                walk.Problems.Add(IsLinkLoop(path)
                    ? new SourceProblem(rel, SourceProblemReasons.SymlinkLoop, $"symlink loop (through {info.LinkTarget}): cannot be read", HidesObjects: ConfinedTo is null || manifest)
                    : new SourceProblem(rel, SourceProblemReasons.DanglingLink, $"dangling symlink to {info.LinkTarget}: cannot be read", HidesObjects: ConfinedTo is null || manifest));
                continue;
            }
            if (!manifest)
            {
                // Files manifests may reference (env files, config): their size and time, or, while just written (the
                // time may not tell two writes apart yet), the time of this read, so the manifests are loaded again.
                if (info.Exists)
                    walk.Others.Add((rel, info.Length, DateTime.UtcNow - info.LastWriteTimeUtc > RacyWindow ? info.LastWriteTimeUtc.Ticks : DateTime.UtcNow.Ticks));
                continue;
            }
            if (ReadManifest(path, rel, walk.Problems, walk.Seen) is { } text) walk.Files.Add(text);
        }
    }

    private static bool IsManifestName(string name) =>
        name.EndsWith(".yaml", StringComparison.Ordinal) || name.EndsWith(".yml", StringComparison.Ordinal);

    /// <summary>Lists the manifest names in a folder a container writes (links not followed, hidden entries skipped), within
    /// <see cref="WrittenListLimit"/> entries and <see cref="WrittenListDepth"/> levels: each is not read. A link to a
    /// folder stands for whatever it holds. False when the folder is larger, deeper or cannot be listed: then the folder
    /// as a whole is reported (and holds what it defined).</summary>
    private static bool ListWritten(string folder, string relative, WritableBind bind, TreeWalk walk)
    {
        if (ManifestNames(folder, relative) is not { } found) return false;
        walk.Written.AddRange(found.Select(rel => new WrittenFile(rel, bind)));
        return true;
    }

    /// <summary>The manifest names (and links to folders, which stand for whatever they hold) in a folder that is not
    /// read, as paths under <paramref name="relative"/>: links not followed, hidden entries skipped; null when it holds
    /// more than <see cref="WrittenListLimit"/> entries or <see cref="WrittenListDepth"/> levels, or cannot be listed.</summary>
    private static List<string>? ManifestNames(string folder, string relative)
    {
        var pending = new Stack<(DirectoryInfo Folder, string Rel, int Depth)>();
        pending.Push((new DirectoryInfo(folder), relative, 0));
        var listed = 0;
        var found = new List<string>();
        var options = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false };
        try
        {
            while (pending.TryPop(out var at))
            {
                foreach (var entry in at.Folder.EnumerateFileSystemInfos("*", options))
                {
                    if (++listed > WrittenListLimit) return null;
                    if (entry.Name.StartsWith('.')) continue;
                    var rel = at.Rel.Length == 0 ? entry.Name : $"{at.Rel}/{entry.Name}";
                    var link = entry.Attributes.HasFlag(FileAttributes.ReparsePoint);
                    if (entry is DirectoryInfo sub && !link)
                    {
                        if (at.Depth + 1 > WrittenListDepth) return null;
                        pending.Push((sub, rel, at.Depth + 1));
                    }
                    else if (link && entry is DirectoryInfo || IsManifestName(entry.Name))
                        found.Add(rel);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return found;
    }

    /// <summary>A link whose chain of links never ends (ELOOP: `a.yaml -> b.yaml -> a.yaml`), not one that dangles.</summary>
    private static bool IsLinkLoop(string path)
    {
        try
        {
            _ = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static bool PathExists(string path)
    {
        try
        {
            return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true) is { Exists: true } or DirectoryInfo { Exists: true };
        }
        catch (IOException)
        {
            return false; // a link loop among files
        }
    }

    private string realRoot = "/";

    private ManifestFileText? ReadManifest(string path, string rel, List<SourceProblem> problems, HashSet<string> seen)
    {
        try
        {
            // A link (of the file or of a folder above it) that leads out of the manifests folder is not read: its
            // content would be echoed in errors (a link to /etc/shadow), and what it defined is held, not deleted.
            var resolved = ResolveLinks(path);
            if (resolved != realRoot && !resolved.StartsWith(realRoot.TrimEnd('/') + "/", StringComparison.Ordinal))
            {
                problems.Add(new SourceProblem(rel, SourceProblemReasons.OutsideRoot,
                    $"links outside the manifests folder (to {resolved}); not read"));
                return null;
            }
            var info = new FileInfo(path);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target) info = target;
            if (!info.Exists) return null; // deleted while reading: a real deletion, seen as one at the next read too
            if (info.Length == 0)
            {
                // A FIFO, socket or device has no size either: said as what it is, not as a file being written.
                problems.Add(NotRegular(info.FullName) is { } notRegular
                    ? new SourceProblem(rel, SourceProblemReasons.Unreadable, $"cannot be read: {notRegular}")
                    : new SourceProblem(rel, SourceProblemReasons.Empty, "file is empty (0 bytes); an editor or a copy may still be writing it"));
                return null;
            }
            if (info.Length > MaxFileBytes)
            {
                problems.Add(TooLarge(rel, info.Length));
                return null;
            }
            var written = info.LastWriteTimeUtc.Ticks;
            var mode = info.UnixFileMode; // a chmod that makes the file unreadable must be seen, though the content is the same
            var key = rel + "\0" + info.FullName;
            seen.Add(key);
            // A file written within the last seconds is read again: file times tick coarsely, so two writes of the same
            // size in one tick look the same to stat (git's "racy clean" case).
            var settled = DateTime.UtcNow - info.LastWriteTimeUtc > RacyWindow;
            if (settled && cache.TryGetValue(key, out var cached) && cached.Length == info.Length && cached.Written == written && cached.Mode == mode)
                return cached.Text;

            byte[] bytes;
            using (var stream = RegularFile.OpenRead(info.FullName))
            {
                if (SecretFile(stream) is { } secret)
                {
                    problems.Add(new SourceProblem(rel, SourceProblemReasons.Unreadable, "file " + secret));
                    return null;
                }
                bytes = ReadAtMost(stream, MaxFileBytes + 1);
            }
            if (bytes.Length > MaxFileBytes)
            {
                problems.Add(TooLarge(rel, bytes.Length));
                return null;
            }
            if (IsBlank(bytes))
            {
                problems.Add(new SourceProblem(rel, SourceProblemReasons.Empty, "file holds only whitespace; an editor or a copy may still be writing it"));
                return null;
            }
            var result = new ManifestFileText(rel, bytes, Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]);
            cache[key] = (info.Length, written, mode, result);
            return result;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(new SourceProblem(rel, SourceProblemReasons.Unreadable, $"cannot be read: {e.Message}"));
            return null;
        }
    }

    /// <summary>Only whitespace (after a UTF-8 byte order mark): a file being written, not a file that defines nothing.</summary>
    private static bool IsBlank(byte[] bytes)
    {
        var start = bytes is [0xEF, 0xBB, 0xBF, ..] ? 3 : 0;
        for (var i = start; i < bytes.Length; i++)
            if (bytes[i] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return false;
        return true;
    }

    private SourceProblem TooLarge(string rel, long length) =>
        new(rel, SourceProblemReasons.TooLarge,
            $"file is {(length > MaxFileBytes + 1 ? $"{length} bytes" : "larger than the limit")}, over the limit of {MaxFileBytes} bytes per manifest file (Agent:MaxManifestFileBytes)");

    /// <summary>Reads at most <paramref name="limit"/> bytes: a huge file never reaches memory.</summary>
    private static byte[] ReadAtMost(FileStream stream, long limit)
    {
        var buffer = new byte[(int)Math.Min(limit, Math.Max(1, stream.CanSeek ? stream.Length + 1 : 64 * 1024))];
        var total = 0;
        while (total < limit)
        {
            if (total == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(limit, buffer.Length * 2L));
            var read = stream.Read(buffer, total, buffer.Length - total);
            if (read == 0) break;
            total += read;
        }
        return buffer[..total];
    }

    public string? ReadText(string absolutePath) => ReadTextOrWhy(absolutePath).Text;

    public string? Unreadable(string absolutePath) => ReadTextOrWhy(absolutePath).Why;

    /// <summary>The text of a file, or why a file that is there cannot be read; neither when it is missing or confined.</summary>
    private (string? Text, string? Why) ReadTextOrWhy(string absolutePath)
    {
        if (Confinement(absolutePath) is not null || !File.Exists(absolutePath) && !Directory.Exists(absolutePath)) return (null, null);
        try
        {
            using var stream = RegularFile.OpenRead(absolutePath);
            if (SecretFile(stream) is { } secret) return (null, secret);
            // An env, include, extends or Dockerfile over the manifest limit is refused, not read: a 200 MB include stalled
            // every later read (probe-15f F13, F2). What is read is at most the limit and one byte, whatever the size says.
            if (stream.Length > MaxFileBytes) return (null, OverLimit(stream.Length));
            var bytes = ReadAtMost(stream, MaxFileBytes + 1);
            if (bytes.Length > MaxFileBytes) return (null, OverLimit(bytes.Length));
            if (Array.IndexOf(bytes, (byte)0) is var nul and >= 0)
                return (null, $"is not a text file: it holds a NUL byte at offset {nul}");
            return (new StreamReader(new MemoryStream(bytes)).ReadToEnd(), null);
        }
        catch (SecretFileException e)
        {
            return (null, e.Message); // a FIFO, socket, device or folder is no file to read (and opening a FIFO would block the reader)
        }
        catch (FileNotFoundException)
        {
            return (null, null);
        }
        catch (UnauthorizedAccessException)
        {
            return (null, "cannot be read: permission denied");
        }
        catch (IOException e)
        {
            return (null, $"cannot be read ({e.Message})");
        }
    }

    public string? OverSizeLimit(string absolutePath)
    {
        if (Confinement(absolutePath) is not null) return null;
        try
        {
            var info = new FileInfo(absolutePath);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target) info = target;
            return info.Exists && info.Length > MaxFileBytes ? OverLimit(info.Length) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // the read that follows says why it cannot be read
        }
    }

    private string OverLimit(long length) =>
        $"is {(length > MaxFileBytes + 1 ? $"{length} bytes" : "larger than the limit")}, over the limit of {MaxFileBytes} bytes per file the agent reads (Agent:MaxManifestFileBytes): not read";

    /// <summary>Why a file is no regular file ("is a FIFO (named pipe), not a regular file"), or null: stat cannot tell.</summary>
    private static string? NotRegular(string path)
    {
        try
        {
            using var _ = RegularFile.OpenRead(path);
            return null;
        }
        catch (SecretFileException e)
        {
            return e.Message;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public bool Exists(string absolutePath) => Confinement(absolutePath) is null && (File.Exists(absolutePath) || Directory.Exists(absolutePath));

    public string? Digest(string absolutePath) => Digest(absolutePath, null);

    /// <param name="skip">Entries (paths relative to the folder) left out.</param>
    private string? Digest(string absolutePath, Func<string, bool>? skip)
    {
        if (Confinement(absolutePath) is not null) return null;
        if (File.Exists(absolutePath)) return DigestFile(absolutePath);
        if (!Directory.Exists(absolutePath)) return null;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        foreach (var entry in BoundEntries(absolutePath))
        {
            if (skip?.Invoke(Path.GetRelativePath(absolutePath, entry.FullName)) == true) continue;
            // A link is bound as a link (the container resolves it, inside the container): its target string is what the
            // bind holds, never the content of what it points at on the host (probe-13c C3: a link to a file outside the
            // folder recreated the container at every change of that file).
            var content = entry.LinkTarget is { } target ? "link:" + target : DigestFile(entry.FullName);
            total += entry.LinkTarget is null ? ((FileInfo)entry).Length : 0;
            if (total > MaxDigestBytes) break; // a huge data folder is not config: hash what fits
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(absolutePath, entry.FullName) + "\0" + content + "\n"));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    /// <summary>The files and symbolic links under a folder, links never followed, in ordinal order of their paths.</summary>
    private static IEnumerable<FileSystemInfo> BoundEntries(string folder)
    {
        var entries = new List<FileSystemInfo>();
        void Walk(DirectoryInfo at)
        {
            foreach (var entry in at.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false }))
                if (entry.LinkTarget is not null || entry is FileInfo) entries.Add(entry);
                else if (entry is DirectoryInfo sub) Walk(sub);
        }
        Walk(new DirectoryInfo(folder));
        return entries.OrderBy(e => e.FullName, StringComparer.Ordinal);
    }

    private static string DigestFile(string path)
    {
        try
        {
            using var stream = RegularFile.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream))[..16];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unreadable"; // a socket, a device or a file we may not read: not config the hash can follow
        }
    }

    public ContextDigest DigestBuildContext(string folder, string dockerfile, string? inlineDockerfile, long maxBytes)
    {
        if (!Directory.Exists(folder)) return new(null, $"build context {folder} is not a folder");
        try
        {
            return new(BuildContext.Hash(folder, dockerfile, inlineDockerfile, maxBytes), null);
        }
        catch (BuildContextTooLargeException e)
        {
            return new(null, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new(null, $"build context {folder} cannot be read: {e.Message}");
        }
    }

    /// <summary><see cref="Resolve"/>, and a path reaching the manifests folder through a bind-mount alias named as it lies
    /// there (<see cref="MountAliases"/>).</summary>
    public string ResolveLinks(string absolutePath) => MountAliases.Canonical(Resolve(absolutePath), Resolve(Root));

    /// <summary>The path with every symlink on the host resolved as the kernel does (a link's target first, then the
    /// <c>..</c> after it: with <c>up -> ..</c>, <c>up/..</c> is above the folder); a missing tail is kept as written.</summary>
    public static string Resolve(string absolutePath) => Follow(absolutePath, null);

    /// <summary>Every place the kernel passes through to reach <paramref name="absolutePath"/>: each component where it
    /// lies (a symbolic link where the link itself is, its parent resolved), each hop of each link, and the path reached.
    /// A path is only as safe as all of them: whoever may write one of those folders can re-point the path.</summary>
    public static IReadOnlyList<string> Locations(string absolutePath)
    {
        var visited = new List<string>();
        visited.Add(Follow(absolutePath, visited));
        return visited;
    }

    private static string Follow(string absolutePath, List<string>? visited)
    {
        var pending = new List<string>(Parts(absolutePath));
        var resolved = "/";
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending[0];
            pending.RemoveAt(0);
            if (part is "" or ".") continue;
            if (part == "..")
            {
                resolved = Path.GetDirectoryName(resolved) ?? "/";
                continue;
            }
            var next = Path.Combine(resolved, part);
            visited?.Add(next);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is { } target && hops++ < 40)
            {
                pending.InsertRange(0, Parts(target));
                if (target.StartsWith('/')) resolved = "/";
                continue;
            }
            resolved = next;
        }
        return HostPath.Normalize(resolved);

        static string[] Parts(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);
    }
}
