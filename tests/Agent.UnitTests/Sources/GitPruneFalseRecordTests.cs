using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Hosting;
using Agent.Sources;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Agent.UnitTests.Sources;

/// <summary>prune: false survives a restart also when the orphans record could not be written (probe-13b B0: a full
/// state dir, then a restart, pruned the kept objects): a failed write is never a deletion.</summary>
public sealed class GitPruneFalseRecordTests() : ManifestFolderTestBase("git-keep")
{
    private static readonly ObjectKey Web = new(ServiceGroup.KindName, "web");

    private string Manifest => Path.Combine(Root, "ops.yaml");
    private string OrphansFile => Path.Combine(StateDir, ManifestIndex.OrphansFileName);

    private static string RepoYaml(bool prune) =>
        $"apiVersion: agent/v1\nkind: GitRepository\nmetadata: {{ name: ops }}\nspec:\n  url: file:///srv/ops.git\n  ref: {{ branch: main }}\n  prune: {(prune ? "true" : "false")}\n";

    /// <summary>A store as a new agent process makes it (the same state dir): a restart.</summary>
    private ManifestStore Start()
    {
        var options = Options();
        var checkouts = new GitCheckouts(options);
        if (checkouts.Current("ops") is null)
        {
            var staging = checkouts.NewStaging("ops");
            File.WriteAllText(Path.Combine(staging, "web.yaml"),
                "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: web\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n");
            checkouts.Publish("ops", staging, new string('a', 40));
        }
        return NewStore(options: options, checkouts: checkouts);
    }

    [Fact]
    public void Objects_of_a_prune_false_repository_deleted_while_the_orphans_record_cannot_be_written_are_kept_after_a_restart()
    {
        File.WriteAllText(Manifest, RepoYaml(prune: false));
        var store = Start();
        store.Reload();
        Assert.NotNull(store.Get(Web)?.Object);

        Directory.CreateDirectory(Path.Combine(OrphansFile, "x")); // a folder in its place: the write fails, as on a full disk
        File.Delete(Manifest);
        store.Reload();
        Assert.Equal("ops", store.KeptFrom(Web));
        Assert.False(File.Exists(OrphansFile));

        var restarted = Start(); // the disk still full
        restarted.Reload();
        Assert.Equal("ops", restarted.KeptFrom(Web));
        Assert.Contains("prune: false", restarted.PruneHold(Web));

        Directory.Delete(OrphansFile, recursive: true); // space again: the record lands, and is what keeps them from now on
        restarted.Reload();
        Assert.True(File.Exists(OrphansFile));
        Assert.DoesNotContain("ops", File.ReadAllText(Path.Combine(StateDir, ManifestIndex.PruneFalseFileName)));
        var again = Start();
        again.Reload();
        Assert.Equal("ops", again.KeptFrom(Web));
    }

    [Fact]
    public void A_prune_false_repository_deleted_while_the_agent_was_down_keeps_what_it_brought_and_prune_true_does_not()
    {
        File.WriteAllText(Manifest, RepoYaml(prune: false));
        Start().Reload();
        File.Delete(Manifest);
        var restarted = Start();
        restarted.Reload();
        Assert.Equal("ops", restarted.KeptFrom(Web));

        File.WriteAllText(Manifest, RepoYaml(prune: true)); // adopted again, now with prune: true
        restarted.Reload();
        Assert.Null(restarted.KeptFrom(Web));
        File.Delete(Manifest);
        var third = Start();
        third.Reload();
        Assert.Null(third.KeptFrom(Web));
        Assert.Null(third.PruneHold(Web)); // pruned as asked
    }
}
