using System.Net;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources;

/// <summary>The watcher follows the folder wherever it goes: a symlink swapped atomically (git-sync), a folder deleted
/// and created again, a tmpfs unmounted and mounted again (issue 9, input 6 and the class).</summary>
public sealed class FolderSwapTests : SourceScenario
{
    [Fact]
    public async Task A_folder_swapped_through_a_symlink_is_followed_at_every_swap()
    {
        var g = Instance.Name("swap");
        var live = Path.Combine(Agent.Manifests, "live");
        Revision("rev0", g, 0);
        Directory.CreateSymbolicLink(live, "rev0");
        Agent.Settings["Agent:Manifests"] = live;
        Agent.Settings["Agent:ResyncInterval"] = "00:10:00"; // the watcher alone must see each swap
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);

        for (var version = 1; version <= 3; version++)
        {
            Revision($"rev{version}", g, version);
            await SwapAsync($"rev{version}", live);
            await WaitForCommandAsync(g, version);
        }
        await Agent.WaitReadyAsync(g);
        Assert.Single(await Containers.OfAsync(Instance, g));
    }

    [Fact]
    public async Task Subfolders_moved_out_and_back_in_one_go_are_held_then_read_again_by_the_watcher_alone()
    {
        var (a, b) = (Instance.Name("mva"), Instance.Name("mvb"));
        var stash = Path.Combine(Path.GetTempPath(), $"agent-it-stash-{Instance.Id}");
        Directory.CreateDirectory(stash);
        try
        {
            Agent.Settings["Agent:ResyncInterval"] = "00:10:00"; // the watcher alone must see it
            Agent.Write("core/a.yaml", Sleepy(a));
            Agent.Write("app/b.yaml", Sleepy(b));
            await Agent.StartAsync();
            await Agent.WaitReadyAsync(a);
            await Agent.WaitReadyAsync(b);
            var before = await SnapshotAsync(a, b);

            // `mv manifests/* elsewhere/`: .NET's recursive watcher went silent for good after this (probe-15i H1).
            await ShellAsync($"mv '{Agent.Manifests}'/core '{Agent.Manifests}'/app '{stash}'/");
            await Agent.WaitForConditionAsync(b, Core.Status.ConditionTypes.PruneBlocked, "True");
            await ShellAsync($"mv '{stash}'/core '{stash}'/app '{Agent.Manifests}'/");
            Agent.Write("app/b.yaml", Sleepy(b, 1));
            await WaitForCommandAsync(b, 1);
            await Agent.WaitReadyAsync(a);
            Assert.Equal(before.Split('\n')[0], (await SnapshotAsync(a)));
        }
        finally
        {
            Directory.Delete(stash, recursive: true);
        }
    }

    private static async Task ShellAsync(string command)
    {
        var (exit, _, stderr) = await ExternalTool.ShellAsync(command);
        Assert.True(exit == 0, stderr);
    }

    [Fact]
    public async Task A_folder_deleted_and_created_again_holds_meanwhile_and_is_followed()
    {
        var g = Instance.Name("recreate");
        Agent.Settings["Agent:ResyncInterval"] = "00:10:00"; // the watcher alone must see it
        Agent.Write("g.yaml", Sleepy(g));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var before = await SnapshotAsync(g);

        Directory.Delete(Agent.Manifests, recursive: true);
        await WaitHeldAsync(g, "SourceUnavailable");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ReadyzAsync()).Status);
        await AssertUnchangedAsync(before, g);

        Directory.CreateDirectory(Agent.Manifests);
        Agent.Write("g.yaml", Sleepy(g, 1));
        await WaitForCommandAsync(g, 1);
        await Agent.WaitReadyAsync(g);

        // And again: the new folder is watched, not the deleted one.
        Agent.Write("g.yaml", Sleepy(g, 2));
        await WaitForCommandAsync(g, 2);
    }

    [Fact]
    public async Task An_unmounted_tmpfs_removes_nothing_fails_readyz_and_is_applied_once_mounted_again()
    {
        var a = Instance.Name("tmpfs-a");
        var b = Instance.Name("tmpfs-b");
        var mount = Path.Combine(Agent.Manifests, "mnt");
        Directory.CreateDirectory(mount);
        await HostMounts.TmpfsAsync(mount);
        try
        {
            File.WriteAllText(Path.Combine(mount, "a.yaml"), Sleepy(a));
            File.WriteAllText(Path.Combine(mount, "b.yaml"), Sleepy(b));
            Agent.Settings["Agent:Manifests"] = mount; // the mount point itself: unmounted, it is an empty folder
            await Agent.StartAsync();
            await Agent.WaitReadyAsync(a);
            await Agent.WaitReadyAsync(b);
            var before = await SnapshotAsync(a, b);

            await HostMounts.UnmountAsync(mount);
            await WaitHeldAsync(a, "SourceUnavailable");
            await WaitHeldAsync(b, "SourceUnavailable");
            var (status, text) = await ReadyzAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains("not mounted anymore", text);
            await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(60), "Manifests folder cannot be read", "not mounted anymore");
            await AssertUnchangedAsync(before, a, b);

            await HostMounts.TmpfsAsync(mount);
            File.WriteAllText(Path.Combine(mount, "a.yaml"), Sleepy(a, 1));
            File.WriteAllText(Path.Combine(mount, "b.yaml"), Sleepy(b));
            await WaitForCommandAsync(a, 1);
            await Agent.WaitReadyAsync(a);
            await Eventually.TrueAsync(async () => (await ReadyzAsync()).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "readyz passes");
            Assert.Equal(before.Split('\n')[1], await SnapshotAsync(b));
        }
        finally
        {
            await Agent.StopAsync();
            await ExternalTool.RunAsync("umount", [mount]); // already unmounted when the test failed before mounting again: fine
        }
    }

    private void Revision(string name, string group, int version)
    {
        var dir = Path.Combine(Agent.Manifests, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "g.yaml"), Sleepy(group, version));
    }

    /// <summary>git-sync's swap: a new link under a temporary name, renamed over the old one (rename(2), atomic).</summary>
    private static async Task SwapAsync(string target, string live)
    {
        var temp = live + ".tmp";
        File.Delete(temp);
        Directory.CreateSymbolicLink(temp, target);
        var (exit, _, stderr) = await ExternalTool.RunAsync("mv", ["-T", temp, live]);
        Assert.True(exit == 0, stderr);
    }
}
