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
}
