using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>A tree over Agent:Git:MaxBytes stops git archive at once (SizeLimitExceeded, not Timeout), leaves no partial
/// checkout, is not checked out again until the remote moves on, and keeps the applied revision (probe finding 4).</summary>
public sealed class GitSizeLimitTests() : GitScenario(new Dictionary<string, string?> { ["Agent:Git:MaxBytes"] = "1048576" })
{
    [Fact]
    public async Task An_oversized_tree_is_refused_within_seconds_cleaned_and_not_retried_until_a_new_revision()
    {
        Repo.Write("README.md", "small\n");
        var small = Repo.CommitAndPush("small");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, "  timeout: 5m\n"));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", small);

        // 8 MB that compress to a few KB: the cache stays small, the tree does not.
        Repo.Write("blobs/big.txt", new string('0', 8_000_000));
        var big = Repo.CommitAndPush("big");
        var refused = await WaitRepoAsync("platform", s => s.LastFetchedRevision == $"main@sha1:{big}" && s.Condition("Stalled")?.Status == "True",
            "oversized tree refused well before spec.timeout (5m)", TimeSpan.FromSeconds(90));
        Assert.Equal("SizeLimitExceeded", refused.Condition("Ready")!.Reason);
        Assert.Equal($"main@sha1:{small}", refused.LastAppliedRevision);
        var folder = Path.Combine(Agent.StateDir, "git", "platform");
        Assert.DoesNotContain(Directory.GetDirectories(folder), d => Path.GetFileName(d).StartsWith(".staging", StringComparison.Ordinal));

        // The next fetches (interval 1s) find the same commit: it is not extracted again.
        var again = await WaitRepoAsync("platform", s => s.Condition("Ready")?.Message.Contains("not checked out again", StringComparison.Ordinal) == true,
            "the same oversized commit is not checked out again");
        Assert.Equal("SizeLimitExceeded", again.Condition("Ready")!.Reason);

        Repo.Delete("blobs/big.txt");
        var fixedCommit = Repo.CommitAndPush("small again");
        await WaitAppliedAsync("platform", fixedCommit);
    }

    [Fact]
    public async Task The_cache_holds_about_one_revision_so_a_file_removed_from_git_neither_fills_the_state_dir_nor_counts_against_the_limit()
    {
        WriteRandom("blobs/big.bin", 700_000); // incompressible: 0.7 MB in the cache too
        var big = Repo.CommitAndPush("big");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", big);
        var cache = Path.Combine(Agent.StateDir, "git", "platform", "cache.git");

        // Removed from git: its blob leaves the cache with the next revision (probe-13b B1: it stayed for ever).
        Repo.Delete("blobs/big.bin").Write("README.md", "small\n");
        await WaitAppliedAsync("platform", Repo.CommitAndPush("big removed"));
        Assert.InRange(ObjectBytes(cache), 1, 100_000);

        // Another 0.7 MB: with the dead 0.7 MB it would be over the 1 MB limit; the revision alone is not.
        WriteRandom("blobs/other.bin", 700_000);
        var other = Repo.CommitAndPush("other");
        await WaitAppliedAsync("platform", other);
        Assert.InRange(ObjectBytes(cache), 700_000, 800_000);
        Assert.DoesNotContain(RepoStatus("platform")!.Events, e => e.Reason == "SizeLimitExceeded");
        // git finds the cache whole and holding that commit.
        TestGitRepository.Run(cache, "fsck", "--connectivity-only", "--no-progress");
        Assert.Equal(other, TestGitRepository.Run(cache, "rev-parse", "refs/agent/fetched").Trim());

        // A checkout that fails on the disk (a name longer than the file system takes) names the repository path, never
        // the staging folder; the applied revision stays.
        var longName = "blobs/" + new string('n', 300);
        var blob = TestGitRepository.Run(Repo.Work, "hash-object", "-w", "README.md").Trim();
        TestGitRepository.Run(Repo.Work, "update-index", "--add", "--cacheinfo", $"100644,{blob},{longName}");
        TestGitRepository.Run(Repo.Work, "commit", "-q", "-m", "a name too long for the disk");
        TestGitRepository.Run(Repo.Work, "push", "-q", "origin", "HEAD:refs/heads/main");
        var failed = await WaitRepoAsync("platform", s => s.Condition("Ready")?.Reason == "CheckoutFailed", "checkout failed");
        var message = failed.Condition("Ready")!.Message;
        Assert.Contains($"GitRepository/platform/{longName}", message);
        Assert.DoesNotContain(Agent.StateDir, message);
        Assert.DoesNotContain(".staging-", message);
        Assert.Equal($"main@sha1:{other}", failed.LastAppliedRevision);
    }

    private void WriteRandom(string file, int bytes)
    {
        var path = Path.Combine(Repo.Work, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, System.Security.Cryptography.RandomNumberGenerator.GetBytes(bytes));
    }

    private static long ObjectBytes(string cache) =>
        new DirectoryInfo(Path.Combine(cache, "objects")).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
}
