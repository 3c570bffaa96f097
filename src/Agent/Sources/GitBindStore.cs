using System.Security.Cryptography;
using System.Text;
using Agent.Hosting;
using Microsoft.Extensions.Options;

namespace Agent.Sources;

/// <summary>
/// What containers bind from a git repository (a relative bind in its manifests or compose files): a copy of that file
/// or folder, one per repository path and content, at <c>STATE/git/.binds/NAME/DIGEST/BASENAME</c>. Containers never
/// bind a checkout (cleaned two revisions later, or removed with its GitRepository), so cleaning checkouts cannot empty a
/// running container's bind; and the path changes only with the content, so a revision that leaves the folder as it was
/// recreates nothing. Two folders of the same content (two empty <c>data/</c> folders) are two copies: a writable bind
/// is never shared with another path's containers. A copy goes once neither the desired state nor any container of the
/// agent names it. A copy removed from the state dir while containers use it (a cleaner, an admin's rm -rf) is made
/// again from its checkout before a container that binds it is created or started (<see cref="Restore"/>); so is one whose
/// content was changed there, unless a container binds it writable (what it wrote is its data).
/// </summary>
public sealed class GitBindStore(IOptions<AgentOptions> options, ILogger<GitBindStore>? logger = null, GitCheckouts? checkouts = null)
{
    public string Root { get; } = Path.Combine(options.Value.StateDir, "git", ".binds");

    private string GitRoot { get; } = Path.Combine(options.Value.StateDir, "git");

    private readonly Lock sync = new();
    // Where each copy came from (the latest read that named it): a missing copy is made again from there while the
    // content there still has the copy's digest. Only in memory: at start every read makes missing copies anyway.
    private readonly Dictionary<string, (string Repository, string Source, string RepositoryPath)> origins = new(StringComparer.Ordinal);
    private string? resolvedRoot;

