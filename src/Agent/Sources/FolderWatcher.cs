namespace Agent.Sources;

/// <summary>
/// Signals that the manifests folder may have changed. Watches the folder's real target (every folder in it, with
/// <see cref="TreeWatcher"/>) and its parent folder (for the link or folder itself being swapped, deleted or created
/// again), and re-resolves the target whenever asked: a folder that a symlink swap (git-sync: `ln -s rev2 tmp &amp;&amp;
/// mv -T tmp live`) or a re-creation replaced is followed. What no event reports (a filesystem mounted or unmounted) the
/// periodic resync finds.
/// </summary>
public sealed class FolderWatcher(ManifestFolder folder, ILogger logger, Func<IReadOnlyList<string>>? unread = null, TimeProvider? time = null) : IDisposable
{
    /// <summary>How long after a watcher error the tree is not watched again (the periodic resync reads meanwhile): a tree
    /// the kernel cannot watch (paths over PATH_MAX, the inotify watch limit) failed again at once, in a loop of full reads.</summary>
    public static readonly TimeSpan RetryAfterError = TimeSpan.FromSeconds(30);

    private readonly TimeProvider clock = time ?? TimeProvider.System;
    private DateTimeOffset? failedAt;
    private readonly Lock sync = new();
    private FileSystemWatcher? parent;
    private TreeWatcher? tree;
    private string? watchedTarget;
    private string? watchedParent;

    /// <summary>Released once per file system event; the reader debounces.</summary>
    public SemaphoreSlim Changed { get; } = new(0);

    /// <summary>Makes the watchers match the folder as it is now; cheap when nothing moved. <paramref name="renew"/> starts
    /// the folder's watcher afresh (after the folder could not be read: a filesystem mounted again sends no event).</summary>
    public void Rearm(bool renew = false)
    {
        lock (sync)
        {
            if (renew) watchedTarget = null;
            var parentPath = Path.GetDirectoryName(folder.Root.TrimEnd('/'));
            if (parentPath is not null && parentPath != watchedParent)
            {
                parent?.Dispose();
                parent = Create(parentPath, IsRoot);
                watchedParent = parent is null ? null : parentPath;
            }
            var target = Directory.Exists(folder.Root) ? folder.ResolveLinks(folder.Root) : null;
            if (target == watchedTarget && (tree is not null || target is null) && (target is null || Directory.Exists(target))) return;
            if (failedAt is { } failed && clock.GetUtcNow() - failed < RetryAfterError && !renew) return;
            tree?.Dispose();
            tree = target is null ? null : CreateTree(target);
            watchedTarget = tree is null ? null : target;
            if (tree is not null) logger.LogDebug("Watching {Target} for {Folder}", target, folder.Root);
        }
    }

    /// <summary>An event strictly inside a folder a container writes: that folder is never read, so nothing to read again
    /// (its own creation or deletion still counts: a folder deleted and made anew is read again).</summary>
    private bool InsideUnread(string path) =>
        unread?.Invoke() is { Count: > 0 } folders && folders.Any(f => path.StartsWith(f.TrimEnd('/') + "/", StringComparison.Ordinal));

    /// <summary>A folder a container writes, or one inside it: not watched (its own creation and removal are, from above).</summary>
    private bool IsOrInsideUnread(string folder) =>
        unread?.Invoke() is { Count: > 0 } folders && folders.Any(f => folder == f.TrimEnd('/') || folder.StartsWith(f.TrimEnd('/') + "/", StringComparison.Ordinal));

    /// <summary>An event on the folder's own name (swapped, deleted, created): whatever the tree watcher followed is stale.</summary>
    private bool IsRoot(FileSystemEventArgs e)
    {
        var name = Path.GetFileName(folder.Root.TrimEnd('/'));
        if (e.Name != name && !(e is RenamedEventArgs r && r.OldName == name)) return false;
        lock (sync) watchedTarget = null;
        return true;
    }

    private TreeWatcher? CreateTree(string target)
    {
        try
        {
            return new TreeWatcher(target, folder => !IsOrInsideUnread(folder), path =>
            {
                if (!InsideUnread(path)) Changed.Release();
            }, problem =>
            {
                logger.LogDebug("Watching {Target}: {Problem}", target, problem);
                Changed.Release();
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogDebug("Cannot watch {Path} ({Error}); changes there are picked up at each resync", target, e.Message);
            failedAt = clock.GetUtcNow(); // the caller holds the lock
            return null;
        }
    }

    private FileSystemWatcher? Create(string path, Func<FileSystemEventArgs, bool> relevant)
    {
        try
        {
            var watcher = new FileSystemWatcher(path);
            FileSystemEventHandler handler = (_, e) =>
            {
                if (relevant(e)) Changed.Release();
            };
            watcher.Created += handler;
            watcher.Changed += handler;
            watcher.Deleted += handler;
            watcher.Renamed += (_, e) =>
            {
                if (relevant(e)) Changed.Release();
            };
            watcher.Error += (_, e) =>
            {
                logger.LogDebug("Watcher on {Path} reported {Error}; reading the folder again", path, e.GetException().Message);
                lock (sync)
                {
                    watchedTarget = null; // re-created at a later rearm
                    failedAt = clock.GetUtcNow();
                }
                Changed.Release();
            };
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            logger.LogDebug("Cannot watch {Path} ({Error}); changes there are picked up at each resync", path, e.Message);
            return null;
        }
    }

    public void Dispose()
    {
        lock (sync)
        {
            parent?.Dispose();
            tree?.Dispose();
        }
        Changed.Dispose();
    }
}
