using System.Formats.Tar;
using Agent.Core.Model;

namespace Agent.Sources;

/// <summary>The limits of one fetch: the bare cache and a checked-out tree may not grow past <see cref="MaxBytes"/>.</summary>
public sealed record GitLimits(long MaxBytes)
{
    public static readonly GitLimits Default = new(256L * 1024 * 1024);
}

/// <summary>
/// Fetches the commit a GitRepository follows into its shallow bare cache, checks a signature when asked, and checks
/// the commit's tree out into a new staging folder (git archive into tar extraction, with the size limit).
/// </summary>
public sealed class GitFetcher(GitCli git, GitCheckouts checkouts, GitLimits limits, GitLocalSlots? localSlots = null)
{
    private readonly GitLocalSlots slots = localSlots ?? new GitLocalSlots();

    private const int MaxTags = 100_000;

    /// <summary>The cache's only ref: what was fetched last (the objects it does not reach are removed).</summary>
    public const string FetchedRef = "refs/agent/fetched";

    /// <summary>Fetches the ref (depth 1) and returns the commit it names now, and for a semver range the tag it picked.</summary>
    public async Task<(string Commit, string? Tag)> FetchAsync(GitRepository repo, CancellationToken ct)
    {
        var spec = repo.Spec;
        string? tag = null;
        var target = spec.Ref;
        if (spec.Ref.Semver is { } semver)
        {
            tag = await HighestTagAsync(repo, semver, ct);
            target = spec.Ref.Resolved(tag);
        }
        var cache = checkouts.Cache(repo.Metadata.Name);
        string commit;
        try
        {
            commit = await FetchIntoAsync(repo, cache, target, ct);
        }
        catch (FreshCacheNeeded)
        {
            // The disk was full, or compacting failed: without the old objects the revision alone may fit.
            Directory.Delete(cache, recursive: true);
            try
            {
                commit = await FetchIntoAsync(repo, cache, target, ct);
            }
            catch (FreshCacheNeeded again)
            {
                Directory.Delete(cache, recursive: true);
                if (again.DiskFull)
                    throw StateDirFull($"fetching {target.FetchTarget} alone into an empty cache ran out of space with {Megabytes(FreeBytes(cache))} free");
                throw again.Failure;
            }
        }
        if (FolderBytes(cache) > limits.MaxBytes)
        {
            Directory.Delete(cache, recursive: true);
            throw new GitSyncException("SizeLimitExceeded", $"the repository is larger than {limits.MaxBytes} bytes (Agent:Git:MaxBytes); nothing is applied from it");
        }
        return (commit, tag);
    }

    private async Task<string> FetchIntoAsync(GitRepository repo, string cache, GitRef target, CancellationToken ct)
    {
        var spec = repo.Spec;
        // A cache fetched into empty holds only this revision: compacting it has nothing to remove and would write the
        // revision a second time (on a small state dir, the write that fails).
        var fresh = !HoldsObjects(cache);
        if (!Directory.Exists(Path.Combine(cache, "objects")))
        {
            State.StateFile.CreateDirectory(cache);
            Check(await git.RunAsync(["init", "--bare", "-q", cache], null, spec.Timeout, ct), "CacheFailed", "cannot make the cache repository");
        }
        RemoveFetchLeftovers(cache);
        var fetch = await git.RunAsync(["-C", cache, "fetch", "--depth=1", "--no-tags", "--no-recurse-submodules", "--quiet", spec.Url, target.FetchTarget],
            spec.SecretRef, spec.Timeout, ct);
        if (!fetch.Succeeded)
        {
            RemoveFetchLeftovers(cache);
            var failure = Failure(fetch, "FetchFailed", $"fetching {target.FetchTarget} from {Core.Git.GitUrls.Redact(spec.Url)} failed");
            if (IsDiskFull(fetch))
                throw fresh ? StateDirFull($"fetching {target.FetchTarget} into an empty cache ran out of space with {Megabytes(FreeBytes(cache))} free") : new FreshCacheNeeded(failure, DiskFull: true);
            throw failure;
        }
        var head = await git.RunAsync(["-C", cache, "rev-parse", "--verify", "--end-of-options", "FETCH_HEAD^{commit}"], null, spec.Timeout, ct);
        Check(head, "FetchFailed", "the fetched ref names no commit");
        var commit = head.Output.Trim();
        using (await slots.EnterAsync(ct)) await CompactAsync(repo, cache, commit, compact: !fresh, ct);
        return commit;
    }

