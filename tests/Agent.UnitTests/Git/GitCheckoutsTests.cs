using Agent.Sources;

namespace Agent.UnitTests.Git;

/// <summary>The checkouts in STATE/git/NAME: the current and the previous good revision are kept, everything else goes.</summary>
public sealed class GitCheckoutsTests : IDisposable
{
    private readonly DirectoryInfo state = Directory.CreateTempSubdirectory("agent-checkouts-");
    private readonly GitCheckouts checkouts;

    public GitCheckoutsTests() =>
        checkouts = new GitCheckouts(Microsoft.Extensions.Options.Options.Create(new Agent.Hosting.AgentOptions { StateDir = state.FullName }));

    public void Dispose() => state.Delete(recursive: true);

    private void Publish(string commit)
    {
        var staging = checkouts.NewStaging("platform");
        File.WriteAllText(Path.Combine(staging, "web.yaml"), commit);
        checkouts.Publish("platform", staging, commit);
        checkouts.Clean("platform");
    }

    // The tree records written beside each checkout (COMMIT.tree) are checked in their own test.
    private string[] Entries() =>
        Directory.EnumerateFileSystemEntries(checkouts.Folder("platform")).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.EndsWith(".tree", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void A_file_missing_or_changed_in_a_checkout_makes_it_damaged_and_publishing_the_commit_again_repairs_it()
    {
        Publish("c1");
        var current = checkouts.Current("platform")!;
        Assert.True(checkouts.Intact(current));
        File.Delete(Path.Combine(current.Folder, "web.yaml"));
        Assert.False(checkouts.Intact(current));

        Publish("c1"); // the next sync of the unchanged remote checks the commit out again
        Assert.True(checkouts.Intact(checkouts.Current("platform")!));
        Assert.Equal("c1", File.ReadAllText(Path.Combine(current.Folder, "web.yaml")));
        Assert.Null(checkouts.Previous("platform"));

        File.WriteAllText(Path.Combine(current.Folder, "web.yaml"), "truncated or rewritten");
        Assert.False(checkouts.Intact(current));
    }

    [Fact]
    public void A_repository_folder_or_the_git_root_turned_into_a_link_is_unlinked_and_nothing_behind_it_is_written_or_deleted()
    {
        // probe-29 F5 (HIGH): STATE/git/NAME (or STATE/git) replaced by a link to a folder of the user's: the next sync
        // fetched and checked out into it and deleted its folders as old checkouts; with STATE/git a link, a folder
        // there named like no repository was deleted whole as a stale one.
        Publish("c1");
        foreach (var level in new[] { checkouts.Folder("platform"), checkouts.Root })
        {
            var theirs = Directory.CreateTempSubdirectory("agent-theirs-").FullName;
            try
            {
                var precious = Path.Combine(theirs, "myproject", "src", "main.c");
                Directory.CreateDirectory(Path.GetDirectoryName(precious)!);
                File.WriteAllText(precious, "my code");
                Directory.CreateDirectory(Path.Combine(theirs, "1111111111111111111111111111111111111111"));
                Directory.Delete(level, recursive: true);
                Directory.CreateSymbolicLink(level, theirs);

                Assert.DoesNotContain("myproject", checkouts.Known()); // the git root link is unlinked first
                checkouts.Remove("myproject");
                checkouts.Clean("platform");
                checkouts.Recover("platform");
                Assert.Null(checkouts.Current("platform")); // what the link holds is never read as a checkout
                Publish("c2");
                Assert.Null(new DirectoryInfo(level).LinkTarget);
                Assert.Equal("c2", File.ReadAllText(Path.Combine(checkouts.Current("platform")!.Folder, "web.yaml")));
                Assert.Equal("my code", File.ReadAllText(precious));
                Assert.True(Directory.Exists(Path.Combine(theirs, "1111111111111111111111111111111111111111")));
                Assert.False(Directory.Exists(Path.Combine(theirs, "c2")));
            }
            finally
            {
                Directory.Delete(theirs, recursive: true);
            }
        }
    }

    [Fact]
    public void A_current_link_re_pointed_outside_the_store_or_at_a_linked_commit_folder_is_no_revision_and_a_fresh_checkout_is_read_anew()
    {
        // probe-30 F17 (current re-pointed at a folder of the user's: its manifests were applied) and F10 (the commit's
        // folder replaced by a link; the same commit checked out again did not change what the store fingerprints).
        Publish("c1");
        var folder = checkouts.Folder("platform");
        var theirs = Directory.CreateTempSubdirectory("agent-theirs-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(theirs, "evil.yaml"), "theirs");
            foreach (var target in new[] { theirs, "../../../" + Path.GetFileName(theirs), GitCheckouts.CacheFolder, ".staging-x" })
            {
                File.Delete(Path.Combine(folder, "current"));
                File.CreateSymbolicLink(Path.Combine(folder, "current"), target);
                Assert.Null(checkouts.Current("platform"));
                Assert.Contains("not a checkout of the state dir", checkouts.CurrentProblem("platform"));
            }
            File.Delete(Path.Combine(folder, "current"));
            File.CreateSymbolicLink(Path.Combine(folder, "current"), "c1");
            Assert.Equal("c1", checkouts.Current("platform")!.Commit);
            Assert.Null(checkouts.CurrentProblem("platform"));

            var before = checkouts.Fingerprint();
            Directory.Move(Path.Combine(folder, "c1"), Path.Combine(theirs, "c1"));
            Directory.CreateSymbolicLink(Path.Combine(folder, "c1"), Path.Combine(theirs, "c1"));
            Assert.Null(checkouts.Current("platform"));
            Assert.Contains("is a symbolic link", checkouts.CurrentProblem("platform"));
            Publish("c1"); // the next sync checks the commit out again
            Assert.Null(new DirectoryInfo(Path.Combine(folder, "c1")).LinkTarget);
            Assert.Equal("c1", checkouts.Current("platform")!.Commit);
            Assert.NotEqual(before, checkouts.Fingerprint()); // read anew at once, not at the next resync
            Assert.Equal(["c1", "evil.yaml"], Directory.EnumerateFileSystemEntries(theirs).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.Equal("c1", File.ReadAllText(Path.Combine(theirs, "c1", "web.yaml")));
        }
        finally
        {
            Directory.Delete(theirs, recursive: true);
        }
    }

    [Fact]
    public void The_current_and_the_previous_good_revision_are_kept_and_refused_or_older_ones_removed()
    {
        Publish("c1");
        Assert.Equal(["c1", "current"], Entries());
        Publish("c2");
        Assert.Equal(["c1", "c2", "current", "previous"], Entries());
        Assert.Equal("c1", checkouts.Previous("platform"));

        // A refused revision's staging folder (and one left by a crash) is cleaned; current and previous stay.
        checkouts.NewStaging("platform");
        Directory.CreateDirectory(Path.Combine(checkouts.Folder("platform"), "c9-refused"));
        checkouts.Clean("platform");
        Assert.Equal(["c1", "c2", "current", "previous"], Entries());

        Publish("c3");
        Assert.Equal(["c2", "c3", "current", "previous"], Entries());
        Assert.Equal("c3", checkouts.Current("platform")!.Commit);
        Assert.Equal("c2", checkouts.Previous("platform"));

        // A force-push back to the previous revision: it becomes current, the one it replaced becomes previous.
        Publish("c2");
        Assert.Equal(["c2", "c3", "current", "previous"], Entries());
        Assert.Equal("c3", checkouts.Previous("platform"));
    }

    [Fact]
    public void The_agents_own_folders_in_the_git_state_are_not_repositories()
    {
        Publish("c1");
        Directory.CreateDirectory(Path.Combine(checkouts.Root, ".home"));
        Directory.CreateDirectory(Path.Combine(checkouts.Root, ".running"));
        Assert.Equal(["platform"], checkouts.Known());
    }

    [Fact]
    public void Recovering_after_a_crash_removes_staging_folders_and_git_lock_files()
    {
        Publish("c1");
        var staging = checkouts.NewStaging("platform");
        var cache = Directory.CreateDirectory(Path.Combine(checkouts.Folder("platform"), GitCheckouts.CacheFolder, "refs", "heads")).Parent!.Parent!.FullName;
        File.WriteAllText(Path.Combine(cache, "shallow.lock"), "");
        File.WriteAllText(Path.Combine(cache, "refs", "heads", "main.lock"), "");
        File.WriteAllText(Path.Combine(cache, "config"), "");
        checkouts.Recover("platform");
        Assert.False(Directory.Exists(staging));
        Assert.Empty(Directory.EnumerateFiles(cache, "*.lock", SearchOption.AllDirectories));
        Assert.True(File.Exists(Path.Combine(cache, "config")));
        Assert.Equal("c1", checkouts.Current("platform")!.Commit);
    }
}
