using System.Net;
using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Sources;

/// <summary>A failed read is never a deletion: a folder or file that cannot be read removes and stops nothing, says why,
/// and the change made meanwhile is applied once the source reads again (issue 9, inputs 1-5 and 7).</summary>
public sealed class UnreadableSourceTests : SourceScenario
{
    [Fact]
    public async Task A_manifests_folder_missing_at_startup_removes_nothing_fails_readyz_and_is_applied_once_it_is_back()
    {
        var a = Instance.Name("away-a");
        var b = Instance.Name("away-b");
        Agent.Write("a.yaml", Sleepy(a));
        Agent.Write("b.yaml", Sleepy(b));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(a);
        await Agent.WaitReadyAsync(b);
        var before = await SnapshotAsync(a, b);
        await Agent.StopAsync();

        var away = Agent.Manifests + "-away";
        Directory.Move(Agent.Manifests, away); // a mount not there yet at boot, a typo in --manifests
        try
        {
            File.WriteAllText(Path.Combine(away, "a.yaml"), Sleepy(a, 1));
            await Agent.StartAsync();
            await WaitHeldAsync(a, "SourceUnavailable");
            await WaitHeldAsync(b, "SourceUnavailable");
            var (status, text) = await ReadyzAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains("[-]manifests failed", text);
            Assert.Contains($"{Agent.Manifests} does not exist", text);
            await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(60), "Manifests folder cannot be read", Agent.Manifests);
            await AssertUnchangedAsync(before, a, b);
            Assert.Equal(1, Agent.Logs.Count("Manifests folder cannot be read")); // once per change, not per resync
        }
        finally
        {
            if (!Directory.Exists(Agent.Manifests)) Directory.Move(away, Agent.Manifests);
        }