    /// <summary>
    /// Keeps the cache at about one revision: the fetched commit is its only ref, and when the fetch brought objects
    /// (loose ones, or a pack beside the one kept) all the others go (repack -a -d, prune). Else every object ever fetched
    /// stayed: a big file removed from git kept filling the state dir and counted against Agent:Git:MaxBytes.
    /// </summary>
    private async Task CompactAsync(GitRepository repo, string cache, string commit, bool compact, CancellationToken ct)
    {
        var timeout = repo.Spec.Timeout;
        var result = await git.RunAsync(["-C", cache, "update-ref", "--no-deref", FetchedRef, commit], null, timeout, ct);
        if (result.Succeeded && !(compact && NeedsCompacting(cache))) return;
        if (result.Succeeded) result = await git.RunAsync(["-C", cache, "-c", "repack.writeBitmaps=false", "repack", "-a", "-d", "-q"], null, timeout, ct);
        if (result.Succeeded) result = await git.RunAsync(["-C", cache, "prune", "--expire=now"], null, timeout, ct);
        if (!result.Succeeded) throw new FreshCacheNeeded(Failure(result, "CacheFailed", "compacting the cache failed; it is fetched anew at the next sync"), IsDiskFull(result));
    }

    /// <summary>Loose objects, or more than one pack: what a fetch that brought something leaves.</summary>
    public static bool NeedsCompacting(string cache)
    {
        var objects = Path.Combine(cache, "objects");
        if (!Directory.Exists(objects)) return false;
        var loose = Directory.EnumerateDirectories(objects, "??").Any(d => Directory.EnumerateFiles(d).Any());
        var packs = Directory.Exists(Path.Combine(objects, "pack")) ? Directory.EnumerateFiles(Path.Combine(objects, "pack"), "*.pack").Count() : 0;
        return loose || packs > 1;
    }

    private static bool HoldsObjects(string cache) => Directory.Exists(Path.Combine(cache, "objects")) && FolderBytes(Path.Combine(cache, "objects")) > 0;

    private static bool IsDiskFull(GitResult result) => IsDiskFull(result.Error);

    // git says "Out of diskspace" when it cannot write a pack, "No space left on device" elsewhere.
    private static bool IsDiskFull(string error) =>
        error.Contains("No space left on device", StringComparison.OrdinalIgnoreCase) || error.Contains("Disk quota exceeded", StringComparison.OrdinalIgnoreCase)
        || error.Contains("Out of diskspace", StringComparison.OrdinalIgnoreCase);

    /// <summary>The cache is dropped and fetched anew, once; <see cref="Failure"/> is what a second time says.</summary>
    private sealed class FreshCacheNeeded(GitSyncException failure, bool DiskFull) : Exception(failure.Message)
    {
        public GitSyncException Failure { get; } = failure;
        public bool DiskFull { get; } = DiskFull;
    }

    public const string StateDirFullReason = "StateDirFull";

    private static GitSyncException StateDirFull(string what) =>
        new(StateDirFullReason, $"the state dir is too small for this revision: {what}; nothing was changed. Give the state dir more space: " +
                                "the fetch is tried again once it has more free, at a sync request or webhook, or after an hour");

    /// <summary>Free bytes of the file system that holds <paramref name="path"/> (or its nearest existing parent).</summary>
    public static long FreeBytes(string path)
    {
        var at = path;
        while (!Directory.Exists(at) && Path.GetDirectoryName(at) is { } parent) at = parent;
        try
        {
            return new DriveInfo(at).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return long.MaxValue; // unknown: never the reason to hold a fetch back
        }
    }

    private static string Megabytes(long bytes) => $"{bytes / 1048576.0:0.0} MB";

    /// <summary>What git ls-tree says of a commit's tree (sizes from the objects, nothing written): the bytes of its files,
    /// its submodules, and the files small enough to be Git LFS pointers.</summary>
    private sealed record TreeListing(long Bytes, List<Core.Git.GitUnfetched> Submodules, List<string> SmallFiles);

