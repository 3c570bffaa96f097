using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Core.Sources;
using Agent.Sources;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Sources;

/// <summary>How the folder is read and turned into desired state: what holds, what is a deletion.</summary>
public sealed class FolderReadTests() : ManifestFolderTestBase("source")
{

    private static string Group(string name) =>
        $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {name}\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n";

    private ManifestStore Store(long maxBytes = ManifestFolder.DefaultMaxFileBytes) =>
        NewStore(new ManifestFolder(Root, maxFileBytes: maxBytes));

    private static ObjectKey Key(string name) => new(ServiceGroup.KindName, name);

    [Fact]
    public void Empty_whitespace_oversize_and_dangling_files_are_problems_not_manifests()
    {
        Write("empty.yaml", "");
        Write("blank.yaml", " \n\t\n");
        Write("big.yaml", Group("big") + "# " + new string('x', 200) + "\n"); // over 150 bytes
        File.CreateSymbolicLink(Path.Combine(Root, "gone.yaml"), "/nonexistent/gone.yaml");
        Directory.CreateSymbolicLink(Path.Combine(Root, "apps"), "/nonexistent/apps");
        Write("ok.yaml", Group("ok"));

        var snapshot = new ManifestFolder(Root, maxFileBytes: 150).Read();

        Assert.True(snapshot.IsComplete);
        Assert.Equal(["ok.yaml"], snapshot.Files.Select(f => f.File));
        Assert.Equal(
            ["apps dangling_link", "big.yaml too_large", "blank.yaml empty", "empty.yaml empty", "gone.yaml dangling_link"],
            snapshot.Problems.Select(p => $"{p.Path} {p.Reason}"));
        Assert.All(snapshot.Problems, p => Assert.True(p.HidesObjects));
    }

    [Fact]
    public void A_folder_link_out_of_the_manifests_folder_is_never_walked_and_named_once_when_it_holds_manifests()
    {
        // probe-15n F3: `ln -s / root` was walked to 50,000 entries per read (/proc, /dev), and the names and link
        // targets found there were reported to viewers and the log.
        var manifests = Directory.CreateTempSubdirectory("outside-m-");
        var envs = Directory.CreateTempSubdirectory("outside-e-");
        try
        {
            Directory.CreateDirectory(Path.Combine(manifests.FullName, "deep"));
            File.WriteAllText(Path.Combine(manifests.FullName, "deep", "g.yaml"), Group("x"));
            File.CreateSymbolicLink(Path.Combine(manifests.FullName, "gone"), "/nonexistent");
            File.WriteAllText(Path.Combine(envs.FullName, "db.env"), "A=1\n");
            File.CreateSymbolicLink(Path.Combine(envs.FullName, "gone"), "/nonexistent");
            Directory.CreateSymbolicLink(Path.Combine(Root, "root"), "/");
            Directory.CreateSymbolicLink(Path.Combine(Root, "team"), manifests.FullName);
            Directory.CreateSymbolicLink(Path.Combine(Root, "envs"), envs.FullName); // env files or a build context: nothing to say
            Write("ok.yaml", Group("ok"));

            var snapshot = new ManifestFolder(Root).Read();

            Assert.True(snapshot.IsComplete);
            Assert.Equal(["ok.yaml"], snapshot.Files.Select(f => f.File));
            Assert.Equal([$"root outside_root: links outside the manifests folder (to /); not read", $"team outside_root: links outside the manifests folder (to {manifests.FullName}); not read"],
                snapshot.Problems.Select(p => $"{p.Path} {p.Reason}: {p.Message}"));
            Assert.All(snapshot.Problems, p => Assert.True(p.HidesObjects)); // what it defined is held, never deleted
        }
        finally
        {
            manifests.Delete(recursive: true);
            envs.Delete(recursive: true);
        }
    }