        await WaitForCommandAsync(a, 1);
        await Agent.WaitReadyAsync(a);
        await Eventually.TrueAsync(async () => (await ReadyzAsync()).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "readyz passes");
        Assert.Equal(before.Split('\n')[1], (await SnapshotAsync(b)));
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(60), "reads again");
    }

    [Fact]
    public async Task A_dangling_symlink_holds_its_group_through_edits_and_restarts_and_is_applied_once_it_resolves()
    {
        var shared = Instance.Name("dangle-shared");
        var other = Instance.Name("dangle-other");
        Agent.Write("shared.yaml", Sleepy(shared));
        Agent.Write("other.yaml", Sleepy(other));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(shared);
        await Agent.WaitReadyAsync(other);
        var before = await SnapshotAsync(shared);

        var link = Path.Combine(Agent.Manifests, "shared.yaml");
        File.Delete(link);
        File.CreateSymbolicLink(link, "/nonexistent/shared.yaml");
        var held = await WaitHeldAsync(shared, "ManifestUnreadable");
        Assert.Contains("shared.yaml", held.Condition(ConditionTypes.Degraded)!.Message);
        Assert.Contains("dangling symlink", held.Condition(ConditionTypes.Degraded)!.Message);
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(60), "Manifest shared.yaml", "cannot be read");

        // Edits elsewhere are still applied while the link dangles.
        Agent.Write("other.yaml", Sleepy(other, 1));
        await WaitForCommandAsync(other, 1);
        Assert.Equal(before, await SnapshotAsync(shared));

        // A restart does not know the file's objects from the file: the state dir remembers them.
        await Agent.StopAsync();
        await Agent.StartAsync();
        await WaitHeldAsync(shared, "ManifestUnreadable");
        await Agent.WaitReadyAsync(other);
        await AssertUnchangedAsync(before, shared);

        File.Delete(link);
        Agent.Write("shared.yaml", Sleepy(shared, 1));
        await WaitForCommandAsync(shared, 1);
        await Agent.WaitReadyAsync(shared);
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(60), "Manifest shared.yaml", "reads again");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int RenameBytes(byte[] from, byte[] to);

    [Fact]
    public async Task A_file_renamed_to_a_name_that_is_not_utf8_prunes_nothing_is_reported_and_renamed_back_is_applied()
    {
        var g = Instance.Name("undecodable");
        Agent.Write("g.yaml", Sleepy(g));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var before = await SnapshotAsync(g);

        // `mv g.yaml $'g\xff.yaml'`: .NET cannot name it, so the bytes go to rename(2) as they are.
        byte[] PathBytes(string name, params byte[] tail) => [.. System.Text.Encoding.UTF8.GetBytes(Path.Combine(Agent.Manifests, name)), .. tail, 0];
        var good = PathBytes("g.yaml");
        var bad = PathBytes("g", 0xff, (byte)'.', (byte)'y', (byte)'a', (byte)'m', (byte)'l');
        Assert.Equal(0, RenameBytes(good, bad));
        var held = await WaitHeldAsync(g, "ManifestUnreadable");
        Assert.Contains("\"g\\xff.yaml\" in the manifests folder", held.Condition(ConditionTypes.Degraded)!.Message);
        await AssertUnchangedAsync(before, g); // past the prune delay: still running, per the docker CLI
        Assert.Contains("g\\xff.yaml", (await ReadyzAsync()).Text);
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(30), "g\\xff.yaml", "not valid UTF-8");

        Assert.Equal(0, RenameBytes(bad, good));
        Agent.Write("g.yaml", Sleepy(g, 1));
        await WaitForCommandAsync(g, 1);
        await Agent.WaitReadyAsync(g);
    }

    [Fact]
    public async Task A_file_that_is_empty_or_only_whitespace_for_longer_than_the_debounce_prunes_nothing()
    {
        var g = Instance.Name("empty");
        Agent.Write("g.yaml", Sleepy(g));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var before = await SnapshotAsync(g);

        Agent.Write("g.yaml", ""); // `: > g.yaml`, as editors and cp do before writing
        var held = await WaitHeldAsync(g, "ManifestUnreadable");
        Assert.Contains("g.yaml", held.Condition(ConditionTypes.Degraded)!.Message);
        Assert.Contains("empty", held.Condition(ConditionTypes.Degraded)!.Message);
        await AssertUnchangedAsync(before, g);

        Agent.Write("g.yaml", "\n   \n\t\n");
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(60), "g.yaml", "only whitespace");
        await AssertUnchangedAsync(before, g);

        Agent.Write("g.yaml", Sleepy(g, 1));
        await WaitForCommandAsync(g, 1);
        await Agent.WaitReadyAsync(g);
        Assert.Equal(before.Split(" net=")[1], await NetworkIdAsync(g)); // the network was never pruned and recreated
    }

    [Fact]
    public async Task A_symlink_loop_is_reported_once_read_once_and_does_not_freeze_updates()
    {
        var g = Instance.Name("loop");
        Agent.Write("g.yaml", Sleepy(g));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);

        Directory.CreateSymbolicLink(Path.Combine(Agent.Manifests, "current"), ".");
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(60), "current", "symlink loop");
        Agent.Write("g.yaml", Sleepy(g, 1));
        await WaitForCommandAsync(g, 1);
        var status = await Agent.WaitReadyAsync(g);
        Assert.Empty(status.ManifestErrors); // no "already defined" duplicates
        Assert.Single(await Containers.OfAsync(Instance, g));
        await Task.Delay(4500); // two resyncs
        Assert.Equal(1, Agent.Logs.Count("current", "symlink loop"));
        Assert.Equal(HttpStatusCode.OK, (await ReadyzAsync()).Status); // a loop is reported, not a failure: everything read once
    }

    [Fact]
    public async Task A_file_over_the_size_limit_or_that_breaks_the_loader_holds_its_group_and_the_watcher_keeps_going()
    {
        var big = Instance.Name("big");
        var other = Instance.Name("big-other");
        Agent.Write("big.yaml", Sleepy(big));
        Agent.Write("other.yaml", Sleepy(other));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(big);
        await Agent.WaitReadyAsync(other);
        var before = await SnapshotAsync(big);

        // 50 MB: the agent reads no more than the limit (1 MiB) + 1 byte of it.
        await using (var file = File.Create(Path.Combine(Agent.Manifests, "big.yaml")))
        {
            var text = System.Text.Encoding.UTF8.GetBytes(Sleepy(big, 1) + "# " + new string('x', 1 << 20) + "\n");
            for (var written = 0L; written < 50L << 20; written += text.Length) await file.WriteAsync(text);
        }
        // File.Create empties the file first: a read then holds the group as empty (CI, session 59), and the next as too large.
        await WaitHeldAsync(big, "ManifestUnreadable");
        var key = new ObjectKey(ServiceGroup.KindName, big);
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(key)?.Condition(ConditionTypes.Degraded) is { Reason: "ManifestUnreadable" } degraded
                && degraded.Message.Contains("over the limit of 1048576 bytes", StringComparison.Ordinal)), TimeSpan.FromSeconds(60),
            $"{big} held as over the size limit");
        Assert.Equal(before, await SnapshotAsync(big));

        // A bind path with a NUL byte: whatever the loader does with it, the group is held and the watcher goes on.
        Agent.Write("big.yaml", Sleepy(big, 1) + "      volumes: [\"/tmp/a\\u0000b:/x\"]\n");
        Agent.Write("other.yaml", Sleepy(other, 1));
        await WaitForCommandAsync(other, 1);
        Assert.Equal(before, await SnapshotAsync(big));

        Agent.Write("big.yaml", Sleepy(big, 2));
        await WaitForCommandAsync(big, 2);
        await Agent.WaitReadyAsync(big);
    }
}
