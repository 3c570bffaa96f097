using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>Only commits signed by an allowed SSH key are applied; deleting a GitRepository prunes what it brought
/// unless prune: false (issue 13).</summary>
public sealed class GitVerifyAndPruneTests : GitScenario
{
    private string Keygen(string name)
    {
        var file = Path.Combine(Agent.StateDir, "..", $"agent-it-sign-{Instance.Id}-{name}");
        var (exit, _, stderr) = ExternalTool.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file]).GetAwaiter().GetResult();
        Assert.True(exit == 0, stderr);
        return Path.GetFullPath(file);
    }

    [Fact]
    public async Task A_commit_not_signed_by_an_allowed_key_is_refused_and_the_signed_revision_keeps_running()
    {
        var allowed = Keygen("allowed");
        var other = Keygen("other");
        var signers = allowed + ".allowed_signers";
        File.WriteAllText(signers, $"test@example.invalid namespaces=\"git\" {File.ReadAllText(allowed + ".pub").Trim()}\n");
        try
        {
            var web = Instance.Name("signed-web");
            Repo.CommitConfig.AddRange(["gpg.format=ssh", $"user.signingkey={allowed}"]);
            Repo.Write("web.yaml", Sleepy(web));
            var signed = Repo.CommitAndPush("signed", sign: true);
            Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, $"  verify: {{ allowedSignersFile: {signers} }}\n"));
            await Agent.StartAsync();
            await WaitAppliedAsync("platform", signed);
            await Agent.WaitReadyAsync(web);
            var before = await SnapshotAsync(web);

            Repo.Write("web.yaml", Sleepy(web, 1));
            var unsigned = Repo.CommitAndPush("unsigned");
            var refused = await WaitRepoAsync("platform", s => s.LastFetchedRevision == $"main@sha1:{unsigned}" && s.Condition("Stalled")?.Status == "True", "unsigned refused");
            Assert.Equal("VerificationFailed", refused.Condition("Stalled")!.Reason);
            Assert.Contains(unsigned, refused.Condition("Stalled")!.Message);
            Assert.Equal($"main@sha1:{signed}", refused.LastAppliedRevision);

            Repo.CommitConfig.Clear();
            Repo.CommitConfig.AddRange(["gpg.format=ssh", $"user.signingkey={other}"]);
            var otherKey = Repo.CommitAndPush("signed by another key", sign: true);
            refused = await WaitRepoAsync("platform", s => s.LastFetchedRevision == $"main@sha1:{otherKey}" && s.Condition("Stalled")?.Status == "True", "other key refused");
            Assert.Equal("VerificationFailed", refused.Condition("Stalled")!.Reason);
            await AssertUnchangedAsync(before, web);

            Repo.CommitConfig.Clear();
            Repo.CommitConfig.AddRange(["gpg.format=ssh", $"user.signingkey={allowed}"]);
            var signedAgain = Repo.CommitAndPush("signed again", sign: true);
            await WaitAppliedAsync("platform", signedAgain);
            await WaitForCommandAsync(web, 1);
        }
        finally
        {
            foreach (var f in new[] { allowed, allowed + ".pub", other, other + ".pub", signers }) File.Delete(f);
        }
    }

    [Fact]
    public async Task Deleting_a_GitRepository_prunes_what_it_brought_and_prune_false_keeps_it()
    {
        var kept = Instance.Name("keep-web");
        var pruned = Instance.Name("prune-web");
        var local = Instance.Name("local-a");
        var local2 = Instance.Name("local-b");
        using var second = new TestGitRepository();
        Repo.Write("web.yaml", Sleepy(kept));
        var keptCommit = Repo.CommitAndPush("kept");
        second.Write("web.yaml", Sleepy(pruned));
        var prunedCommit = second.CommitAndPush("pruned");
        // Enough objects of the folder's own that one removal stays within the mass-prune guard.
        Agent.Write("local-a.yaml", Sleepy(local));
        Agent.Write("local-b.yaml", Sleepy(local2));
        Agent.Write("keep.yaml", GitRepositoryManifest("keep", Repo.FileUrl, "  prune: false\n"));
        Agent.Write("gone.yaml", GitRepositoryManifest("gone", second.FileUrl));
        await Agent.StartAsync();
        await WaitAppliedAsync("keep", keptCommit);
        await WaitAppliedAsync("gone", prunedCommit);
        await Agent.WaitReadyAsync(kept);
        await Agent.WaitReadyAsync(pruned);

        Agent.Delete("gone.yaml");
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, pruned)).Count == 0, TimeSpan.FromSeconds(60), "what GitRepository gone brought is pruned");
        await Eventually.TrueAsync(() => Task.FromResult(!Directory.Exists(Path.Combine(Agent.StateDir, "git", "gone"))), TimeSpan.FromSeconds(30),
            "the checkout of a deleted repository is removed");

        var before = await SnapshotAsync(kept);
        Agent.Delete("keep.yaml");
        var orphaned = await Agent.WaitForConditionAsync(kept, "Orphaned", "True");
        Assert.Contains("prune: false", orphaned.Condition("Orphaned")!.Message);
        await AssertUnchangedAsync(before, kept);

        // Kept means healed too, at its last applied spec: a killed container runs again and only then is it Ready.
        var container = Assert.Single(await Containers.RunningAsync(Instance, kept, 1));
        await DockerCli.RunAsync("kill", container.Id);
        await Containers.RunningAsync(Instance, kept, 1, TimeSpan.FromSeconds(60));
        await Agent.WaitReadyAsync(kept);
        before = await SnapshotAsync(kept);

        // After a restart its spec is no longer known: held as it is, and not Ready (it would not be healed).
        await Agent.StopAsync();
        await Agent.StartAsync();
        var held = await Agent.WaitForConditionAsync(kept, "Ready", "False", "Orphaned");
        Assert.Contains("prune: false", held.Condition("Ready")!.Message);
        await AssertUnchangedAsync(before, kept);
    }

    [Fact]
    public async Task Prune_false_holds_across_a_restart_also_when_the_orphans_record_could_not_be_written()
    {
        var kept = Instance.Name("keep-full");
        Repo.Write("web.yaml", Sleepy(kept));
        var commit = Repo.CommitAndPush("kept");
        Agent.Write("local-a.yaml", Sleepy(Instance.Name("full-a")));
        Agent.Write("local-b.yaml", Sleepy(Instance.Name("full-b"))); // 1 of 3 objects: within the mass-prune guard
        Agent.Write("keep.yaml", GitRepositoryManifest("keep", Repo.FileUrl, "  prune: false\n"));
        await Agent.StartAsync();
        await WaitAppliedAsync("keep", commit);
        await Agent.WaitReadyAsync(kept);
        var before = await SnapshotAsync(kept);

        // probe-13b B0: git-orphans.json cannot be written (a full state dir; here a folder in its place), then a restart.
        var blocked = Path.Combine(Agent.StateDir, "git-orphans.json");
        Directory.CreateDirectory(Path.Combine(blocked, "x"));
        try
        {
            Agent.Delete("keep.yaml");
            await Agent.WaitForConditionAsync(kept, "Orphaned", "True");
            await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(30), "Cannot write", "git-orphans.json");
            await Agent.StopAsync();
            await Agent.StartAsync();
            var held = await Agent.WaitForConditionAsync(kept, "Ready", "False", "Orphaned");
            Assert.Contains("prune: false", held.Condition("Ready")!.Message);
            await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(30), "GitRepository keep is no longer in the manifests and was recorded with prune: false");
            await AssertUnchangedAsync(before, kept);
        }
        finally
        {
            Directory.Delete(blocked, recursive: true);
        }
    }
}
