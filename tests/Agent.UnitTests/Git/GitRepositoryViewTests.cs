using System.Text.Json;
using Agent.Cli.Client;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Status;
using Agent.Sources;

namespace Agent.UnitTests.Git;

/// <summary>How a GitRepository is shown when its own manifest breaks, and its table cells.</summary>
public sealed class GitRepositoryViewTests
{
    private static readonly DateTimeOffset Synced = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Broke = Synced.AddMinutes(5);
    private static readonly ObjectKey Key = new(GitRepository.KindName, "platform");

    private static GitRepositoryStatus Running() => new()
    {
        Name = "platform", Url = "file:///srv/platform.git", Ref = "branch main", LastAppliedRevision = "main@sha1:0a1b",
        Conditions =
        [
            new Condition(ConditionTypes.Ready, "True", "Succeeded", "revision main@sha1:0a1b is applied", Synced),
            new Condition(SourceConditions.Stalled, "False", "Succeeded", "", Synced),
        ],
        ObservedGeneration = 2,
    };

    [Fact]
    public void A_broken_edit_shows_Ready_False_InvalidManifest_naming_file_line_and_field_and_the_last_good_spec_in_effect()
    {
        var error = new ManifestError("platform.yaml", 6, 18, "spec.ref.semver", "\">=1.0.0 <2\" is not a semver range");
        var entry = new DesiredEntry(Key, null, 2, [error]) { BrokenSince = Broke };

        var shown = GitRepositoryViews.WithManifest(Running(), entry);

        var ready = shown.Condition(ConditionTypes.Ready)!;
        Assert.Equal(("False", DesiredEntry.InvalidManifest, Broke), (ready.Status, ready.Reason, ready.LastTransitionTime));
        Assert.Contains("platform.yaml:6:18: spec.ref.semver", ready.Message);
        Assert.Contains("last good spec", ready.Message);
        Assert.Equal(("True", DesiredEntry.InvalidManifest), (shown.Condition(SourceConditions.Stalled)!.Status, shown.Condition(SourceConditions.Stalled)!.Reason));
        Assert.Equal([error.ToString()], shown.ManifestErrors);
        Assert.Equal("main@sha1:0a1b", shown.LastAppliedRevision); // the revision of the last good spec still runs
        Assert.Equal((2, 2), (shown.Generation, shown.ObservedGeneration));
        var warning = Assert.Single(shown.Events); // shown with the condition, before the sync has recorded it
        Assert.Equal(("Warning", DesiredEntry.InvalidManifest, Broke), (warning.Type, warning.Reason, warning.Time));
        Assert.StartsWith("platform.yaml:6:18: spec.ref.semver", warning.Message);
    }

    /// <summary>probe-13d D7: an update rolled back runs the previous spec; the revision is not applied.</summary>
    [Fact]
    public void An_object_whose_update_was_rolled_back_makes_Ready_False_RolledBack()
    {
        var at = Synced.AddMinutes(2);
        var group = new ObjectStatus
        {
            Kind = ServiceGroup.KindName, Name = "g5", Source = "GitRepository/platform/apps/g5.yaml:1:1",
            Conditions = [new Condition(ConditionTypes.Ready, "True", "ReplicasReady", "", at),
                          new Condition(ConditionTypes.Degraded, "True", "RolledBack", "update of s did not become healthy and was rolled back", at)],
        };

        var ready = GitRepositoryViews.WithObjects(Running(), [group]).Condition(ConditionTypes.Ready)!;

        Assert.Equal(("False", "RolledBack", at), (ready.Status, ready.Reason, ready.LastTransitionTime));
        Assert.Equal("revision main@sha1:0a1b is checked out, but 1 object(s) of it were rolled back and run the previous spec: ServiceGroup/g5; " +
                     "ServiceGroup/g5 (GitRepository/platform/apps/g5.yaml:1:1): update of s did not become healthy and was rolled back", ready.Message);
    }