    private async Task<TreeListing> ListTreeAsync(GitRepository repo, string cache, string commit, CancellationToken ct)
    {
        var listing = new TreeListing(0, [], []);
        long total = 0;
        var list = await git.RunAsync(["-C", cache, "ls-tree", "-r", "-l", "-z", "--full-tree", "--end-of-options", commit], null, repo.Spec.Timeout, ct, async (stream, token) =>
        {
            using var reader = new StreamReader(stream);
            var entry = new System.Text.StringBuilder();
            var buffer = new char[8192];
            int read;
            while ((read = await reader.ReadAsync(buffer, token)) > 0)
                for (var i = 0; i < read; i++)
                {
                    if (buffer[i] != '\0')
                    {
                        entry.Append(buffer[i]);
                        continue;
                    }
                    // "MODE TYPE OBJECT SIZE\tPATH": SIZE is "-" for a submodule (type commit).
                    var line = entry.ToString();
                    entry.Clear();
                    if (line.Split('\t', 2) is not [var head, var path]) continue;
                    var fields = head.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (fields is [_, "commit", var submodule, _]) listing.Submodules.Add(Core.Git.GitUnfetched.Submodule(path, submodule));
                    else if (fields is [_, "blob", _, var size] && long.TryParse(size, out var bytes))
                    {
                        total += bytes;
                        if (bytes <= Core.Git.GitUnfetched.LfsPointerMaxBytes) listing.SmallFiles.Add(path);
                    }
                }
        });
        return list.Succeeded ? listing with { Bytes = total } : listing;
    }

    /// <summary>The small files of a checked-out tree that hold a Git LFS pointer.</summary>
    private static IEnumerable<Core.Git.GitUnfetched> LfsPointers(string staging, IEnumerable<string> smallFiles)
    {
        var head = new byte[64];
        foreach (var path in smallFiles)
        {
            var file = Path.Combine(staging, path);
            if (new FileInfo(file) is not { Exists: true, LinkTarget: null }) continue; // a link left out of the checkout
            using var stream = File.OpenRead(file);
            var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (Core.Git.GitUnfetched.IsLfsPointer(head.AsSpan(0, read))) yield return Core.Git.GitUnfetched.LfsPointer(path);
        }
    }

    /// <summary>
    /// Removes what a fetch that failed or was killed leaves in the cache (git's tmp_obj_/tmp_pack_/tmp_idx_ files and
    /// incoming-* quarantine folders): on a full disk they kept the space, so every later fetch failed too, for good.
    /// One fetch per repository runs at a time, so none of them belongs to a running fetch.
    /// </summary>
    public static void RemoveFetchLeftovers(string cache)
    {
        var objects = Path.Combine(cache, "objects");
        if (!Directory.Exists(objects)) return;
        foreach (var folder in Directory.EnumerateDirectories(objects, "incoming-*"))
            Directory.Delete(folder, recursive: true);
        foreach (var file in Directory.EnumerateFiles(objects, "tmp_*", SearchOption.AllDirectories))
            if (Path.GetFileName(file) is var name && (name.StartsWith("tmp_obj_", StringComparison.Ordinal)
                || name.StartsWith("tmp_pack_", StringComparison.Ordinal) || name.StartsWith("tmp_idx_", StringComparison.Ordinal)))
                File.Delete(file);
    }

