using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources;

/// <summary>probe-15n F1: a filesystem mounted on a folder inside the manifests folder (a team's share, a bind of a
/// config folder) that goes away leaves an empty folder. That is a failed read of what it held, never a deletion: its
/// groups keep running (docker CLI), they say why, and the rest of the folder is applied as usual.</summary>
public sealed class UnmountedSubfolderTests : SourceScenario
{
    [Fact]
    public async Task A_filesystem_unmounted_under_the_manifests_folder_holds_what_it_defined_until_it_is_mounted_again()
    {
        var team = Instance.Name("team");
        var other = Instance.Name("other");
        var mountPoint = Path.Combine(Agent.Manifests, "team");
        Directory.CreateDirectory(mountPoint);
        await HostMounts.TmpfsAsync(mountPoint, "1m");
        try
        {
            File.WriteAllText(Path.Combine(mountPoint, "team.yaml"), Sleepy(team));
            Agent.Write("other.yaml", Sleepy(other));
            await Agent.StartAsync();
            await Agent.WaitReadyAsync(team);
            await Agent.WaitReadyAsync(other);
            var before = await SnapshotAsync(team);

            await HostMounts.UnmountAsync(mountPoint);
            var held = await WaitHeldAsync(team, "ManifestUnreadable");
            Assert.Contains("not mounted anymore", held.Condition(Core.Status.ConditionTypes.Degraded)!.Message);
            Agent.Write("other.yaml", Sleepy(other, 1)); // the rest of the folder is applied meanwhile
            await WaitForCommandAsync(other, 1);
            await Task.Delay(TimeSpan.FromSeconds(6)); // past Agent:PruneDelay (5 s)
            await AssertUnchangedAsync(before, team);

            await MountedAgainAsync(mountPoint, team);
        }
        finally
        {
            await HostMounts.UnmountQuietlyAsync(mountPoint);
        }
    }
    /// <summary>probe-33 F2 (HIGH): the filesystem not mounted (yet) when the agent starts again, as at a boot where the
    /// agent comes up before a share: the agent pruned what it defined. The mount points are kept in the state dir.</summary>
    [Fact]
    public async Task A_filesystem_not_mounted_when_the_agent_starts_again_holds_what_it_defined()
    {
        var team = Instance.Name("bootteam");
        var mountPoint = Path.Combine(Agent.Manifests, "team");
        Directory.CreateDirectory(mountPoint);
        await HostMounts.TmpfsAsync(mountPoint, "1m");
        try
        {
            File.WriteAllText(Path.Combine(mountPoint, "team.yaml"), Sleepy(team));
            await Agent.StartAsync();
            await Agent.WaitReadyAsync(team);
            var before = await SnapshotAsync(team);
            await Agent.StopAsync();

            await HostMounts.UnmountAsync(mountPoint);
            await Agent.StartAsync();
            var held = await WaitHeldAsync(team, "ManifestUnreadable");
            Assert.Contains("not mounted anymore", held.Condition(Core.Status.ConditionTypes.Degraded)!.Message);
            await Task.Delay(TimeSpan.FromSeconds(6)); // past Agent:PruneDelay (5 s)
            await AssertUnchangedAsync(before, team);

            await MountedAgainAsync(mountPoint, team);
        }
        finally
        {
            await HostMounts.UnmountQuietlyAsync(mountPoint);
        }
    }
    /// <summary>Mounted again with an edit of what it holds: the edit is applied.</summary>
    private async Task MountedAgainAsync(string mountPoint, string team)
    {
        await HostMounts.TmpfsAsync(mountPoint, "1m");
        File.WriteAllText(Path.Combine(mountPoint, "team.yaml"), Sleepy(team, 1));
        await WaitForCommandAsync(team, 1);
        await Agent.WaitReadyAsync(team);
    }
}
