using Agent.State;
namespace Agent.Sources;

/// <summary>
/// Watches a folder tree with one inotify descriptor and one watch per folder, adding watches for folders made or moved
/// in and dropping those of folders moved out. .NET's recursive FileSystemWatcher stops for good, without an event or an
/// error, when two subfolders are moved out in one go (`mv manifests/* elsewhere/`): files put back afterwards were never
/// read until the next resync (probe-15i H1). Symlinks are not followed; folders <paramref name="watched"/> refuses (those
/// a container writes) are not entered, but their own creation and removal are seen from the folder above.
/// </summary>
internal sealed class TreeWatcher : IDisposable
{
    /// <summary>Watches beyond this many folders are not added: those folders are read at each resync.</summary>
    public const int MaxFolders = 20_000;

    private const int MaxDepth = 64;

    private readonly int fd;
    private readonly string root;
    private readonly Func<string, bool> watched;
    private readonly Action<string> changed;
    private readonly Action<string> trouble;
    private readonly Dictionary<int, string> paths = [];
    private readonly Thread reader;
    private volatile bool disposed;

    /// <param name="changed">Called on the watcher's thread with the path of each change.</param>
    /// <param name="trouble">Called when part of the tree cannot be watched (a watch limit, an overflowed queue).</param>
    public TreeWatcher(string root, Func<string, bool> watched, Action<string> changed, Action<string> trouble)
    {
        this.root = root.TrimEnd('/');
        this.watched = watched;
        this.changed = changed;
        this.trouble = trouble;
        fd = Inotify.Open();
        try
        {
            if (!AddTree(this.root)) throw new IOException($"cannot watch {root}");
        }
        catch
        {
            LibC.Close(fd);
            throw;
        }
        reader = new Thread(ReadLoop) { IsBackground = true, Name = "manifests-watch" };
        reader.Start();
    }

    private int folderCount;

    /// <summary>How many folders are watched; read from any thread (the watcher's thread changes the set).</summary>
    public int FolderCount => Volatile.Read(ref folderCount);

    /// <summary>Watches <paramref name="top"/> and the folders below it; false when <paramref name="top"/> itself cannot be watched.</summary>
    private bool AddTree(string top)
    {
        var pending = new Stack<(string Path, int Depth)>();
        pending.Push((top, 0));
        var first = true;
        while (pending.Count > 0)
        {
            var (path, depth) = pending.Pop();
            if (paths.Count >= MaxFolders)
            {
                trouble($"more than {MaxFolders} folders under {root}: those beyond are read at each resync, not watched");
                return !first;
            }
            var wd = Inotify.AddWatch(fd, path, Inotify.FolderMask);
            if (wd < 0)
            {
                if (wd != -2 /* ENOENT: gone meanwhile */ && wd != -20 /* ENOTDIR: a link or a file now */)
                    trouble($"cannot watch {path} (errno {-wd}): changes there are read at each resync");
                if (first) return false;
                continue;
            }
            paths[wd] = path;
            Volatile.Write(ref folderCount, paths.Count);
            first = false;
            if (depth >= MaxDepth) continue;
            try
            {
                foreach (var sub in new DirectoryInfo(path).EnumerateDirectories("*", new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }))
                    if (watched(sub.FullName)) pending.Push((sub.FullName, depth + 1));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone or unreadable meanwhile: its own event, or the next read, says what it is now.
            }
        }
        return true;
    }

    /// <summary>Drops the watches of a folder moved out of the tree and of those below it (they follow the folder).</summary>
    private void RemoveTree(string top)
    {
        foreach (var (wd, path) in paths.Where(p => p.Value == top || p.Value.StartsWith(top + "/", StringComparison.Ordinal)).ToList())
        {
            Inotify.RemoveWatch(fd, wd);
            paths.Remove(wd);
            Volatile.Write(ref folderCount, paths.Count);
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[64 * 1024];
        while (!disposed)
        {
            var poll = new Inotify.PollFd { Fd = fd, Events = Inotify.PollIn };
            if (Inotify.Poll(ref poll, 1, 500) <= 0) continue;
            var length = (int)Inotify.Read(fd, buffer, buffer.Length);
            if (length <= 0) continue;
            foreach (var (wd, mask, name) in Inotify.Events(buffer, length))
                Handle(wd, mask, name);
        }
    }

    private void Handle(int wd, uint mask, string name)
    {
        if ((mask & Inotify.QueueOverflow) != 0)
        {
            trouble($"the kernel dropped change events under {root}: reading it again");
            AddTree(root); // a watch on a folder already watched keeps its descriptor: this only adds the missing ones
            changed(root);
            return;
        }
        if ((mask & Inotify.Ignored) != 0)
        {
            paths.Remove(wd);
            Volatile.Write(ref folderCount, paths.Count);
            return;
        }
        if (!paths.TryGetValue(wd, out var folder)) return;
        var path = name.Length == 0 ? folder : folder + "/" + name;
        if ((mask & Inotify.IsDir) != 0)
        {
            if ((mask & Inotify.MovedFrom) != 0) RemoveTree(path);
            else if ((mask & (Inotify.Create | Inotify.MovedTo)) != 0 && watched(path)) AddTree(path);
        }
        changed(path);
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (Thread.CurrentThread != reader) reader.Join(TimeSpan.FromSeconds(2));
        LibC.Close(fd);
    }
}
