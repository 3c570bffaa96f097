using Agent.Hosting;
using Agent.State;
using Microsoft.Extensions.Options;

namespace Agent.Sources;

/// <summary>One revision of a repository, checked out: its commit and the folder its tree is read from (the
/// <c>current</c> link for the revision in use, the staging folder for a candidate).</summary>
public sealed record GitCheckout(string Repository, string Commit, string Folder)
{
    /// <summary>The tag a semver range picked for this commit (revisions are reported under it); null otherwise.</summary>
    public string? Tag { get; init; }

    /// <summary>The symbolic links of the tree that leave the repository: not checked out (see <see cref="GitTreeExtraction"/>).</summary>
    public IReadOnlyList<Core.Git.GitLink> SkippedLinks { get; init; } = [];

    /// <summary>Submodules and Git LFS pointers of a candidate's tree: a file of the repository at or under one is an
    /// error where it is referenced (a bind, an env file), never silently an empty folder or pointer text.</summary>
    public IReadOnlyList<Core.Git.GitUnfetched> Unfetched { get; init; } = [];
}

/// <summary>
/// The checkouts of GitRepositories in the state dir, git-sync style: <c>git/NAME/COMMIT/</c> holds one revision's tree,
/// <c>git/NAME/current</c> is a symlink to the revision in use, switched with one rename(2), so a reader sees either
/// the old revision or the new one, never a mix. <c>git/NAME/cache.git</c> is the shallow bare repository fetched into.
/// </summary>
public sealed class GitCheckouts(IOptions<AgentOptions> options, ILogger<GitCheckouts>? logger = null)
{
    public const string CurrentLink = "current";
    public const string PreviousLink = "previous";
    public const string CacheFolder = "cache.git";
    private const string TagSuffix = ".tag";
    private const string LinksSuffix = ".links";
    private const string TreeSuffix = ".tree";
    private static readonly string[] Sidecars = [TagSuffix, LinksSuffix, TreeSuffix];

    public string Root { get; } = Path.Combine(options.Value.StateDir, "git");

    public string Folder(string repository) => Path.Combine(Root, repository);

    /// <summary>The repository's folder, with it and the git root never a symbolic link (unlinked when one was put there:
    /// probe-29 F5, a fetch wrote into the link's target and deleted folders there as old checkouts).</summary>
    private string RealFolder(string repository)
    {
        State.StateLinks.EnsureReal(logger, Root, Folder(repository));
        return Folder(repository);
    }

    /// <summary>The repository's shallow bare cache (<c>NAME/cache.git</c>) that git fetches into: no level of it a link.</summary>
    public string Cache(string repository)
    {
        var cache = Path.Combine(RealFolder(repository), CacheFolder);
        State.StateLinks.EnsureReal(logger, cache);
        return cache;
    }

    /// <summary>Whether the git root and the repository's folder are real folders (links are unlinked on the way).</summary>
    private bool Real(string? repository = null) =>
        repository is null ? State.StateLinks.Unlink(logger, Root) : State.StateLinks.Unlink(logger, Root, Folder(repository));

