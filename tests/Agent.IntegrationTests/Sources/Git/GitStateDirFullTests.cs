using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>A revision that does not fit in a small state dir (a real tmpfs): said once, with its size and the free space,
/// as StateDirFull; not fetched again at every interval; applied once the state dir has room (probe-13c C4: it retried for
/// ever as CacheFailed, filling the state dir to 100% at every interval).</summary>
public sealed class GitStateDirFullTests : GitScenario
{
    [Fact]
    public async Task A_revision_too_big_for_the_state_dir_is_StateDirFull_with_sizes_not_retried_at_the_interval_and_applied_once_there_is_room()
    {
        var (exit, _, stderr) = await ExternalTool.ShellAsync($"mount -t tmpfs -o size=3m,mode=0700 agent-test-git-state '{Agent.StateDir}'");
        Assert.True(exit == 0, stderr);
        try
        {
            Repo.Write("README.md", "small\n");
            var small = Repo.CommitAndPush("small");
            Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl));
            await Agent.StartAsync();
            await WaitAppliedAsync("platform", small);

            // 2 MB that do not compress: cache and checkout together need 4 MB of the 3.
            var path = Path.Combine(Repo.Work, "blobs", "big.bin");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, System.Security.Cryptography.RandomNumberGenerator.GetBytes(2 * 1024 * 1024));
            var big = Repo.CommitAndPush("big");
            var full = await WaitRepoAsync("platform", s => s.Condition("Ready")?.Reason == "StateDirFull", "StateDirFull");
            var message = full.Condition("Ready")!.Message;
            Assert.Contains($"the tree of {big} needs 2.0 MB and the state dir has", message);
            Assert.DoesNotContain(Agent.StateDir, message);
            Assert.Equal($"main@sha1:{small}", full.LastAppliedRevision);
            Assert.Contains("once the state dir has more free space", full.Condition("Reconciling")!.Message);

            // The interval (1s) does not fetch it again while nothing changed, and the state dir is not left full.
            var attempted = full.LastAttemptTime;
            await Task.Delay(TimeSpan.FromSeconds(4));
            Assert.Equal(attempted, RepoStatus("platform")!.LastAttemptTime);
            Assert.True(new DriveInfo(Agent.StateDir).AvailableFreeSpace > 512 * 1024, "the state dir keeps room for other state writes");

            (exit, _, stderr) = await ExternalTool.ShellAsync($"mount -o remount,size=16m '{Agent.StateDir}'");
            Assert.True(exit == 0, stderr);
            await WaitAppliedAsync("platform", big);
        }
        finally
        {
            await Agent.StopAsync(); // then the tmpfs goes; the harness removes the folder under it
            await ExternalTool.ShellAsync($"umount -l '{Agent.StateDir}'");
        }
    }
}
