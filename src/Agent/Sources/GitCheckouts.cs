using Agent.Hosting;
using Agent.State;
using Microsoft.Extensions.Options;

namespace Agent.Sources;

/// <summary>One revision of a repository, checked out: its commit and the folder its tree is read from (the
/// <c>current</c> link for the revision in use, the staging folder for a candidate).</summary>
public sealed record GitCheckout(string Repository, string Commit, string Folder);

/// <summary>
/// The checkouts of GitRepositories in the state dir, git-sync style: <c>git/NAME/COMMIT/</c> holds one revision's tree,
/// <c>git/NAME/current</c> is a symlink to the revision in use, switched with one rename(2), so a reader sees either
/// the old revision or the new one, never a mix. <c>git/NAME/cache.git</c> is the shallow bare repository fetched into.
/// </summary>
public sealed class GitCheckouts(IOptions<AgentOptions> options)
{
    public const string CurrentLink = "current";
    public const string CacheFolder = "cache.git";

    public string Root { get; } = Path.Combine(options.Value.StateDir, "git");

    public string Folder(string repository) => Path.Combine(Root, repository);

    /// <summary>The revision in use, or null when there is none (never fetched, or the state dir lost it).</summary>
    public GitCheckout? Current(string repository)
    {
        var link = new FileInfo(Path.Combine(Folder(repository), CurrentLink));
        if (link.LinkTarget is not { } target) return null;
        // Read through the link: paths stay the same from one revision to the next (a compose project's working dir,
        // a relative bind), so a new commit changes only what changed in it.
        return Directory.Exists(Path.Combine(Folder(repository), target)) ? new GitCheckout(repository, Path.GetFileName(target), link.FullName) : null;
    }

    /// <summary>Changes whenever any repository switches revision: part of the desired state's digest.</summary>
    public string Fingerprint()
    {
        if (!Directory.Exists(Root)) return "";
        return string.Join(";", Directory.EnumerateDirectories(Root).Order(StringComparer.Ordinal)
            .Select(d => $"{Path.GetFileName(d)}={new FileInfo(Path.Combine(d, CurrentLink)).LinkTarget}"));
    }

    /// <summary>A new, empty folder to check a revision out into; <see cref="Publish"/> gives it its final name.</summary>
    public string NewStaging(string repository)
    {
        var staging = Path.Combine(Folder(repository), $".staging-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        return staging;
    }

    /// <summary>Names a complete staging folder after its commit and points <c>current</c> at it atomically.</summary>
    public GitCheckout Publish(string repository, string staging, string commit)
    {
        var folder = Folder(repository);
        var final = Path.Combine(folder, commit);
        if (Directory.Exists(final)) Directory.Delete(staging, recursive: true); // the same commit again (a force-push back)
        else Directory.Move(staging, final);
        var temp = Path.Combine(folder, $".current-{Guid.NewGuid():N}");
        File.CreateSymbolicLink(temp, commit);
        LibC.Rename(temp, Path.Combine(folder, CurrentLink));
        LibC.FsyncDirectory(folder);
        return new GitCheckout(repository, commit, Path.Combine(folder, CurrentLink));
    }

    /// <summary>Removes every checkout but the current one and the one before it (read until the next reload), and
    /// staging folders left by an interrupted fetch.</summary>
    public void Clean(string repository, string? previous)
    {
        var folder = Folder(repository);
        if (!Directory.Exists(folder)) return;
        var current = Current(repository)?.Commit;
        foreach (var dir in Directory.EnumerateDirectories(folder))
        {
            var name = Path.GetFileName(dir);
            if (name is CacheFolder or CurrentLink || name == current || name == previous || new FileInfo(dir).LinkTarget is not null) continue;
            TryDelete(dir);
        }
    }

    /// <summary>Removes a repository's checkouts and cache: it is no longer in the manifests.</summary>
    public void Remove(string repository) => TryDelete(Folder(repository));

    /// <summary>Repositories that have a folder in the state dir.</summary>
    public IEnumerable<string> Known() =>
        Directory.Exists(Root) ? Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>() : [];

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