    /// <summary>The revision in use, or null when there is none (never fetched, the state dir lost it, or <c>current</c>
    /// does not point at a checkout of this store: see <see cref="CommitOf"/>).</summary>
    public GitCheckout? Current(string repository)
    {
        if (!Real(repository) || CommitOf(repository, CurrentLink) is not { } commit) return null;
        // Read through the link: paths stay the same from one revision to the next (a compose project's working dir,
        // a relative bind), so a new commit changes only what changed in it.
        var link = Path.Combine(Folder(repository), CurrentLink);
        return new GitCheckout(repository, commit, link) { Tag = TagOf(repository, commit), SkippedLinks = SkippedLinksOf(repository, commit) };
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> misdirected = new(StringComparer.Ordinal);

    /// <summary>Why the repository's <c>current</c> link is not followed (see <see cref="CommitOf"/>), or null.</summary>
    public string? CurrentProblem(string repository) =>
        misdirected.TryGetValue(Path.Combine(Folder(repository), CurrentLink), out var problem) ? $"{CurrentLink} in the state dir {problem}" : null;

    /// <summary>The commit a link of the repository's folder (<c>current</c>, <c>previous</c>) names, only when it names a
    /// checkout of this store: a folder beside the link, named (not a path), and no link itself (probe-30 F17: <c>current</c> re-pointed at a
    /// folder outside the state dir had the manifests there applied; F10: a commit's folder replaced by a link). Anything
    /// else is no revision (held, warned once): the next sync checks the commit out again and points the link at it.</summary>
    private string? CommitOf(string repository, string linkName)
    {
        var folder = Folder(repository);
        var link = Path.Combine(folder, linkName);
        if (new FileInfo(link).LinkTarget is not { } target) return null;
        var problem = target.Contains('/') || target.StartsWith('.') || target is CacheFolder or CurrentLink or PreviousLink
                ? $"points at {target}, which is not a checkout of the state dir"
            : new DirectoryInfo(Path.Combine(folder, target)) is { LinkTarget: { } elsewhere } ? $"names {target}, which is a symbolic link (to {elsewhere}), not a checkout"
            : !Directory.Exists(Path.Combine(folder, target)) ? null // the state dir lost it: nothing checked out, said elsewhere
            : "";
        if (problem == "")
        {
            misdirected.TryRemove(link, out _);
            return target;
        }
        if (problem is not null && (!misdirected.TryGetValue(link, out var said) || said != problem))
        {
            misdirected[link] = problem;
            logger?.LogWarning("GitRepository {Name}: {Link} in the state dir {Problem}: it is not followed, nothing is read through it; the objects the repository brought are kept as they are until the next sync checks the revision out again",
                repository, link, problem);
        }
        return null;
    }

    /// <summary>The links a checkout left out are written beside it (<c>COMMIT.links</c>) before <c>current</c> points at it.</summary>
    private IReadOnlyList<Core.Git.GitLink> SkippedLinksOf(string repository, string commit)
    {
        try
        {
            var file = Path.Combine(Folder(repository), commit + LinksSuffix);
            return File.Exists(file) ? Core.Git.GitLinks.Read(File.ReadAllText(file)) : [];
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>A semver range's pick is written beside the checkout (<c>COMMIT.tag</c>) before <c>current</c> points at it.</summary>
    private string? TagOf(string repository, string commit)
    {
        try
        {
            var file = Path.Combine(Folder(repository), commit + TagSuffix);
            return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Whether a checkout still holds the tree it was published with (names, kinds, sizes, modes, link targets,
    /// compared with <c>COMMIT.tree</c>, written at publish): a file missing from the state dir is a damaged checkout,
    /// never a file deleted in git. A checkout without the record (a candidate, or published by an older agent) is taken as is.</summary>
    public bool Intact(GitCheckout checkout)
    {
        try
        {
            var file = Path.Combine(Folder(checkout.Repository), checkout.Commit + TreeSuffix);
            return !File.Exists(file) || File.ReadAllText(file).Trim() == TreeDigest(checkout.Folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>SHA-256 over the sorted names, kinds, sizes and modes of a checkout's entries and its links' targets
    /// (contents are not read: a walk of the tree, cheap enough for every start and unchanged fetch).</summary>
    public static string TreeDigest(string root)
    {
        var lines = new List<string>();
        var options = new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = false };
        void Walk(DirectoryInfo folder)
        {
            foreach (var entry in folder.EnumerateFileSystemInfos("*", options))
            {
                var relative = Path.GetRelativePath(root, entry.FullName);
                if (entry.LinkTarget is { } link) lines.Add($"l {relative} {link}");
                else if (entry is DirectoryInfo dir)
                {
                    lines.Add($"d {relative}");
                    Walk(dir);
                }
                else lines.Add($"f {relative} {((FileInfo)entry).Length} {(int)entry.UnixFileMode}");
            }
        }
        Walk(new DirectoryInfo(root));
        lines.Sort(StringComparer.Ordinal);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines))));
    }

    /// <summary>Changes whenever any repository switches revision, or a revision is checked out again (a damaged checkout
    /// made anew under the same commit: probe-30 F10, its objects read InvalidManifest until the next resync): part of
    /// the desired state's digest.</summary>
    public string Fingerprint()
    {
        if (!Real() || !Directory.Exists(Root)) return "";
        return Interlocked.Read(ref published) + ";" + string.Join(";", Known().Order(StringComparer.Ordinal)
            .Select(n => $"{n}={new FileInfo(Path.Combine(Folder(n), CurrentLink)).LinkTarget}"));
    }

    private long published;

    /// <summary>A new, empty folder to check a revision out into; <see cref="Publish"/> gives it its final name.</summary>
    public string NewStaging(string repository)
    {
        var staging = Path.Combine(RealFolder(repository), $".staging-{Guid.NewGuid():N}");
        State.StateFile.CreateDirectory(staging);
        return staging;
    }

    /// <summary>Names a complete staging folder after its commit and points <c>current</c> at it atomically.</summary>
    public GitCheckout Publish(string repository, string staging, string commit, string? tag = null, IReadOnlyList<Core.Git.GitLink>? skippedLinks = null)
    {
        var folder = RealFolder(repository);
        WriteSidecar(Path.Combine(folder, commit + TagSuffix), tag);
        WriteSidecar(Path.Combine(folder, commit + LinksSuffix), skippedLinks is { Count: > 0 } ? Core.Git.GitLinks.Write(skippedLinks) : null);
        var final = Path.Combine(folder, commit);
        if (new DirectoryInfo(final).LinkTarget is not null) File.Delete(final); // a link put in its place: unlinked, never followed
        var tree = TreeDigest(staging);
        if (Directory.Exists(final) && TreeDigest(final) == tree) Directory.Delete(staging, recursive: true); // the same commit again (a force-push back)
        else if (Directory.Exists(final))
        {
            // The commit's folder was damaged (a file removed or changed in the state dir): the fresh tree replaces it.
            var damaged = Path.Combine(folder, $".damaged-{Guid.NewGuid():N}");
            Directory.Move(final, damaged);
            Directory.Move(staging, final);
            TryDelete(damaged);
        }
        else Directory.Move(staging, final);
        WriteSidecar(Path.Combine(folder, commit + TreeSuffix), tree);
        if (Current(repository)?.Commit is { } before && before != commit) Link(folder, PreviousLink, before);
        Link(folder, CurrentLink, commit);
        Interlocked.Increment(ref published);
        return new GitCheckout(repository, commit, Path.Combine(folder, CurrentLink)) { Tag = tag, SkippedLinks = skippedLinks ?? [] };
    }

    private static void WriteSidecar(string file, string? content)
    {
        if (content is not null) State.StateFile.Write(file, content);
        else if (File.Exists(file)) File.Delete(file);
    }

    /// <summary>Points a link at a commit's folder with one rename(2): a reader sees the old target or the new one.</summary>
    private static void Link(string folder, string link, string commit)
    {
        var temp = Path.Combine(folder, $".{link}-{Guid.NewGuid():N}");
        File.CreateSymbolicLink(temp, commit);
        LibC.Rename(temp, Path.Combine(folder, link));
        LibC.FsyncDirectory(folder);
    }

    /// <summary>The last good revision before the current one (kept to go back to by hand, and read until the next reload).</summary>
    public string? Previous(string repository) => CommitOf(repository, PreviousLink);

    /// <summary>Removes every checkout but the current one and the previous good one: refused revisions, older ones, and
    /// staging folders and half-made links left by an interrupted fetch.</summary>
    public void Clean(string repository)
    {
        var folder = Folder(repository);
        if (!Real(repository) || !Directory.Exists(folder)) return;
        var keep = new[] { Current(repository)?.Commit, Previous(repository) };
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
        {
            var name = entry.Name;
            if (name is CacheFolder or CurrentLink or PreviousLink || keep.Contains(name) || keep.Any(k => Sidecars.Any(s => name == k + s))) continue;
            if (entry.LinkTarget is not null) TryDeleteFile(entry.FullName);
            else if (entry is DirectoryInfo) TryDelete(entry.FullName);
            else if (Sidecars.Any(s => name.EndsWith(s, StringComparison.Ordinal))) TryDeleteFile(entry.FullName);
        }
    }

    /// <summary>After a crash (no git runs yet): removes staging folders and git's lock files in the cache, which a killed
    /// fetch leaves behind and which would make every later fetch fail.</summary>
    public void Recover(string repository)
    {
        Clean(repository);
        var cache = Path.Combine(Folder(repository), CacheFolder);
        if (!Real(repository) || !State.StateLinks.Unlink(logger, cache) || !Directory.Exists(cache)) return;
        foreach (var file in Directory.EnumerateFiles(cache, "*.lock", SearchOption.AllDirectories)) TryDeleteFile(file);
    }

    /// <summary>Removes a repository's checkouts and cache: it is no longer in the manifests.</summary>
    public void Remove(string repository)
    {
        if (Real(repository)) TryDelete(Folder(repository)); // a link in its place is only unlinked, its target never deleted
    }

    /// <summary>Repositories that have a folder in the state dir; the agent's own folders there (<c>.home</c>, git's
    /// HOME; anything starting with '.', which no object name can) are not repositories.</summary>
    public IEnumerable<string> Known() =>
        Real() && Directory.Exists(Root) ? Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith('.')) : [];

    private static void TryDeleteFile(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Tried again at the next sync.
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Tried again at the next sync.
        }
    }
}