    /// <summary>probe-13d D3: the revision no longer has g2, but the mass-prune guard holds its removal for an admin.</summary>
    [Fact]
    public void An_object_whose_removal_the_prune_guard_holds_makes_Ready_False_PruneBlocked_and_get_shows_it()
    {
        var at = Synced.AddMinutes(3);
        var blocked = "this read would remove 5 of 8 managed object(s) (more than 50%): nothing is removed until an admin confirms (POST /api/v1/prune/confirm)";
        var group = new ObjectStatus
        {
            Kind = ServiceGroup.KindName, Name = "g2", Source = "GitRepository/platform/apps/g2.yaml:1:1",
            Conditions = [new Condition(ConditionTypes.Ready, "True", "ReplicasReady", "", Synced),
                          new Condition(ConditionTypes.PruneBlocked, "True", ConditionTypes.PruneBlocked, blocked, at)],
        };
        var other = group with { Name = "g3", Source = "GitRepository/platform/apps/g3.yaml:1:1" };

        var ready = GitRepositoryViews.WithObjects(Running(), [group, other]).Condition(ConditionTypes.Ready)!;

        Assert.Equal(("False", ConditionTypes.PruneBlocked, at), (ready.Status, ready.Reason, ready.LastTransitionTime));
        Assert.Equal("revision main@sha1:0a1b is checked out, but the removal of 2 object(s) it no longer has is held by the mass-prune guard: " +
                     $"ServiceGroup/g2, ServiceGroup/g3; ServiceGroup/g2 (GitRepository/platform/apps/g2.yaml:1:1): {blocked}", ready.Message);
        // agent get: the held object's STATUS says so (it still runs: READY stays as it is)
        var row = JsonSerializer.SerializeToElement(new
        {
            kind = "ServiceGroup", name = "g2",
            conditions = new[] { new { type = "Ready", status = "True" }, new { type = "PruneBlocked", status = "True" } },
        });
        Assert.Equal("PruneBlocked", ResourceViews.StatusOf(row));
    }

    [Fact]
    public void An_object_of_the_repository_that_cannot_be_applied_makes_Ready_False_naming_it_and_its_error()
    {
        var failedAt = Synced.AddMinutes(1);
        ObjectStatus Group(string name, string source, string status, string reason, string message = "") => new()
        {
            Kind = ServiceGroup.KindName, Name = name, Source = source,
            Conditions = [new Condition(ConditionTypes.Ready, status, reason, message, failedAt)],
        };
        var objects = new[]
        {
            Group("twa", "GitRepository/platform/apps/twins.yaml:1:1", "True", "ReplicasReady"),
            Group("twb", "GitRepository/platform/apps/twins.yaml:12:1", "False", "ApplyFailed", "container_create failed (400): bind source path does not exist"),
            Group("slow", "GitRepository/platform/apps/slow.yaml:1:1", "False", "ReplicasNotReady", "s 0/1 ready"), // not an apply failure
            Group("local", "web.yaml:1:1", "False", "ApplyFailed", "another source's object"),
            Group("held", "GitRepository/platform-b/x.yaml:1:1", "False", "ApplyFailed", "another repository's"),
        };

        var shown = GitRepositoryViews.WithObjects(Running(), objects);

        var ready = shown.Condition(ConditionTypes.Ready)!;
        Assert.Equal(("False", "ApplyFailed", failedAt), (ready.Status, ready.Reason, ready.LastTransitionTime));
        Assert.Equal("revision main@sha1:0a1b is checked out, but 1 object(s) of it cannot be applied: ServiceGroup/twb; ServiceGroup/twb " +
                     "(GitRepository/platform/apps/twins.yaml:12:1): container_create failed (400): bind source path does not exist", ready.Message);
        Assert.Equal("False", shown.Condition(SourceConditions.Stalled)!.Status); // the sync succeeded; the object retries
        Assert.Equal("main@sha1:0a1b", shown.LastAppliedRevision);
        var running = Running();
        Assert.Same(running, GitRepositoryViews.WithObjects(running, objects[..1])); // every object applied: as the sync said
    }

    [Fact]
    public void A_revision_checked_out_while_the_folder_cannot_be_read_is_not_applied_and_the_one_read_last_is_shown()
    {
        const string folderError = "manifests folder /srv/m does not exist";
        var checkedOut = Running() with { LastAppliedRevision = "main@sha1:2c3d" };

        var shown = GitRepositoryViews.WithSource(checkedOut, folderError, Broke, "main@sha1:0a1b");

        var ready = shown.Condition(ConditionTypes.Ready)!;
        Assert.Equal(("False", GitRepositoryViews.SourceUnavailable, Broke), (ready.Status, ready.Reason, ready.LastTransitionTime));
        Assert.Equal("revision main@sha1:2c3d is checked out but not applied: manifests folder /srv/m does not exist; " +
                     "main@sha1:0a1b stays applied and the last good state is kept", ready.Message);
        Assert.Equal("main@sha1:0a1b", shown.LastAppliedRevision);
        Assert.Equal("False", shown.Condition(SourceConditions.Stalled)!.Status); // the sync itself succeeded
        Assert.Null(GitRepositoryViews.WithSource(checkedOut, folderError, Broke, null).LastAppliedRevision); // no read ever took it in
        Assert.Same(checkedOut, GitRepositoryViews.WithSource(checkedOut, null, Broke, "main@sha1:0a1b")); // the folder reads: the read follows
        Assert.Same(checkedOut, GitRepositoryViews.WithSource(checkedOut, folderError, Broke, "main@sha1:2c3d")); // read before the folder went
        var failed = checkedOut with { Conditions = Conditions.Set(checkedOut.Conditions, ConditionTypes.Ready, false, "FetchFailed", "unreachable", Broke) };
        var failedShown = GitRepositoryViews.WithSource(failed, folderError, Broke, "main@sha1:0a1b");
        Assert.Equal(("FetchFailed", "main@sha1:0a1b"), (failedShown.Condition(ConditionTypes.Ready)!.Reason, failedShown.LastAppliedRevision));
    }

