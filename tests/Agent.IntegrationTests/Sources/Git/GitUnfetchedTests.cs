using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>Submodules and Git LFS pointers are not fetched: a revision holding them is applied with a NotFetched warning,
/// and a bind that needs one is an error at its volume item, never an empty folder or pointer text in a container
/// (probe-13c C1).</summary>
public sealed class GitUnfetchedTests : GitScenario
{
    private const string Pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";

    /// <summary>Commits only these files of the working clone (git add -A would drop the submodule, which has no folder here).</summary>
    private string Commit(string message, params string[] files)
    {
        TestGitRepository.Run(Repo.Work, ["add", "--", .. files]);
        TestGitRepository.Run(Repo.Work, "commit", "-q", "-m", message);
        TestGitRepository.Run(Repo.Work, "push", "-q", "origin", "HEAD:refs/heads/main");
        return Repo.Head();
    }

    [Fact]
    public async Task A_submodule_or_LFS_pointer_is_a_warning_and_a_bind_that_needs_one_refuses_the_revision_at_its_volume_item()
    {
        var group = Instance.Name("unf");
        var (first, _) = await StartWithGroupAsync(group);

        // A submodule (a gitlink) and an LFS pointer nobody references: applied, with one warning naming both.
        TestGitRepository.Run(Repo.Work, "update-index", "--add", "--cacheinfo", $"160000,{first},sub");
        Repo.Write("lfs.bin", Pointer).Write(".gitattributes", "lfs.bin filter=lfs diff=lfs merge=lfs -text\n");
        var holding = Commit("a submodule and an LFS pointer", "lfs.bin", ".gitattributes");
        var applied = await WaitAppliedAsync("platform", holding);
        var warning = Assert.Single(applied.Events, e => e.Reason == "NotFetched");
        Assert.Contains($"sub: a git submodule (commit {first[..12]}) whose content is not fetched", warning.Message);
        Assert.Contains("lfs.bin: a Git LFS pointer, not the file's content", warning.Message);

        // Binds that need them: the revision is refused at the volume item; the applied revision stays.
        foreach (var (bind, expected) in new[]
                 {
                     ("./sub:/sub:ro", "the bind source is sub, a git submodule"),
                     ("./lfs.bin:/lfs.bin:ro", "the bind source is lfs.bin, a Git LFS pointer, not the file's content"),
                 })
        {
            Repo.Write("web.yaml", Group(group, Sleeper("s", $"      volumes: [\"{bind}\"]\n")));
            var needs = Commit($"binds {bind}", "web.yaml");
            var refused = await WaitRepoAsync("platform", s => s.Condition("Stalled") is { Reason: "InvalidRevision" } stalled && stalled.Message.Contains(needs, StringComparison.Ordinal), bind);
            var error = Assert.Single(refused.ManifestErrors);
            Assert.StartsWith("GitRepository/platform/web.yaml:", error);
            Assert.Contains("spec.services[0].volumes[0]", error);
            Assert.True(error.Contains(expected, StringComparison.Ordinal), error);
            Assert.DoesNotContain(Agent.StateDir, error);
            Assert.Equal($"main@sha1:{holding}", refused.LastAppliedRevision);
        }
    }
}