    /// <summary>The copy of <paramref name="source"/> (a file or folder in a checkout, at <paramref name="repositoryPath"/>
    /// in the repository; missing: an empty folder), made when the content is new. Symlinks inside are copied as links
    /// (the container resolves them, not the host).</summary>
    public string Materialize(string repository, string source, string repositoryPath, bool writable = false)
    {
        var name = CopyName(repository, repositoryPath);
        var digest = Digest(source, repositoryPath);
        var folder = Path.Combine(Root, repository, digest);
        var copy = Path.Combine(folder, name);
        if (!State.StateFile.MayWrite) return copy; // a command that only looks names the copy the agent would make
        State.StateLinks.EnsureReal(logger, GitRoot, Root, Path.Combine(Root, repository), folder);
        if (writable && Directory.Exists(folder) && !File.Exists(Path.Combine(folder, WritableFile)))
            File.WriteAllText(Path.Combine(folder, WritableFile), ""); // before its content is ever checked: what a container writes is not damage
        lock (sync) origins[Path.GetRelativePath(Root, copy)] = (repository, source, repositoryPath);
        if (new FileInfo(copy).LinkTarget is { } elsewhere)
        {
            // probe-30 F10: a link put in the copy's place sent the containers' bind outside the state dir.
            logger?.LogWarning("GitRepository {Repository}: the copy of {Path} that containers bind was a symbolic link (to {Target}): unlinked, never followed, and made again from the checkout",
                repository, repositoryPath, elsewhere);
            File.Delete(copy);
        }
        else if (Path.Exists(copy)) return copy;
        var temp = Path.Combine(Root, repository, $".tmp-{Guid.NewGuid():N}");
        State.StateFile.CreateDirectory(temp);
        try
        {
            var target = Path.Combine(temp, name);
            if (File.Exists(source)) File.Copy(source, target);
            else if (Directory.Exists(source)) CopyFolder(new DirectoryInfo(source), target);
            else Directory.CreateDirectory(target);
            File.WriteAllText(Path.Combine(temp, SourceFile), repositoryPath); // beside the copy, outside what containers bind
            if (writable) File.WriteAllText(Path.Combine(temp, WritableFile), "");
            try
            {
                if (!Directory.Exists(folder)) Directory.Move(temp, folder);
                else
                {
                    if (File.Exists(target)) File.Move(target, copy); // the copy alone was removed from its digest folder
                    else Directory.Move(target, copy);
                    if (writable && !File.Exists(Path.Combine(folder, WritableFile))) File.WriteAllText(Path.Combine(folder, WritableFile), "");
                }
            }
            catch (IOException) when (Path.Exists(copy))
            {
                // made by a read at the same time: same content
            }
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
        return copy;
    }

    /// <summary>Makes a copy again before a container binds it, when it is missing or its content is no longer what it was
    /// made from (a cleaner, an admin's edit in the state dir; probe-26 F3: containers ran on a damaged copy, their group
    /// Ready). <paramref name="path"/> is a bind source (as written, or with the state dir's symlinks resolved). Left alone:
    /// a path that is no copy of this store, an intact copy, a copy a container binds writable (what it wrote is its data),
    /// and one whose checkout no longer holds that content (a newer revision changed it: the container is recreated from
    /// the new copy anyway). A changed copy is repaired in place, so containers that run on it see the repair. Returns
    /// whether it made the copy again.</summary>
    public bool Restore(string path)
    {
        if (Relative(path) is not { } relative) return false;
        if (relative.Split('/') is not [var repositoryName, var digestName, var copyName]) return false;
        // A level of the store turned into a link (probe-28 F9: the repair wrote through it, deleting files outside the
        // state dir): the link is removed, never followed, and the copy made again below.
        if (!State.StateLinks.Unlink(logger, GitRoot, Root, Path.Combine(Root, repositoryName), Path.Combine(Root, repositoryName, digestName))) return false;
        (string Repository, string Source, string RepositoryPath) origin;
        bool known;
        lock (sync) known = origins.TryGetValue(relative, out origin);
        if (!known)
            if (OriginOnDisk(repositoryName, digestName, copyName) is { } found) origin = found;
            else return false;
        var link = new FileInfo(path).LinkTarget is not null; // never followed: a link put in its place is replaced, not written through
        var missing = !link && !Path.Exists(path);
        try
        {
            if (relative.Split('/') is not [_, var digest, _]) return false;
            var folder = Path.Combine(Root, Path.GetDirectoryName(relative)!);
            if (!missing && !link && (File.Exists(Path.Combine(folder, WritableFile)) || Digest(path, origin.RepositoryPath) == digest)) return false;
            if (Digest(origin.Source, origin.RepositoryPath) != digest) return false;
            if (!missing && (link || File.Exists(path) != File.Exists(origin.Source)))
            {
                if (Directory.Exists(path) && !link) Directory.Delete(path, recursive: true);
                else File.Delete(path);
                Materialize(origin.Repository, origin.Source, origin.RepositoryPath);
            }
            else if (missing) Materialize(origin.Repository, origin.Source, origin.RepositoryPath);
            else Repair(origin.Source, path);
            logger?.LogWarning("GitRepository {Repository}: the copy of {Path} that containers bind was {What} the state dir: made again from the checkout",
                origin.Repository, origin.RepositoryPath, missing ? "missing from" : "changed in");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger?.LogWarning("GitRepository {Repository}: the copy of {Path} that containers bind is {What} the state dir and cannot be made again: {Error}",
                origin.Repository, origin.RepositoryPath, missing ? "missing from" : "changed in", e.Message);
            return false;
        }
    }

    /// <summary>Where a copy came from when no read of this agent named it yet (after a restart whose first read failed, a
    /// damaged checkout: probe-30 F10, the containers' bind was left a link and they were removed): the repository path
    /// recorded beside it, in the repository's current checkout, when that checkout is intact. The content there must still
    /// have the copy's digest (checked by the caller).</summary>
    private (string Repository, string Source, string RepositoryPath)? OriginOnDisk(string repository, string digest, string copyName)
    {
        var sourceFile = new FileInfo(Path.Combine(Root, repository, digest, SourceFile));
        if (checkouts?.Current(repository) is not { } checkout || !checkouts.Intact(checkout) || sourceFile.LinkTarget is not null || !sourceFile.Exists) return null;
        var repositoryPath = File.ReadAllText(sourceFile.FullName);
        if (CopyName(repository, repositoryPath) != copyName) return null;
        var root = Path.GetFullPath(checkout.Folder);
        var source = Path.GetFullPath(Path.Combine(root, repositoryPath is "." or "" ? "." : repositoryPath));
        return source == root || source.StartsWith(root + "/", StringComparison.Ordinal) ? (repository, source, repositoryPath) : null;
    }

    private readonly HashSet<string> checkedSinceStart = new(StringComparer.Ordinal);

    /// <summary>Checks, once per agent process, each copy that <paramref name="inUse"/> names, and makes one that was changed
    /// in the state dir again (<see cref="Restore"/>): containers that run on it see the repair without a restart. Later
    /// changes are found at the next create or start of a container that binds the copy.</summary>
    public int CheckInUse(string repository, Func<string, bool> inUse)
    {
        var folder = Path.Combine(Root, repository);
        if (!State.StateLinks.Unlink(logger, GitRoot, Root, folder) || !Directory.Exists(folder)) return 0;
        var repaired = 0;
        foreach (var digestFolder in Directory.EnumerateDirectories(folder))
        {
            if (Path.GetFileName(digestFolder).StartsWith('.') || !inUse(digestFolder)) continue;
            lock (sync)
                if (!checkedSinceStart.Add(digestFolder)) continue;
            foreach (var copy in Directory.EnumerateFileSystemEntries(digestFolder).Where(c => !Path.GetFileName(c).StartsWith('.')))
                if (Restore(copy)) repaired++;
        }
        return repaired;
    }

    /// <summary>Rewrites <paramref name="copy"/> from <paramref name="source"/> in place (same file or folder, so a bind of
    /// it in a running container sees the new content).</summary>
    private static void Repair(string source, string copy)
    {
        if (File.Exists(copy))
        {
            using var from = File.OpenRead(source);
            using var to = new FileStream(copy, FileMode.Create, FileAccess.Write); // truncates the same inode
            from.CopyTo(to);
            return;
        }
        foreach (var entry in new DirectoryInfo(copy).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
            if (entry is DirectoryInfo { LinkTarget: null } dir) dir.Delete(recursive: true);
            else File.Delete(entry.FullName); // a file, or a link (unlinked, never followed)
        if (Directory.Exists(source)) CopyFolder(new DirectoryInfo(source), copy);
    }

    /// <summary>A bind source as a path under <see cref="Root"/> (REPOSITORY/DIGEST/NAME), or null when it is not one.</summary>
    private string? Relative(string path)
    {
        resolvedRoot ??= ManifestFolder.Resolve(Path.GetFullPath(Root)).TrimEnd('/'); // the engine is given bind sources so
        foreach (var root in new[] { Root, resolvedRoot })
            if (path.StartsWith(root + "/", StringComparison.Ordinal)) return path[(root.Length + 1)..];
        return null;
    }

    /// <summary>Where a copy no container binds any more, but which a container wrote (a writable bind), is kept:
    /// <c>STATE/git/.kept/NAME/DIGEST</c>, outside what is collected.</summary>
    public string KeptRoot { get; } = Path.Combine(options.Value.StateDir, "git", ".kept");

    // The repository path a copy was made from, beside it in its digest folder: its content can be checked against its digest.
    private const string SourceFile = ".source";

    // Beside a copy that a container binds writable (recorded before its content is ever checked): changes to it are what
    // containers wrote, never repaired.
    private const string WritableFile = ".writable";

    /// <summary>Removes a repository's copies that <paramref name="inUse"/> does not name (and half-made ones). A copy
    /// whose content is no longer what it was made from was written by a container that bound it writable: it is moved
    /// to <see cref="KeptRoot"/> with a warning, never deleted (probe-26 F7: a commit that changed a folder a container
    /// wrote into recreated the container on the new content and deleted what it had written).</summary>
    public int Collect(string repository, Func<string, bool> inUse, Action<string, string>? kept = null)
    {
        var folder = Path.Combine(Root, repository);
        if (!State.StateLinks.Unlink(logger, GitRoot, Root, folder) || !Directory.Exists(folder)) return 0; // a link is never followed to delete
        var removed = 0;
        foreach (var copy in Directory.EnumerateDirectories(folder))
        {
            if (new FileInfo(copy).LinkTarget is not null) continue; // made again, unlinked, by Restore when a container binds it
            var halfMade = Path.GetFileName(copy).StartsWith('.');
            if (halfMade ? Directory.GetLastWriteTimeUtc(copy) > DateTime.UtcNow.AddHours(-1) : inUse(copy)) continue; // a copy being made now stays
            try
            {
                if (!halfMade && Written(copy) is { } written)
                {
                    var keptAt = Path.Combine(KeptRoot, repository, Path.GetFileName(copy));
                    // probe-30 F9: `.kept` turned into a link moved what containers wrote outside the state dir.
                    State.StateLinks.EnsureReal(logger, GitRoot, KeptRoot, Path.GetDirectoryName(keptAt)!);
                    State.StateFile.CreateDirectory(Path.GetDirectoryName(keptAt)!);
                    if (Directory.Exists(keptAt)) keptAt += $"-{DateTime.UtcNow:yyyyMMddHHmmss}";
                    Directory.Move(copy, keptAt);
                    logger?.LogWarning("GitRepository {Repository}: {Message}", repository, KeptMessage(written, keptAt));
                    kept?.Invoke(written, keptAt);
                    continue;
                }
                Directory.Delete(copy, recursive: true);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // tried again at the next sync
            }
        }
        return removed;
    }

    /// <summary>What the user is told when a copy containers wrote into is kept (a log line and the repository's event).</summary>
    public static string KeptMessage(string repositoryPath, string kept) =>
        $"the copy of {repositoryPath} that containers wrote into (a writable bind) is no longer bound: kept at {kept}, not deleted; the containers " +
        "now bind the new revision's content. Keep data in a named volume, and delete the kept copy once its data is not needed";

    /// <summary>The repository path of a copy whose content differs from what it was made from (a container wrote into it),
    /// or null: unchanged, or made before the repository path was recorded beside it.</summary>
    private static string? Written(string digestFolder)
    {
        var sourceFile = Path.Combine(digestFolder, SourceFile);
        if (!File.Exists(sourceFile)) return null;
        var repositoryPath = File.ReadAllText(sourceFile);
        var repository = Path.GetFileName(Path.GetDirectoryName(digestFolder))!;
        var copy = Path.Combine(digestFolder, CopyName(repository, repositoryPath));
        var digest = Path.GetFileName(digestFolder);
        if (Digest(copy, repositoryPath) == digest) return null;
        // Made empty for a path missing from the repository, and still empty.
        var missing = Directory.Exists(copy) && !Directory.EnumerateFileSystemEntries(copy).Any()
                      && Digest(Path.Combine(digestFolder, $".missing-{Guid.NewGuid():N}"), repositoryPath) == digest;
        return missing ? null : repositoryPath;
    }

    /// <summary>The name a copy has in its digest folder: the bound file's or folder's own (the repository's for its root).</summary>
    private static string CopyName(string repository, string repositoryPath) =>
        repositoryPath is "." or "" ? repository : Path.GetFileName(repositoryPath.TrimEnd('/'));

    /// <summary>The repositories that have copies (also those no longer in the manifests, kept while containers use them).</summary>
    public IEnumerable<string> Repositories() =>
        State.StateLinks.Unlink(logger, GitRoot, Root) && Directory.Exists(Root) ? Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>() : [];

    /// <summary>SHA-256 over the repository path and the names, kinds, modes, link targets and contents of the tree (a
    /// file: its content).</summary>
    public static string Digest(string source, string repositoryPath)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text) => hash.AppendData(Encoding.UTF8.GetBytes(text + "\0"));
        Add($"path {repositoryPath}");
        void AddFile(string path)
        {
            using var stream = File.OpenRead(path);
            var buffer = new byte[81920];
            int read;
            while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer, 0, read);
        }
        if (File.Exists(source))
        {
            Add("file");
            AddFile(source);
        }
        else if (Directory.Exists(source))
        {
            Add("dir");
            void Walk(DirectoryInfo folder)
            {
                foreach (var entry in folder.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }).OrderBy(e => e.Name, StringComparer.Ordinal))
                {
                    var relative = Path.GetRelativePath(source, entry.FullName);
                    if (entry.LinkTarget is { } link) Add($"link {relative} {link}"); // never followed
                    else if (entry is DirectoryInfo dir)
                    {
                        Add($"dir {relative} {(int)entry.UnixFileMode}");
                        Walk(dir);
                    }
                    else
                    {
                        Add($"file {relative} {(int)entry.UnixFileMode}");
                        AddFile(entry.FullName);
                    }
                }
            }
            Walk(new DirectoryInfo(source));
        }
        else Add("missing");
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..32];
    }

    private static void CopyFolder(DirectoryInfo source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var entry in source.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            var to = Path.Combine(target, entry.Name);
            if (entry.LinkTarget is { } link) File.CreateSymbolicLink(to, link);
            else if (entry is DirectoryInfo dir) CopyFolder(dir, to);
            else File.Copy(entry.FullName, to);
        }
    }
}