    [Fact]
    public void The_broken_manifest_event_once_recorded_is_not_shown_twice()
    {
        var error = new ManifestError("platform.yaml", 6, 18, "spec.ref.semver", "\">=1.0.0 <2\" is not a semver range");
        var entry = new DesiredEntry(Key, null, 2, [error]) { BrokenSince = Broke };
        var recorded = GitRepositoryViews.BrokenEvent(entry, Broke.AddSeconds(1));
        var applied = new ObjectEvent(Broke.AddSeconds(2), "Normal", "Applied", "revision main@sha1:0a1b is applied (was none)");

        var shown = GitRepositoryViews.WithManifest(Running() with { Events = [recorded, applied] }, entry);

        Assert.Equal([recorded, applied], shown.Events);
    }

    [Fact]
    public void A_manifest_that_loads_changes_nothing_but_the_generation()
    {
        var entry = new DesiredEntry(Key, null, 3, []);
        var shown = GitRepositoryViews.WithManifest(Running(), entry);
        Assert.Equal(Running().Conditions, shown.Conditions);
        Assert.Equal((3, 2), (shown.Generation, shown.ObservedGeneration));
    }

    [Fact]
    public void A_GitRepository_that_never_loaded_is_listed_as_itself_with_its_errors()
    {
        var error = new ManifestError("bad.yaml", 4, 8, "spec.interval", "must be at least 1s");
        var shown = GitRepositoryViews.Unloaded(new DesiredEntry(Key, null, 0, [error]) { BrokenSince = Broke });
        Assert.Equal((GitRepository.KindName, "platform", "bad.yaml:4:8"), (shown.Kind, shown.Name, shown.Source));
        Assert.False(shown.IsReady);
        Assert.Equal(DesiredEntry.InvalidManifest, shown.Condition(ConditionTypes.Ready)!.Reason);
        Assert.Equal([error.ToString()], shown.ManifestErrors);
    }

    [Fact]
    public void The_get_STATUS_cell_is_one_line_and_describe_shows_the_generation()
    {
        var message = "revision main@sha1:0a1b is not applied: 2 manifest error(s), first GitRepository/platform/apps/web.yaml:9:17:\n  spec.services[0].volumes[0]: "
                      + new string('x', 300) + "\nsecond line";
        var status = JsonSerializer.SerializeToElement(new
        {
            kind = "GitRepository", name = "platform", generation = 4, observedGeneration = 3,
            conditions = new[] { new { type = "Ready", status = "False", reason = "InvalidRevision", message, lastTransitionTime = Broke } },
            gitRepository = new { url = "file:///srv/platform.git", @ref = "branch main", since = Synced },
        });

        var table = GitRepositoryTables.List([status], Broke, wide: false, kindPrefix: false).Render();

        var row = table.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.Contains("revision main@sha1:0a1b is not applied", row);
        Assert.DoesNotContain("second line", table);
        Assert.True(row.Length < 250, row);
        Assert.Contains("Generation:   4 (observed 3)", ResourceViews.Describe(status, [], Broke));
    }

    [Fact]
    public void A_suspended_repository_says_so_and_has_no_next_sync()
    {
        JsonElement Row(bool suspend) => JsonSerializer.SerializeToElement(new
        {
            kind = "GitRepository", name = "platform",
            gitRepository = new { url = "file:///srv/platform.git", @ref = "branch main", suspend, since = Synced, nextSyncTime = Broke.AddSeconds(30) },
        });

        var lines = GitRepositoryTables.List([Row(true), Row(false)], Broke, wide: true, kindPrefix: false).Render().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Matches(@"^NAME\s+URL\s+REF\s+REVISION\s+SUSPENDED\s+READY\s+STATUS\s+AGE\s+PATH\s+LAST SYNC\s+NEXT SYNC\s+SOURCE$", lines[0]);
        Assert.Matches(@"^platform\s+\S+\s+branch main\s+\S+\s+True\s+Unknown\s", lines[1]);
        Assert.DoesNotContain("in 30s", lines[1]);
        Assert.Matches(@"^platform\s+\S+\s+branch main\s+\S+\s+False\s+Unknown\s", lines[2]);
        Assert.Contains("in 30s", lines[2]);
    }
}
