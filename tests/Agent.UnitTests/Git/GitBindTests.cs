using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Git;

/// <summary>Binds into a repository: allowed inside that repository's checkout only (after symlinks), and run from
/// copies named by their content.</summary>
public sealed class GitBindTests : IDisposable
{
    private const string State = "/var/lib/agent";
    private static readonly SecurityOptions Options = new() { SensitivePaths = [.. new SecurityOptions().SensitivePaths, State] };
    private readonly DirectoryInfo temp = Directory.CreateTempSubdirectory("agent-git-binds-");

    public void Dispose() => temp.Delete(recursive: true);

    private static IReadOnlyList<Violation> Check(string source, Func<string, string>? links = null) =>
        new SecurityPolicy(Options).Check(new ContainerSpec { Image = "busybox:1.35", Mounts = [new MountSpec(MountType.Bind, source, "/x", true)] },
            new AdmissionContext(links ?? (p => p), _ => false)
            {
                OwnBindRoots = [$"{State}/git/platform/current", $"{State}/git/platform/0a1b"],
            });

    [Fact]
    public void A_bind_inside_the_repositorys_checkout_is_allowed()
    {
        Assert.Empty(Check($"{State}/git/platform/current/apps/www"));
        Assert.Empty(Check($"{State}/git/platform/current/apps/www", p => p.Replace("/current/", "/0a1b/")));
    }

    [Theory]
    [InlineData(State + "/git/other/current/www")]   // another repository
    [InlineData(State + "/git/platform")]            // above the checkout: its cache and every revision
    [InlineData(State + "/tokens")]                  // the rest of the state dir
    public void A_bind_outside_the_checkout_stays_refused(string source) =>
        Assert.Contains("is inside /var/lib/agent", Assert.Single(Check(source)).Message);