    /// <summary>The highest tag of the remote in the range (git ls-remote --tags: names only, nothing fetched).</summary>
    private async Task<string> HighestTagAsync(GitRepository repo, string semver, CancellationToken ct)
    {
        var spec = repo.Spec;
        var range = Core.Git.SemverRange.Parse(semver, out var error) ?? throw new GitSyncException("InvalidRef", $"spec.ref.semver: {error}");
        var tags = new List<string>();
        var list = await git.RunAsync(["ls-remote", "--tags", "--refs", "--quiet", spec.Url], spec.SecretRef, spec.Timeout, ct, async (stream, token) =>
        {
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(token) is { } line)
                if (tags.Count < MaxTags && line.Split('\t') is [_, var name] && name.StartsWith("refs/tags/", StringComparison.Ordinal))
                    tags.Add(name["refs/tags/".Length..]);
        });
        Check(list, "FetchFailed", $"listing the tags of {Core.Git.GitUrls.Redact(spec.Url)} failed");
        return range.Highest(tags)
               ?? throw new GitSyncException("NoMatchingTag", $"no tag of {Core.Git.GitUrls.Redact(spec.Url)} is a version in the range \"{semver}\" ({tags.Count} tag(s) listed)");
    }

    /// <summary>Refuses a commit that is not signed by one of the allowed SSH keys (git verify-commit with gpg.format=ssh).</summary>
    public async Task VerifyAsync(GitRepository repo, string commit, CancellationToken ct)
    {
        if (repo.Spec.AllowedSignersFile is not { } signers) return;
        git.Allowed(signers, "verify.allowedSignersFile", reason: "VerificationFailed");
        try
        {
            Agent.Engine.SecretFileReader.Check(signers);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new GitSyncException("VerificationFailed", $"spec.verify.allowedSignersFile {signers} does not exist; no commit is applied until it does");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var why = e is Agent.Engine.SecretFileException ? e.Message : "cannot be read by the agent";
            throw new GitSyncException("VerificationFailed", $"spec.verify.allowedSignersFile {signers} {why}; no commit is applied until it can be read");
        }
        var cache = checkouts.Cache(repo.Metadata.Name);
        var result = await git.RunAsync(["-C", cache, "-c", "gpg.format=ssh", "-c", $"gpg.ssh.allowedSignersFile={signers}", "verify-commit", "--end-of-options", commit],
            null, repo.Spec.Timeout, ct);
        if (!result.Succeeded)
        {
            var why = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no signature";
            throw new GitSyncException("VerificationFailed", $"commit {commit} is not signed by a key in {signers} ({why}); it is not applied");
        }
    }

    /// <summary>Writes the commit's tree into a new staging folder and returns it, with the links left out of it and the
    /// submodules and Git LFS pointers it holds (not fetched).</summary>
    public async Task<(string Staging, IReadOnlyList<Core.Git.GitLink> SkippedLinks, IReadOnlyList<Core.Git.GitUnfetched> Unfetched)> CheckoutAsync(
        GitRepository repo, string commit, CancellationToken ct)
    {
        var cache = checkouts.Cache(repo.Metadata.Name);
        // Judged before anything is written: a tree that cannot fit is said once with its size, not found by filling the disk.
        var free = FreeBytes(cache);
        var tree = await ListTreeAsync(repo, cache, commit, ct);
        if (tree.Bytes >= free)
            throw StateDirFull($"the tree of {commit} needs {Megabytes(tree.Bytes)} and the state dir has {Megabytes(free)} free");
        var staging = checkouts.NewStaging(repo.Metadata.Name);
        IReadOnlyList<Core.Git.GitLink> skipped = [];
        try
        {
            var result = await git.RunAsync(["-C", cache, "archive", "--format=tar", "--end-of-options", commit], null, repo.Spec.Timeout, ct,
                async (stream, token) =>
                {
                    await using var limited = new LimitedStream(stream, limits.MaxBytes);
                    skipped = await GitTreeExtraction.ExtractAsync(limited, staging, token);
                });
            Check(result, "CheckoutFailed", $"cannot check out {commit}");
            return (staging, skipped, [.. tree.Submodules, .. LfsPointers(staging, tree.SmallFiles)]);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Directory.Delete(staging, recursive: true);
            if (e is GitSyncException) throw;
            if (e is SizeLimitException)
                throw new GitSyncException("SizeLimitExceeded", $"the tree of {commit} is larger than {limits.MaxBytes} bytes (Agent:Git:MaxBytes); it is not applied");
            if (IsDiskFull(e.Message))
                throw StateDirFull($"checking out {commit} ran out of space with {Megabytes(FreeBytes(cache))} free");
            // Never the staging folder's name: errors name repository paths.
            throw new GitSyncException("CheckoutFailed", $"cannot check out {commit}: {e.Message.Replace(staging, GitDocuments.Prefix(repo.Metadata.Name).TrimEnd('/'), StringComparison.Ordinal)}");
        }
    }

    private static void Check(GitResult result, string reason, string what)
    {
        if (!result.Succeeded) throw Failure(result, reason, what);
    }

    private static GitSyncException Failure(GitResult result, string reason, string what)
    {
        // git's own advice lines ("Please make sure you have the correct access rights...") say less than what ssh printed.
        var detail = string.Join(" ", result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("Please make sure", StringComparison.Ordinal) && !l.StartsWith("and the repository exists", StringComparison.Ordinal))
            .TakeLast(3));
        return new GitSyncException(reason, detail.Length == 0 ? what : $"{what}: {detail}");
    }

    private static long FolderBytes(string folder) =>
        new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    private sealed class SizeLimitException() : IOException("size limit exceeded");

    /// <summary>Reads at most a number of bytes, then fails: a huge tree never fills the disk.</summary>
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private long total;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => total; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => Count(await inner.ReadAsync(buffer, ct));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            total += read;
            if (total > limit) throw new SizeLimitException();
            return read;
        }
    }
}
