using Agent.Core.Status;
using Agent.Sources;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Git;

/// <summary>After a restart a GitRepository shows the revision it has checked out and its last outcome at once (probe-13 F12).</summary>
public sealed class GitLastSyncTests : IDisposable
{
    private static readonly DateTimeOffset Then = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly DirectoryInfo temp = Directory.CreateTempSubdirectory("agent-git-lastsync-");

    public void Dispose() => temp.Delete(recursive: true);

    private static GitRepositoryStatus Fresh() => new()
    {
        Name = "platform", Url = "", Ref = "",
        Conditions = [new Condition("Ready", "Unknown", "Progressing", "not fetched yet", Then), new Condition("Reconciling", "True", "Progressing", "", Then)],
    };

    [Fact]
    public void The_saved_outcome_of_the_checked_out_commit_is_shown_after_a_restart()
    {
        var before = Fresh() with
        {
            LastAppliedRevision = "main@sha1:c1", LastFetchedRevision = "main@sha1:c2", LastSyncTime = Then, ManifestErrors = ["GitRepository/platform/a.yaml:1:1: x"],
            Conditions = [new Condition("Ready", "False", "InvalidRevision", "c2 refused", Then), new Condition("Stalled", "True", "InvalidRevision", "c2 refused", Then),
                new Condition("Reconciling", "False", "InvalidRevision", "", Then)],
        };
        GitLastSync.Save(temp.FullName, new GitCheckout("platform", "c1", "/x"), before);
        var saved = GitLastSync.Load(temp.FullName, NullLogger.Instance);

        var after = GitLastSync.Restore(Fresh(), new GitCheckout("platform", "c1", "/x"), "main@sha1:c1", saved, Then.AddHours(1));
        Assert.Equal("main@sha1:c1", after.LastAppliedRevision);
        Assert.Equal("main@sha1:c2", after.LastFetchedRevision);
        Assert.Equal(Then, after.LastSyncTime);
        Assert.Equal(("False", "InvalidRevision", Then), (after.Condition("Ready")!.Status, after.Condition("Ready")!.Reason, after.Condition("Ready")!.LastTransitionTime));
        Assert.Equal("True", after.Condition("Stalled")!.Status);
        Assert.Equal("True", after.Condition("Reconciling")!.Status); // the fetch after the restart is under way
        Assert.Single(after.ManifestErrors);
    }

    [Fact]
    public void Without_a_saved_outcome_of_that_commit_the_revision_shows_with_Ready_unknown()
    {
        var saved = new GitLastSync("c0", "main@sha1:c0", null, Then, [new Condition("Ready", "True", "Succeeded", "", Then)], []);
        foreach (var s in new[] { saved, null })
        {
            var after = GitLastSync.Restore(Fresh(), new GitCheckout("platform", "c1", "/x"), "main@sha1:c1", s, Then);
            Assert.Equal("main@sha1:c1", after.LastAppliedRevision);
            Assert.Equal(("Unknown", "Restarted"), (after.Condition("Ready")!.Status, after.Condition("Ready")!.Reason));
            Assert.Null(after.LastSyncTime);
        }
    }
}