    [Fact]
    public void Binds_of_a_repositorys_compose_file_or_ServiceGroup_outside_its_checkout_are_errors_at_the_field()
    {
        // probe-13 F9: a compose stack could bind ../../secrets (the agent's own deploy key) or any absolute host folder.
        var checkout = Directory.CreateDirectory(Path.Combine(temp.FullName, "checkout")).FullName;
        var secrets = Directory.CreateDirectory(Path.Combine(temp.FullName, "secrets")).FullName;
        Directory.CreateDirectory(Path.Combine(checkout, "apps", "stack", "conf"));
        File.WriteAllText(Path.Combine(checkout, "apps", "stack", "compose.yaml"),
            $"services:\n  a:\n    image: busybox:1.35\n    volumes:\n      - ../../../secrets:/sec:ro\n      - {secrets}:/sec2:ro\n      - ./conf:/conf:ro\n"
            + "    secrets: [s]\n    configs: [c]\nsecrets:\n  s:\n    file: ../../../secrets/tokens\nconfigs:\n  c:\n    file: ./conf/app.conf\n");
        File.WriteAllText(Path.Combine(secrets, "tokens"), "admin:x");
        File.WriteAllText(Path.Combine(checkout, "apps", "stack", "conf", "app.conf"), "c");
        File.WriteAllText(Path.Combine(checkout, "apps", "web.yaml"),
            $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: web\nspec:\n  services:\n    - name: s\n      image: busybox:1.35\n      volumes: [\"{secrets}:/s:ro\", \"./stack/conf:/c:ro\"]\n");
        var set = new ManifestFolder(Path.Combine(checkout, "apps")) { ConfinedTo = checkout }.Load(SecurityPolicy.Default);
        var errors = set.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.Contains("compose.yaml:5:", StringComparison.Ordinal) && e.Contains("\"../../../secrets\": the bind source is outside the repository's checkout", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("compose.yaml:6:", StringComparison.Ordinal) && e.Contains("is outside the repository's checkout", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("web.yaml:9:", StringComparison.Ordinal) && e.Contains("is outside the repository's checkout", StringComparison.Ordinal));
        // A secret file outside the checkout is said so, without the host path (probe-13 F10: "not found (/var/lib/agent/tokens)").
        Assert.Contains(errors, e => e.Contains("compose.yaml:12:", StringComparison.Ordinal)
                                     && e.Contains("secret file \"../../../secrets/tokens\" is outside the repository's checkout", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.Contains("secrets.s", StringComparison.Ordinal) && e.Contains(secrets, StringComparison.Ordinal));
        Assert.Equal(4, errors.Count(e => e.Contains("outside the repository's checkout", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_bind_that_leaves_the_checkout_through_a_symlink_is_refused() =>
        Assert.Contains("is inside /var/lib/agent", Assert.Single(Check($"{State}/git/platform/current/apps/link", _ => $"{State}/git/other/0a1b")).Message);

    [Fact]
    public void Copies_are_named_by_content_and_unused_ones_are_collected()
    {
        var store = new GitBindStore(Microsoft.Extensions.Options.Options.Create(new Agent.Hosting.AgentOptions { StateDir = temp.FullName }));
        var www = Directory.CreateDirectory(Path.Combine(temp.FullName, "checkout", "www")).FullName;
        File.WriteAllText(Path.Combine(www, "index.html"), "v1");
        var first = store.Materialize("platform", www, "apps/www");
        Assert.Equal("v1", File.ReadAllText(Path.Combine(first, "index.html")));
        Assert.Equal(first, store.Materialize("platform", www, "apps/www")); // same content, same copy

        File.WriteAllText(Path.Combine(www, "index.html"), "v2");
        var second = store.Materialize("platform", www, "apps/www");
        Assert.NotEqual(first, second);
        Assert.Equal("v1", File.ReadAllText(Path.Combine(first, "index.html"))); // the copy in use is not changed under it

        Assert.Equal(1, store.Collect("platform", copy => second.StartsWith(copy + "/", StringComparison.Ordinal)));
        Assert.False(Directory.Exists(first));
        Assert.True(Directory.Exists(second));
    }

    [Fact]
    public void A_copy_a_container_wrote_into_is_kept_not_deleted_once_no_container_binds_it()
    {
        // probe-26 F7 (HIGH): a commit changing a folder a container bound writable recreated it on the new content and
        // deleted the old copy, with what the container had written there.
        var store = new GitBindStore(Microsoft.Extensions.Options.Options.Create(new Agent.Hosting.AgentOptions { StateDir = temp.FullName }));
        var checkout = Path.Combine(temp.FullName, "checkout");
        var data = Directory.CreateDirectory(Path.Combine(checkout, "data", "sub")).Parent!.FullName;
        File.WriteAllText(Path.Combine(data, "seed.txt"), "v1");
        File.WriteAllText(Path.Combine(data, "sub", "run.sh"), "#!/bin/sh\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(data, "sub", "run.sh"), (UnixFileMode)0b111_101_101);
        var config = Directory.CreateDirectory(Path.Combine(checkout, "config")).FullName;
        File.WriteAllText(Path.Combine(config, "app.conf"), "c1");
        var written = store.Materialize("platform", data, "apps/data");
        var untouched = store.Materialize("platform", config, "apps/config");
        var empty = store.Materialize("platform", Path.Combine(checkout, "none"), "apps/none"); // missing from the repository: made empty
        File.WriteAllText(Path.Combine(written, "db.sqlite"), "rows"); // what the container wrote

        Assert.Equal(2, store.Collect("platform", _ => false)); // the untouched and the empty copy go
        Assert.False(Path.Exists(untouched));
        Assert.False(Path.Exists(empty));
        var kept = Path.Combine(store.KeptRoot, "platform", Path.GetFileName(Path.GetDirectoryName(written))!, "data");
        Assert.Equal("rows", File.ReadAllText(Path.Combine(kept, "db.sqlite")));
        Assert.False(Path.Exists(written));
        Assert.Equal(0, store.Collect("platform", _ => false)); // kept once, outside what is collected
    }

    [Fact]
    public void Two_folders_of_the_same_content_are_two_copies_each_under_its_own_name_and_one_path_is_one_copy()
    {
        var store = new GitBindStore(Microsoft.Extensions.Options.Options.Create(new Agent.Hosting.AgentOptions { StateDir = temp.FullName }));
        var checkout = Path.Combine(temp.FullName, "checkout");
        foreach (var app in new[] { "app1", "app2" })
        {
            Directory.CreateDirectory(Path.Combine(checkout, app, "data"));
            File.WriteAllText(Path.Combine(checkout, app, "data", ".gitkeep"), "");
        }
        var one = store.Materialize("platform", Path.Combine(checkout, "app1", "data"), "app1/data");
        var two = store.Materialize("platform", Path.Combine(checkout, "app2", "data"), "app2/data");
        Assert.NotEqual(one, two); // a writable bind of app1/data is not app2's
        Assert.Equal("data", Path.GetFileName(one));
        Assert.Equal("data", Path.GetFileName(two));
        Assert.True(File.Exists(Path.Combine(two, ".gitkeep")));
        Assert.Equal(one, store.Materialize("platform", Path.Combine(checkout, "app1", "data"), "app1/data"));
        var missingA = store.Materialize("platform", Path.Combine(checkout, "www sp"), "www sp");
        var missingB = store.Materialize("platform", Path.Combine(checkout, "app2", "-wd"), "app2/-wd");
        Assert.True(Directory.Exists(missingA) && Directory.Exists(missingB) && missingA != missingB);
        Assert.Equal("platform", Path.GetFileName(store.Materialize("platform", checkout, "."))); // the whole repository
    }

    [Fact]
    public void A_copy_removed_from_the_state_dir_is_made_again_while_its_checkout_holds_the_same_content()
    {
        var store = new GitBindStore(Microsoft.Extensions.Options.Options.Create(new Agent.Hosting.AgentOptions { StateDir = temp.FullName }));
        var www = Directory.CreateDirectory(Path.Combine(temp.FullName, "checkout", "www")).FullName;
        File.WriteAllText(Path.Combine(www, "index.html"), "v1");
        var conf = Path.Combine(temp.FullName, "checkout", "app.conf");
        File.WriteAllText(conf, "c1");
        var folder = store.Materialize("platform", www, "apps/www");
        var file = store.Materialize("platform", conf, "apps/app.conf");

        Directory.Delete(store.Root, recursive: true); // rm -rf STATE/git/.binds
        Assert.True(store.Restore(folder));
        Assert.True(store.Restore(file));
        Assert.Equal("v1", File.ReadAllText(Path.Combine(folder, "index.html")));
        File.Delete(file); // one copy alone, its digest folder left
        Assert.True(store.Restore(file));
        Assert.Equal("c1", File.ReadAllText(file));

        Assert.False(store.Restore(folder)); // there: nothing to do
        Directory.Delete(folder, recursive: true);
        File.WriteAllText(Path.Combine(www, "index.html"), "v2"); // a newer revision changed it: not this copy's content
        Assert.False(store.Restore(folder));
        Assert.False(Path.Exists(folder));
        Assert.False(store.Restore(Path.Combine(temp.FullName, "elsewhere", "www"))); // not a copy of the store
    }

    [Fact]
    public void A_copy_changed_in_the_state_dir_is_made_again_in_place_unless_a_container_binds_it_writable()
    {
        // probe-26 F3: a damaged (not missing) copy was never checked; containers ran on it, their group Ready.
        var store = new GitBindStore(Microsoft.Extensions.Options.Options.Create(new Agent.Hosting.AgentOptions { StateDir = temp.FullName }));
        var www = Directory.CreateDirectory(Path.Combine(temp.FullName, "checkout", "www", "css")).Parent!.FullName;
        File.WriteAllText(Path.Combine(www, "index.html"), "v1");
        File.WriteAllText(Path.Combine(www, "css", "site.css"), "s1");
        var conf = Path.Combine(temp.FullName, "checkout", "app.conf");
        File.WriteAllText(conf, "c1");
        var data = Directory.CreateDirectory(Path.Combine(temp.FullName, "checkout", "data")).FullName;
        File.WriteAllText(Path.Combine(data, "seed"), "d1");
        var folder = store.Materialize("platform", www, "apps/www");
        var file = store.Materialize("platform", conf, "apps/app.conf");
        var written = store.Materialize("platform", data, "apps/data", writable: true);

        File.Delete(Path.Combine(folder, "index.html"));
        File.WriteAllText(Path.Combine(folder, "css", "site.css"), "tampered");
        File.WriteAllText(Path.Combine(folder, "extra"), "x");
        File.WriteAllText(file, "tampered");
        using (var held = File.OpenRead(file)) // a running container's bind: the same file, rewritten
        {
            Assert.True(store.Restore(folder));
            Assert.True(store.Restore(file));
            using var reader = new StreamReader(held);
            Assert.Equal("c1", reader.ReadToEnd());
        }
        Assert.Equal(["css", "index.html"], Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order());
        Assert.Equal(("v1", "s1"), (File.ReadAllText(Path.Combine(folder, "index.html")), File.ReadAllText(Path.Combine(folder, "css", "site.css"))));
        Assert.False(store.Restore(folder)); // intact: nothing to do

        File.WriteAllText(Path.Combine(written, "db"), "rows"); // what a container wrote into its writable bind
        Assert.False(store.Restore(written));
        Assert.Equal("rows", File.ReadAllText(Path.Combine(written, "db")));

        // A link put in a copy's place is replaced, never written through.
        var elsewhere = Directory.CreateDirectory(Path.Combine(temp.FullName, "elsewhere")).FullName;
        File.WriteAllText(Path.Combine(elsewhere, "keep"), "k");
        Directory.Delete(folder, recursive: true);
        Directory.CreateSymbolicLink(folder, elsewhere);
        Assert.True(store.Restore(folder));
        Assert.Null(new DirectoryInfo(folder).LinkTarget);
        Assert.Equal("v1", File.ReadAllText(Path.Combine(folder, "index.html")));
        Assert.Equal(["keep"], Directory.EnumerateFileSystemEntries(elsewhere).Select(Path.GetFileName));

        // Changed, while the checkout holds other content (a newer revision): left to the recreate from the new copy.
        File.WriteAllText(Path.Combine(folder, "index.html"), "tampered");
        File.WriteAllText(Path.Combine(www, "index.html"), "v2");
        Assert.False(store.Restore(folder));
    }

    [Fact]
    public void A_level_of_the_store_turned_into_a_link_is_removed_never_written_through()
    {
        // probe-28 F9 (HIGH): the digest folder (or the repository's folder) replaced by a link: the repair rewrote the
        // link's target and deleted a file there; then the container was refused for ever.
        var store = new GitBindStore(Microsoft.Extensions.Options.Options.Create(new Agent.Hosting.AgentOptions { StateDir = temp.FullName }));
        var www = Directory.CreateDirectory(Path.Combine(temp.FullName, "checkout", "www")).FullName;
        File.WriteAllText(Path.Combine(www, "index.html"), "v1");
        var copy = store.Materialize("platform", www, "apps/www");
        var digestFolder = Path.GetDirectoryName(copy)!;
        // probe-29 F1: also the store itself (.binds) and the git root above it.
        foreach (var level in new[] { digestFolder, Path.GetDirectoryName(digestFolder)!, store.Root, Path.GetDirectoryName(store.Root)! })
        {
            var evil = Directory.CreateDirectory(Path.Combine(temp.FullName, $"evil-{Path.GetFileName(level)}")).FullName;
            var inEvil = Path.Combine(evil, Path.GetRelativePath(level, copy));
            Directory.CreateDirectory(inEvil);
            File.WriteAllText(Path.Combine(inEvil, "index.html"), "theirs");
            File.WriteAllText(Path.Combine(inEvil, "precious.txt"), "keep");
            Directory.Delete(level, recursive: true);
            Directory.CreateSymbolicLink(level, evil);

            store.Collect("platform", _ => false); // nothing in use: still nothing deleted through the link
            Assert.True(File.Exists(Path.Combine(inEvil, "precious.txt")));
            Assert.True(store.Restore(copy));
            Assert.Null(new DirectoryInfo(level).LinkTarget);
            Assert.Equal("v1", File.ReadAllText(Path.Combine(copy, "index.html")));
            Assert.Equal(("theirs", "keep"), (File.ReadAllText(Path.Combine(inEvil, "index.html")), File.ReadAllText(Path.Combine(inEvil, "precious.txt"))));

        }
    }

    [Fact]
    public void Copies_in_use_are_checked_once_per_process_and_a_writable_one_is_never_repaired()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new Agent.Hosting.AgentOptions { StateDir = temp.FullName });
        var checkout = Directory.CreateDirectory(Path.Combine(temp.FullName, "checkout")).FullName;
        File.WriteAllText(Path.Combine(checkout, "app.conf"), "c1");
        File.WriteAllText(Path.Combine(checkout, "unused.conf"), "u1");
        var data = Directory.CreateDirectory(Path.Combine(checkout, "data")).FullName;
        var first = new GitBindStore(options);
        var conf = first.Materialize("platform", Path.Combine(checkout, "app.conf"), "app.conf");
        var unused = first.Materialize("platform", Path.Combine(checkout, "unused.conf"), "unused.conf");
        var written = first.Materialize("platform", data, "data", writable: true);
        File.WriteAllText(Path.Combine(written, "db"), "rows");

        // The next agent process: the copy made by the last one was changed while no agent ran.
        File.WriteAllText(conf, "tampered");
        File.WriteAllText(unused, "tampered");
        var next = new GitBindStore(options);
        Assert.Equal(conf, next.Materialize("platform", Path.Combine(checkout, "app.conf"), "app.conf"));
        Assert.Equal(written, next.Materialize("platform", data, "data")); // read-only elsewhere: still written by a container
        Assert.Equal(unused, next.Materialize("platform", Path.Combine(checkout, "unused.conf"), "unused.conf"));
        bool InUse(string digestFolder) => digestFolder != Path.GetDirectoryName(unused);
        Assert.Equal(1, next.CheckInUse("platform", InUse));
        Assert.Equal("c1", File.ReadAllText(conf));
        Assert.Equal("tampered", File.ReadAllText(unused)); // not in use: the collector's to judge, not repaired
        Assert.Equal("rows", File.ReadAllText(Path.Combine(written, "db")));
        File.WriteAllText(conf, "again");
        Assert.Equal(0, next.CheckInUse("platform", InUse)); // once per process; later changes are found at a create or start
        Assert.True(next.Restore(conf));
        Assert.Equal("c1", File.ReadAllText(conf));
    }

    [Fact]
    public void A_copy_turned_into_a_link_is_made_again_from_the_current_checkout_also_by_an_agent_that_has_not_read_it_yet()
    {
        // probe-30 F10 (HIGH): `.binds/NAME/DIGEST/www` replaced by a link while the agent was down, whose first read then
        // failed: the copy's origin was unknown, so the link stayed and the containers binding it were removed.
        var options = Microsoft.Extensions.Options.Options.Create(new Agent.Hosting.AgentOptions { StateDir = temp.FullName });
        var checkouts = new GitCheckouts(options);
        var staging = checkouts.NewStaging("platform");
        Directory.CreateDirectory(Path.Combine(staging, "www"));
        File.WriteAllText(Path.Combine(staging, "www", "index.html"), "v1");
        var checkout = checkouts.Publish("platform", staging, "c1");
        var copy = new GitBindStore(options, checkouts: checkouts).Materialize("platform", Path.Combine(checkout.Folder, "www"), "www");
        var theirs = Directory.CreateTempSubdirectory("agent-theirs-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(theirs, "precious.txt"), "keep");
            Directory.Delete(copy, recursive: true);
            Directory.CreateSymbolicLink(copy, theirs);

            var next = new GitBindStore(options, checkouts: checkouts); // the next agent process, before any read
            Assert.True(next.Restore(copy));
            Assert.Null(new DirectoryInfo(copy).LinkTarget);
            Assert.Equal("v1", File.ReadAllText(Path.Combine(copy, "index.html")));

            Directory.Delete(copy, recursive: true);
            Directory.CreateSymbolicLink(copy, theirs);
            Assert.Equal(copy, new GitBindStore(options, checkouts: checkouts).Materialize("platform", Path.Combine(checkout.Folder, "www"), "www")); // a read
            Assert.Null(new DirectoryInfo(copy).LinkTarget);
            Assert.Equal("v1", File.ReadAllText(Path.Combine(copy, "index.html")));
            Assert.Equal(["precious.txt"], Directory.EnumerateFileSystemEntries(theirs).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(theirs, recursive: true);
        }
    }

    [Theory]
    [InlineData("apps/etc", "/etc", true)]
    [InlineData("apps/up", "../..", true)]
    [InlineData("apps/a/b", "../../../x", true)]
    [InlineData("apps/shared", "../common", false)]
    [InlineData("apps/self", "./www/../www", false)]
    public void A_link_escapes_when_absolute_or_above_the_root(string path, string target, bool escapes) =>
        Assert.Equal(escapes, Agent.Core.Git.GitLinks.Escapes(path, target));
}
