using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Hosting;
using Agent.Sources;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Agent.UnitTests.Sources;

/// <summary>An `rm` then `cp` of a GitRepository's manifest (probe-13c C9) takes down nothing it brought.</summary>
public sealed class GitRepositoryPruneDelayTests() : ManifestFolderTestBase("git-prune-delay")
{
    private readonly FakeTimeProvider clock = new(DateTimeOffset.Parse("2026-12-01T12:00:00Z"));
    private static readonly ObjectKey Repo = new(GitRepository.KindName, "ops");
    private static readonly ObjectKey Web = new(ServiceGroup.KindName, "web");

    private string Manifest => Path.Combine(Root, "ops.yaml");

    private const string RepoYaml = "apiVersion: agent/v1\nkind: GitRepository\nmetadata: { name: ops }\nspec:\n  url: file:///srv/ops.git\n  ref: { branch: main }\n";

    private (ManifestStore Store, GitCheckouts Checkouts) Store()
    {
        var options = Options(TimeSpan.FromSeconds(5));
        var checkouts = new GitCheckouts(options);
        var staging = checkouts.NewStaging("ops");
        File.WriteAllText(Path.Combine(staging, "web.yaml"),
            "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: web\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n");
        checkouts.Publish("ops", staging, new string('a', 40));
        var store = NewStore(clock: clock, options: options, checkouts: checkouts);
        return (store, checkouts);
    }

    [Fact]
    public void A_GitRepository_manifest_deleted_and_written_back_within_the_prune_delay_keeps_what_it_brought_and_its_checkouts()
    {
        File.WriteAllText(Manifest, RepoYaml);
        var (store, checkouts) = Store();
        store.Reload();
        Assert.NotNull(store.Get(Web)?.Object);

        File.Delete(Manifest);
        store.Reload();
        Assert.NotNull(store.Get(Web)?.Object); // still read from its checkout: nothing to prune
        Assert.Equal("ops", Assert.Single(store.Repositories).Metadata.Name); // still synced: its checkouts are not removed
        Assert.Equal(TimeSpan.FromSeconds(5), store.PruneDelayLeft(Repo));
        Assert.NotNull(checkouts.Current("ops"));

        clock.Advance(TimeSpan.FromSeconds(2));
        File.WriteAllText(Manifest, RepoYaml);
        store.Reload();
        Assert.NotNull(store.Get(Repo)?.Object);
        Assert.NotNull(store.Get(Web)?.Object);
        Assert.Null(store.PruneDelayLeft(Repo));
    }

    [Fact]
    public void Once_the_delay_has_passed_the_repository_and_what_it_brought_go_without_any_change_on_disk()
    {
        File.WriteAllText(Manifest, RepoYaml);
        var (store, _) = Store();
        store.Reload();

        File.Delete(Manifest);
        store.Reload();
        clock.Advance(TimeSpan.FromSeconds(4));
        store.Reload(); // nothing changed on disk, delay not over: still there
        Assert.NotNull(store.Get(Web)?.Object);

        clock.Advance(TimeSpan.FromSeconds(1.1));
        store.Reload(); // nothing changed on disk, but the delay is over: read again
        Assert.Empty(store.Repositories);
        Assert.Null(store.Get(Web));
        Assert.Null(store.PruneHold(Web)); // objects from git are not delayed themselves: the repository's delay was theirs
    }
}
