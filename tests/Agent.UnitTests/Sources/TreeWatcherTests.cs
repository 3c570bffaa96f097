using System.Collections.Concurrent;
using Agent.Sources;

namespace Agent.UnitTests.Sources;

/// <summary>The manifests folder's watcher on a real file system: it keeps seeing changes after folders are moved out and
/// back in one go (.NET's recursive FileSystemWatcher went silent for good then: probe-15i H1).</summary>
public sealed class TreeWatcherTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-treewatch-");
    private readonly ConcurrentQueue<string> seen = new();
    private readonly string root;
    private readonly string stash;

    public TreeWatcherTests()
    {
        root = Path.Combine(dir.FullName, "m");
        stash = Path.Combine(dir.FullName, "stash");
        Directory.CreateDirectory(Path.Combine(root, "core"));
        Directory.CreateDirectory(Path.Combine(root, "app", "deep"));
        Directory.CreateDirectory(stash);
        File.WriteAllText(Path.Combine(root, "core", "c.yaml"), "x");
        File.WriteAllText(Path.Combine(root, "app", "deep", "a.yaml"), "x");
    }

    public void Dispose() => dir.Delete(recursive: true);

    private TreeWatcher Watch(Func<string, bool>? watched = null) => new(root, watched ?? (_ => true), seen.Enqueue, _ => { });

    private async Task SeesAsync(string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (seen.Contains(path)) return;
            await Task.Delay(20);
        }
        Assert.Fail($"no event for {path}; seen: {string.Join(", ", seen)}");
    }

    private static async Task ShellAsync(string command)
    {
        using var process = System.Diagnostics.Process.Start("sh", ["-c", command])!;
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task Folders_moved_out_and_back_in_one_go_keep_every_change_seen()
    {
        using var watcher = Watch();
        await ShellAsync($"mv '{root}'/core '{root}'/app '{stash}'/");
        await SeesAsync(Path.Combine(root, "app"));

        File.WriteAllText(Path.Combine(root, "new.yaml"), "x");
        await SeesAsync(Path.Combine(root, "new.yaml"));
        File.WriteAllText(Path.Combine(stash, "core", "outside.yaml"), "x"); // moved out: no longer watched
        Assert.Equal(1, watcher.FolderCount);

        await ShellAsync($"mv '{stash}'/core '{stash}'/app '{root}'/");
        await SeesAsync(Path.Combine(root, "core"));
        await Task.Delay(200); // the watches of the folders moved in are added as their events are read
        File.WriteAllText(Path.Combine(root, "app", "deep", "b.yaml"), "x");
        await SeesAsync(Path.Combine(root, "app", "deep", "b.yaml"));
        Assert.Equal(4, watcher.FolderCount);
        Assert.DoesNotContain(seen, p => p.EndsWith("outside.yaml", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Folders_it_is_told_to_leave_and_links_are_not_entered_but_their_own_changes_are_seen()
    {
        var outside = Path.Combine(dir.FullName, "outside");
        Directory.CreateDirectory(outside);
        Directory.CreateSymbolicLink(Path.Combine(root, "link"), outside);
        var data = Path.Combine(root, "app", "data");
        Directory.CreateDirectory(data);
        using var watcher = Watch(folder => folder != data);
        Assert.Equal(4, watcher.FolderCount); // m, core, app, app/deep

        File.WriteAllText(Path.Combine(data, "written.yaml"), "x");
        File.WriteAllText(Path.Combine(outside, "linked.yaml"), "x");
        Directory.Delete(data, recursive: true);
        await SeesAsync(data);
        Assert.DoesNotContain(seen, p => p.EndsWith("written.yaml", StringComparison.Ordinal) || p.EndsWith("linked.yaml", StringComparison.Ordinal));
    }
}