    [Fact]
    public void Links_out_of_the_manifests_folder_are_not_read_and_their_content_is_never_echoed()
    {
        var outside = Directory.CreateTempSubdirectory("outside-");
        try
        {
            File.WriteAllText(Path.Combine(outside.FullName, "secret.yaml"), "root:*:20228:0:99999:7:::\n");
            File.CreateSymbolicLink(Path.Combine(Root, "shadow.yaml"), Path.Combine(outside.FullName, "secret.yaml"));
            Directory.CreateSymbolicLink(Path.Combine(Root, "shared"), outside.FullName);
            Write("ok.yaml", Group("ok"));

            var snapshot = new ManifestFolder(Root).Read();

            Assert.True(snapshot.IsComplete);
            Assert.Equal(["ok.yaml"], snapshot.Files.Select(f => f.File));
            Assert.Equal(["shadow.yaml outside_root", "shared outside_root"], snapshot.Problems.Select(p => $"{p.Path} {p.Reason}"));
            Assert.All(snapshot.Problems, p => Assert.DoesNotContain("root:*", p.Message));
            Assert.All(snapshot.Problems, p => Assert.True(p.HidesObjects));
        }
        finally
        {
            outside.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_symlink_loop_is_read_once_and_reported_and_a_second_link_to_a_folder_is_not_read_twice()
    {
        Write("g.yaml", Group("g"));
        Write("sub/h.yaml", Group("h"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "current"), ".");
        Directory.CreateSymbolicLink(Path.Combine(Root, "sub", "up"), "..");
        Directory.CreateSymbolicLink(Path.Combine(Root, "again"), "sub");

        var snapshot = new ManifestFolder(Root).Read();

        Assert.Equal(["g.yaml", "sub/h.yaml"], snapshot.Files.Select(f => f.File));
        Assert.Equal(["again", "current", "sub/up"], snapshot.Problems.Select(p => p.Path));
        Assert.All(snapshot.Problems, p => Assert.Equal(SourceProblemReasons.SymlinkLoop, p.Reason));
        Assert.All(snapshot.Problems, p => Assert.False(p.HidesObjects));
    }

    [Fact]
    public void A_missing_folder_is_a_failed_read_not_an_empty_one()
    {
        var snapshot = new ManifestFolder(Path.Combine(Root, "typo")).Read();
        Assert.False(snapshot.IsComplete);
        Assert.Contains("typo does not exist", snapshot.RootError);
    }

    [Fact]
    public void An_unchanged_folder_is_not_parsed_again()
    {
        Write("g.yaml", Group("g"));
        var store = Store();
        Assert.Single(store.Reload());
        Assert.Equal(1, store.ReadVersion);
        Assert.Empty(store.Reload());
        Assert.Equal(1, store.ReadVersion);
        Write("g.yaml", Group("g").Replace("busybox:1.35", "busybox:latest"));
        Assert.Single(store.Reload());
        Assert.Equal(2, store.ReadVersion);
    }

    [Fact]
    public void A_file_that_cannot_be_read_holds_its_objects_and_an_empty_folder_read_fine_is_a_deletion()
    {
        Write("a.yaml", Group("a"));
        Write("b.yaml", Group("b"));
        var store = Store();
        store.Reload();

        Write("a.yaml", "");
        store.Reload();
        var held = store.Get(Key("a"))!;
        Assert.True(held.IsBroken);
        Assert.Equal(DesiredEntry.ManifestUnreadable, held.HeldReason);
        Assert.NotNull(held.Object);
        Assert.Contains("a.yaml:1:1: file is empty", held.Errors[0].ToString());

        File.Delete(Path.Combine(Root, "a.yaml"));
        File.Delete(Path.Combine(Root, "b.yaml"));
        store.Reload();
        Assert.Empty(store.All());
        Assert.Null(store.PruneHold(Key("a")));
        Assert.Null(store.PruneHold(Key("b")));
    }

    [Fact]
    public void A_manifest_file_replaced_by_a_folder_of_its_name_holds_its_objects_and_says_so()
    {
        Write("a.yaml", Group("a"));
        var store = Store();
        store.Reload();

        File.Delete(Path.Combine(Root, "a.yaml"));
        Directory.CreateDirectory(Path.Combine(Root, "a.yaml"));
        store.Reload();
        var held = store.Get(Key("a"))!;
        Assert.Equal(DesiredEntry.ManifestUnreadable, held.HeldReason);
        Assert.NotNull(held.Object);
        Assert.Contains("a.yaml:1:1: is a folder, not a manifest file", held.Errors[0].ToString());
    }

    [Fact]
    public void A_copy_of_a_running_object_in_a_file_that_sorts_first_is_the_duplicate_not_the_running_objects_own_manifest()
    {
        // probe-33 F6: aa-dup.yaml dropped beside sg.yaml took the name: sg.yaml, which runs the object, got the error.
        Write("sg.yaml", Group("a"));
        var store = Store();
        store.Reload();

        Write("aa-dup.yaml", Group("a").Replace("busybox:1.35", "busybox:other"));
        for (var i = 0; i < 2; i++) // and it stays so at the next read
        {
            store.Reload();
            var held = store.Get(Key("a"))!;
            Assert.Equal("busybox:1.35", ((ServiceGroup)held.Object!).Spec.Services[0].Container.Image);
            Assert.Equal("aa-dup.yaml:4:9: metadata.name: ServiceGroup/a is already defined at sg.yaml:1:1", Assert.Single(held.Errors).ToString());
        }

        File.Delete(Path.Combine(Root, "aa-dup.yaml"));
        store.Reload();
        Assert.Empty(store.Get(Key("a"))!.Errors);
    }

    [Fact]
    public void A_folder_that_cannot_be_read_holds_everything()
    {
        Write("a.yaml", Group("a"));
        var store = Store();
        store.Reload();
        Directory.Move(Root, Root + "-away");
        try
        {
            Assert.Empty(store.Reload());
            Assert.NotNull(store.Get(Key("a"))!.Object);
            Assert.Contains("does not exist", store.SourceError);
            Assert.Contains("nothing is pruned", store.PruneHold(Key("other")));
        }
        finally
        {
            Directory.Move(Root + "-away", Root);
        }
        store.Reload();
        Assert.Null(store.SourceError);
    }

    [Fact]
    public void A_fresh_process_holds_what_an_unreadable_file_defined_in_the_last_run_and_whatever_it_cannot_place()
    {
        Write("a.yaml", Group("a"));
        Write("b.yaml", Group("b"));
        Store().Reload(); // the last run: writes the index to the state dir

        File.Delete(Path.Combine(Root, "a.yaml"));
        File.CreateSymbolicLink(Path.Combine(Root, "a.yaml"), "/nonexistent/a.yaml");
        var fresh = Store();
        fresh.Reload();

        var held = fresh.Get(Key("a"))!;
        Assert.True(held.IsBroken);
        Assert.Null(held.Object); // unknown content: nothing to apply, nothing to prune
        Assert.Contains("a.yaml:1:1: dangling symlink", held.Errors[0].ToString());
        Assert.Contains("may define ServiceGroup/stranger", fresh.PruneHold(Key("stranger")));
        // A run of POST /run (its volumes) is never defined by a manifest: an unreadable file neither keeps it nor claims it may.
        Assert.Null(fresh.PruneHold(new ObjectKey("Run", "r1")));
        Assert.Null(fresh.KeepReason(new ObjectKey("Run", "r1")));
    }

    [Fact]
    public void Without_an_index_nothing_without_a_manifest_is_pruned_while_a_file_cannot_be_read()
    {
        Write("b.yaml", Group("b"));
        Write("a.yaml", "");
        var store = Store();
        store.Reload();
        Assert.NotNull(store.PruneHold(Key("a")));
        Assert.Null(store.PruneHold(Key("b")));
        Assert.Null(store.Get(Key("a")));
    }

    [Fact]
    public void Before_the_first_read_nothing_may_be_pruned() =>
        Assert.Contains("not been read", Store().PruneHold(Key("a")));

    [Fact]
    public void A_git_repository_without_a_revision_yet_holds_every_removal_until_it_has_one()
    {
        Write("a.yaml", Group("a"));
        var store = NewStore(checkouts: new GitCheckouts(Options()));
        store.Reload();
        Assert.Null(store.PruneHold(Key("gone")));

        // a.yaml moves into a repository that has not been fetched yet: its group may come back from there
        File.Delete(Path.Combine(Root, "a.yaml"));
        Write("repo.yaml", "apiVersion: agent/v1\nkind: GitRepository\nmetadata: { name: platform }\nspec:\n  url: file:///nonexistent/platform.git\n  ref: { branch: main }\n");
        store.Reload();
        Assert.Null(store.Get(Key("a")));
        Assert.Contains("GitRepository platform has no revision checked out yet", store.PruneHold(Key("a")));
    }

    [Fact]
    public void A_state_file_that_could_not_be_written_is_written_at_a_later_read_once_it_can_be()
    {
        Write("a.yaml", Group("a"));
        var blocked = Path.Combine(StateDir, ManifestIndex.FileName);
        Directory.CreateDirectory(Path.Combine(blocked, "x")); // a folder in its place: the write fails, as on a full disk
        var store = NewStore();
        store.Reload();
        Assert.False(File.Exists(blocked));

        Directory.Delete(blocked, recursive: true);
        store.Reload(); // nothing changed on disk: still written now

        Assert.Equal("a.yaml", new ManifestIndex(StateDir).Load(NullLogger.Instance)![Key("a")]);
    }

    [Fact]
    public void A_second_file_defining_a_running_GitRepository_name_does_not_take_it_over()
    {
        var store = NewStore(checkouts: new GitCheckouts(Options()));
        static string Repo(string url) => $"apiVersion: agent/v1\nkind: GitRepository\nmetadata: {{ name: ops }}\nspec:\n  url: {url}\n  ref: {{ branch: main }}\n";
        Write("git.yaml", Repo("file:///srv/ops.git"));
        store.Reload();
        Assert.Equal("file:///srv/ops.git", Assert.Single(store.Repositories).Spec.Url);

        Write("dup.yaml", Repo("file:///srv/other.git")); // sorts first (probe-13b B8: it took the name over)
        store.Reload();
        Assert.Equal("file:///srv/ops.git", Assert.Single(store.Repositories).Spec.Url);
        Assert.True(store.Get(new ObjectKey(GitRepository.KindName, "ops"))!.IsBroken);

        File.Delete(Path.Combine(Root, "dup.yaml"));
        store.Reload();
        Assert.Equal("file:///srv/ops.git", Assert.Single(store.Repositories).Spec.Url);
    }
}
