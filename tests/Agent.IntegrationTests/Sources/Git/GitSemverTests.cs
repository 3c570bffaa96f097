using Agent.Core.Model;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>ref.semver over file://: the highest tag in the range is applied and reported as TAG@sha1:…; a newer tag in
/// range is applied, one out of range is not (issue 13).</summary>
public sealed class GitSemverTests : GitScenario
{
    [Fact]
    public async Task The_highest_tag_in_the_semver_range_is_applied_and_a_newer_one_in_range_follows()
    {
        var web = Instance.Name("semver");
        Repo.Write("web.yaml", Sleepy(web, 1));
        Repo.CommitAndPush("v1.0.0");
        Repo.Tag("v1.0.0");
        Repo.Write("web.yaml", Sleepy(web, 2));
        var v12 = Repo.CommitAndPush("v1.2.0");
        Repo.Tag("v1.2.0");
        Repo.Write("web.yaml", Sleepy(web, 3));
        Repo.CommitAndPush("v2.0.0");
        Repo.Tag("v2.0.0").Tag("latest");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl).Replace("branch: main", "semver: \">=1.0.0 <2.0.0\""));
        await Agent.StartAsync();

        await WaitRepoAsync("platform", s => s.LastAppliedRevision == $"v1.2.0@sha1:{v12}", "v1.2.0 applied");
        await WaitForCommandAsync(web, 2);
        Assert.Equal("semver >=1.0.0 <2.0.0", RepoStatus("platform")!.Ref);
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, web))?.LastAppliedRevision == $"v1.2.0@sha1:{v12}"),
            TimeSpan.FromSeconds(30), "the group carries the tag's revision");

        // A newer tag in range (on a commit after v2.0.0's) is picked up; v2.0.0 never was.
        Repo.Write("web.yaml", Sleepy(web, 4));
        var v13 = Repo.CommitAndPush("v1.3.0");
        Repo.Tag("v1.3.0");
        await WaitRepoAsync("platform", s => s.LastAppliedRevision == $"v1.3.0@sha1:{v13}", "v1.3.0 applied");
        await WaitForCommandAsync(web, 4);
    }
}
