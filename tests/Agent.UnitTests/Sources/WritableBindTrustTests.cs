using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Sources;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Sources;

/// <summary>probe-15c G15: manifests a container can write (inside a read-write bind of an applied object) are not read.</summary>
public sealed class WritableBindTrustTests() : ManifestFolderTestBase("rwbind")
{

    private static string Group(string name, params string[] volumes) =>
        $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {name}\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n" +
        (volumes.Length == 0 ? "" : $"      volumes: [{string.Join(", ", volumes.Select(v => $"\"{v}\""))}]\n");

    private const string Stack = "services:\n  web:\n    image: busybox:1.35\n    volumes: [\"./data:/data\"]\n";

    private ManifestSet Load() => new ManifestFolder(Root).Load(SecurityPolicy.Default);

    private ManifestStore Store() => NewStore();

    private static string[] Names(ManifestSet set) => set.Objects.Keys.Select(k => k.ToString()).Order(StringComparer.Ordinal).ToArray();

    private static string ErrorOf(ManifestSet set, string file) => Assert.Single(set.Errors, e => e.File == file).Message;

    [Fact]
    public void Manifests_planted_in_a_read_write_bind_of_a_group_or_a_stack_are_not_read_and_the_error_names_the_bind()
    {
        Write("st.yaml", Group("st", "./stdata:/data"));
        Write("stdata/planted.yaml", Group("planted"));
        Write("stdata/deep/er/planted2.yaml", Group("planted2"));
        Write("cp/compose.yaml", Stack);
        Write("cp/data/planted3.yaml", Group("planted3"));
        Write("cp/data/sub/compose.yaml", "services:\n  y:\n    image: busybox:1.35\n");
        Write("ro.yaml", Group("ro", "./config:/config:ro"));
        Write("config/fine.yaml", Group("fine"));
        Write("st/.data/hidden.yaml", Group("hidden"));

        var set = Load();

        Assert.Equal(["ComposeProject/cp", "ServiceGroup/fine", "ServiceGroup/ro", "ServiceGroup/st"], Names(set));
        Assert.StartsWith("not read: it lies inside ./stdata, bound read-write by ServiceGroup/st", ErrorOf(set, "stdata/planted.yaml"));
        Assert.StartsWith("not read: it lies inside ./stdata, bound read-write by ServiceGroup/st", ErrorOf(set, "stdata/deep/er/planted2.yaml"));
        Assert.StartsWith("not read: it lies inside ./cp/data, bound read-write by ComposeProject/cp", ErrorOf(set, "cp/data/planted3.yaml"));
        Assert.StartsWith("not read: it lies inside ./cp/data, bound read-write by ComposeProject/cp", ErrorOf(set, "cp/data/sub/compose.yaml"));
        Assert.DoesNotContain(set.Errors, e => e.File.Contains("hidden", StringComparison.Ordinal));
    }

    [Fact]
    public void Objects_written_only_by_objects_not_read_are_read_and_objects_that_write_each_other_or_themselves_are_not()
    {
        Write("a.yaml", Group("a", "./b:/x"));          // trusted: nothing writes it
        Write("b/b.yaml", Group("b", "../c:/x"));       // inside a's bind: not read, so its bind counts for nothing
        Write("c/c.yaml", Group("c"));                  // written only by b, which never runs: read
        Write("d/d.yaml", Group("d", "../e:/x"));       // d and e write each other: neither is read
        Write("e/e.yaml", Group("e", "../d:/x"));
        Write("s/s.yaml", Group("s", "./:/self"));      // binds its own folder read-write: not read

        var set = Load();

        Assert.Equal(["ServiceGroup/a", "ServiceGroup/c"], Names(set));
        Assert.Contains("bound read-write by ServiceGroup/a", ErrorOf(set, "b/b.yaml"));
        Assert.Contains("bound read-write by ServiceGroup/e", ErrorOf(set, "d/d.yaml"));
        Assert.Contains("bound read-write by ServiceGroup/d", ErrorOf(set, "e/e.yaml"));
        Assert.Contains("./s, bound read-write by ServiceGroup/s", ErrorOf(set, "s/s.yaml"));
    }

    [Fact]
    public void A_bind_through_a_link_and_a_link_to_a_bound_hidden_folder_are_judged_by_the_folder_they_reach()
    {
        Directory.CreateDirectory(Path.Combine(Root, "real"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "alias"), Path.Combine(Root, "real"));
        Write("app.yaml", Group("app", "./alias:/data", "./.data:/hidden"));
        Write("real/planted.yaml", Group("planted"));
        Write(".data/x.yaml", Group("x"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "peek"), Path.Combine(Root, ".data")); // a visible way into the hidden folder

        var set = Load();

        Assert.Equal(["ServiceGroup/app"], Names(set));
        Assert.Contains("inside ./real, bound read-write by ServiceGroup/app", ErrorOf(set, "real/planted.yaml"));
        Assert.Contains("inside ./.data, bound read-write by ServiceGroup/app", ErrorOf(set, "peek/x.yaml"));
    }

    [Fact]
    public void An_object_whose_folder_becomes_writable_is_held_and_a_bind_folder_stays_unread_after_its_manifest_is_deleted_until_made_anew()
    {
        Write("apps/one.yaml", Group("one"));
        var store = Store();
        store.Reload();
        Assert.NotNull(store.Get(new ObjectKey(ServiceGroup.KindName, "one"))?.Object);

        // A group now binds the folder read-write: what that folder defined is held (never a deletion), nothing new is read there.
        Write("writer.yaml", Group("writer", "./apps:/data"));
        Write("apps/planted.yaml", Group("planted"));
        store.Reload();
        var one = store.Get(new ObjectKey(ServiceGroup.KindName, "one"));
        Assert.NotNull(one?.Object);
        Assert.True(one!.IsBroken);
        Assert.Contains(one.Errors, e => e.Message.Contains("bound read-write by ServiceGroup/writer", StringComparison.Ordinal));
        Assert.Null(store.Get(new ObjectKey(ServiceGroup.KindName, "planted")));

        // The binding manifest goes: what its containers wrote is still not read, also by a new store (a restart) ...
        File.Delete(Path.Combine(Root, "writer.yaml"));
        store.Reload();
        Write("other.yaml", Group("other"));
        store.Reload();
        Assert.Null(store.Get(new ObjectKey(ServiceGroup.KindName, "planted")));
        var restarted = Store();
        restarted.Reload();
        Assert.Null(restarted.Get(new ObjectKey(ServiceGroup.KindName, "planted")));
        Assert.Contains(restarted.Errors, e => e.File == "apps/planted.yaml" && e.Message.Contains("ServiceGroup/writer", StringComparison.Ordinal));

        // ... until the folder is deleted and made anew.
        Directory.Delete(Path.Combine(Root, "apps"), recursive: true);
        restarted.Reload();
        Write("apps/planted.yaml", Group("planted"));
        restarted.Reload();
        Assert.NotNull(restarted.Get(new ObjectKey(ServiceGroup.KindName, "planted"))?.Object);
    }

    [Fact]
    public void A_read_only_bind_digest_leaves_out_what_containers_write_so_writes_below_a_sibling_bind_never_recreate()
    {
        Write("a.yaml", Group("a", "./shared:/s:ro"));
        Write("b.yaml", Group("b", "./shared/data:/data"));
        Write("c.yaml", Group("c", "./shared/data/sub:/x:ro"));
        Write("shared/app.conf", "x=1");
        Write("shared/data/db", "rows 1");
        Write("shared/data/sub/f", "1");
        string? Digest(string group) =>
            ((ServiceGroup)Load().Objects[new ObjectKey(ServiceGroup.KindName, group)]).Spec.Services[0].Container.FileDigests.GetValueOrDefault("bind:" + (group == "a" ? "/s" : "/x"));

        var before = Digest("a");
        Assert.NotNull(before);
        Assert.Null(Digest("c")); // all of it is b's data: hashed by path only

        Write("shared/data/db", "rows 1 and 2");
        Write("shared/data/more/log", "written by b's container");
        Assert.Equal(before, Digest("a"));

        Write("shared/app.conf", "x=2");
        Assert.NotEqual(before, Digest("a")); // the configuration itself still counts
    }

    [Fact]
    public void Env_include_and_build_files_a_container_can_write_are_not_read_either()
    {
        // probe-15e E1: not only *.yaml: an envFrom file, a compose include/env_file and a build context inside a
        // read-write bind folder of an object fed the agent what the container wrote.
        Write("st/compose.yaml", Stack);
        Write("st/data/app.env", "INJECTED=1\n");
        Write("st/data/inc.yaml", "services:\n  evil:\n    image: busybox:1.35\n");
        Write("st/data/ctx/Dockerfile", "FROM busybox:1.35\n");
        Write("g.yaml", Group("g") + "      envFrom: [st/data/app.env]\n");
        Write("b.yaml", "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: b\nspec:\n  services:\n    - name: web\n      build: { context: st/data/ctx }\n");
        Write("other/compose.yaml", "include: [../st/data/inc.yaml]\nservices:\n  app:\n    image: busybox:1.35\n    env_file: [../st/data/app.env]\n");

        var set = Load();
        var errors = set.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.StartsWith("g.yaml:") && e.Contains("lies inside ./st/data, a folder bound read-write into a container"));
        Assert.Contains(errors, e => e.StartsWith("b.yaml:") && e.Contains("lies inside ./st/data"));
        Assert.Contains(errors, e => e.Contains("other/compose.yaml") && e.Contains("lies inside ./st/data"));
        Assert.DoesNotContain(set.Objects.Values.OfType<ServiceGroup>().SelectMany(g => g.Spec.Services), s => s.Name == "evil");
        Assert.Contains(set.Objects.Keys, k => k.Name == "st"); // the stack that binds it is read as before
    }

    [Fact]
    public void A_link_inside_a_read_write_bind_folder_is_judged_where_it_lies_not_only_by_its_target()
    {
        // probe-15f F1: data/link.env -> ../real/e.env was read by its target; the container re-points the link at any file.
        Write("st/compose.yaml", Stack + "    env_file: [data/link.env]\n  bld:\n    build: { context: ./data/ctxlink }\n");
        Write("st/real/e.env", "A=1\n");
        Write("st/real/ctx/Dockerfile", "FROM busybox:1.35\n");
        Directory.CreateDirectory(Path.Combine(Root, "st/data"));
        File.CreateSymbolicLink(Path.Combine(Root, "st/data/link.env"), "../real/e.env");
        Directory.CreateSymbolicLink(Path.Combine(Root, "st/data/ctxlink"), "../real/ctx");
        Directory.CreateSymbolicLink(Path.Combine(Root, "st/via"), "data"); // a link outside the folder that leads into it
        Write("g.yaml", Group("g") + "      envFrom: [st/data/link.env, st/via/link.env]\n");
        // F4: a link the container makes in its folder to a hidden folder of the manifests (a parked manifest).
        Write(".parked/p.yaml", Group("parked"));
        Write("w.yaml", Group("w", "./wdata:/data"));
        Directory.CreateDirectory(Path.Combine(Root, "wdata"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "wdata/l"), "../.parked");

        var set = Load();
        var errors = set.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.StartsWith("g.yaml:") && e.Contains("envFrom[0]") && e.Contains("lies inside ./st/data, a folder bound read-write into a container"));
        Assert.Contains(errors, e => e.StartsWith("g.yaml:") && e.Contains("envFrom[1]") && e.Contains("lies inside ./st/data"));
        Assert.Contains(errors, e => e.Contains("st/compose.yaml") && e.Contains("data/link.env") && e.Contains("lies inside ./st/data"));
        Assert.Contains(errors, e => e.Contains("st/compose.yaml") && e.Contains("ctxlink") && e.Contains("lies inside ./st/data"));
        Assert.StartsWith("not read: it lies inside ./wdata, bound read-write by ServiceGroup/w", ErrorOf(set, "wdata/l/p.yaml"));
        Assert.DoesNotContain(set.Objects.Keys, k => k.Name is "parked" or "g");
        Assert.DoesNotContain(errors, e => e.Contains("probe-15", StringComparison.Ordinal));
    }

    [Fact]
    public void A_bind_recorded_before_a_create_is_saved_at_once_kept_by_a_restart_holds_no_prune_and_a_failed_save_refuses_the_create()
    {
        // probe-15f F7, F3: a run's container may be gone (autoRemove) before it is ever seen.
        Write("ok.yaml", Group("ok"));
        Write("runs/planted.yaml", Group("planted"));
        var store = Store();
        store.Reload();
        Assert.NotNull(store.Get(new ObjectKey(ServiceGroup.KindName, "planted"))?.Object);

        store.RecordWritableBinds([Path.Combine(ManifestFolder.Resolve(Root), "runs"), "/elsewhere/data"], new ObjectKey("Run", "r1"));
        var saved = File.ReadAllText(Path.Combine(StateDir, ManifestIndex.WritableBindsFileName));
        Assert.Contains("Run/r1", saved);
        Assert.DoesNotContain("/elsewhere", saved); // a folder that can hold no manifest is not recorded
        var restarted = Store();
        restarted.Reload();
        Assert.Contains(restarted.Errors, e => e.File == "runs/planted.yaml" && e.Message.Contains("bound read-write by Run/r1", StringComparison.Ordinal));
        Assert.Null(restarted.PruneHold(new ObjectKey(ServiceGroup.KindName, "stranger"))); // refused by design: no failed read, no prune held (F8.5)

        File.Delete(Path.Combine(StateDir, ManifestIndex.WritableBindsFileName));
        Directory.CreateDirectory(Path.Combine(StateDir, ManifestIndex.WritableBindsFileName, "x")); // a folder in its place: the write fails, as on a full disk
        var write = Assert.Throws<Agent.State.StateWriteException>(() => restarted.RecordWritableBinds([Path.Combine(ManifestFolder.Resolve(Root), "more")], new ObjectKey("Run", "r2")));
        Assert.Contains(ManifestIndex.WritableBindsFileName, write.Message);
        restarted.RecordWritableBinds(["/elsewhere/data"], new ObjectKey("Run", "r3")); // nothing to record: no write, no failure

        // probe-15g F1: a later save failed (a new bind at a read), yet a bind already on disk for its owner needs no write.
        Write("later.yaml", Group("later", "./laterdata:/data"));
        restarted.Reload();
        restarted.RecordWritableBinds([Path.Combine(ManifestFolder.Resolve(Root), "runs")], new ObjectKey("Run", "r1"));
        Assert.Throws<Agent.State.StateWriteException>(() => restarted.RecordWritableBinds([Path.Combine(ManifestFolder.Resolve(Root), "runs")], new ObjectKey("Run", "r9")));

        // probe-15g F3: a refused create leaves nothing in the record, also once it can be written again.
        Directory.Delete(Path.Combine(StateDir, ManifestIndex.WritableBindsFileName), recursive: true);
        Write("later.yaml", Group("later", "./laterdata2:/data"));
        restarted.Reload();
        saved = File.ReadAllText(Path.Combine(StateDir, ManifestIndex.WritableBindsFileName));
        Assert.Contains("ServiceGroup/later", saved);
        Assert.DoesNotContain("Run/r2", saved);
        Assert.DoesNotContain(Path.Combine(ManifestFolder.Resolve(Root), "more") + "\"", saved);
        Assert.DoesNotContain("Run/r9", saved);
    }

    [Fact]
    public void A_corrupt_record_is_kept_aside_and_no_manifest_is_applied_until_the_marker_is_deleted()
    {
        // probe-15g F2: a torn record read as empty applied what containers had written, at the next start.
        Write("w.yaml", Group("w", "./wdata:/data"));
        Write("ok.yaml", Group("ok"));
        var store = Store();
        store.Reload();
        Write("wdata/planted.yaml", Group("planted"));
        File.Delete(Path.Combine(Root, "w.yaml")); // the binding manifest goes; the record keeps the folder unread
        store.Reload();
        var record = Path.Combine(StateDir, ManifestIndex.WritableBindsFileName);
        File.WriteAllText(record, "{\"" + Path.Combine(ManifestFolder.Resolve(Root), "wdata") + "\": ");

        var restarted = Store();
        restarted.Reload();

        Assert.Single(Directory.GetFiles(StateDir, ManifestIndex.WritableBindsFileName + ".corrupt-*"));
        Assert.True(File.Exists(Path.Combine(StateDir, ManifestIndex.WritableBindsLostFileName)));
        Assert.NotNull(restarted.WritableBindsLost);
        foreach (var name in new[] { "planted", "ok" })
        {
            var entry = restarted.Get(new ObjectKey(ServiceGroup.KindName, name));
            Assert.NotNull(entry);
            Assert.Null(entry!.Object); // nothing to apply: held
            Assert.Equal(DesiredEntry.WritableBindsLost, entry.HeldReason);
            Assert.Contains(ManifestIndex.WritableBindsLostFileName, entry.Errors[0].Message);
        }
        Assert.NotNull(restarted.PruneHold(new ObjectKey(ServiceGroup.KindName, "w")));
        var again = Store(); // a second restart still holds: the marker stays
        again.Reload();
        Assert.NotNull(again.WritableBindsLost);

        File.Delete(Path.Combine(StateDir, ManifestIndex.WritableBindsLostFileName)); // the operator checked the folders
        restarted.Reload();
        Assert.Null(restarted.WritableBindsLost);
        Assert.NotNull(restarted.Get(new ObjectKey(ServiceGroup.KindName, "ok"))?.Object);
    }

    [Fact]
    public void A_bind_that_now_resolves_to_the_manifests_folder_is_never_recorded_and_a_record_of_it_is_ignored()
    {
        // probe-15h H4: nga's container (./outer rw) swaps ngb's bind source ./outer/inner for a link ../..: re-resolved, ngb
        // would "write" the whole manifests folder, recorded for good, and no manifest would be read again.
        Write("ng.yaml", Group("nga", "./outer:/o") + "---\n" + Group("ngb", "./outer/inner:/i"));
        Write("eu.yaml", Group("eu"));
        Directory.CreateDirectory(Path.Combine(Root, "outer", "inner"));
        var store = Store();
        store.Reload();
        Directory.Move(Path.Combine(Root, "outer", "inner"), Path.Combine(Root, "outer", "inner.old"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "outer", "inner"), "../..");
        Write("eu.yaml", Group("eu", "./eudata:/data"));
        store.Reload();

        Assert.NotNull(store.Get(new ObjectKey(ServiceGroup.KindName, "eu"))?.Object); // the edit is read
        var record = Path.Combine(StateDir, ManifestIndex.WritableBindsFileName);
        var real = ManifestFolder.Resolve(Root);
        Assert.DoesNotContain("\"" + real + "\"", File.ReadAllText(record));
        Assert.Contains("ServiceGroup/eu", File.ReadAllText(record));

        // A record poisoned before this fix (the manifests folder, a folder above it) is ignored and written away.
        File.WriteAllText(record, $"{{\"{real}\": \"ServiceGroup/ngb\", \"{Path.GetDirectoryName(real)}\": \"Run/vv\"}}");
        var restarted = Store();
        restarted.Reload();
        Assert.NotNull(restarted.Get(new ObjectKey(ServiceGroup.KindName, "eu"))?.Object);
        Assert.DoesNotContain(restarted.Errors, e => e.Message.StartsWith("not read", StringComparison.Ordinal) && e.File == "eu.yaml");
        Assert.DoesNotContain("Run/vv", File.ReadAllText(record));
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("null")]
    [InlineData("deleted")]
    public void A_record_that_is_a_folder_null_or_deleted_after_a_run_fails_closed_too(string shape)
    {
        // probe-15h H6: these were read as an empty record, so what containers had written was applied at the next start.
        Write("ok.yaml", Group("ok"));
        var store = Store();
        store.Reload();
        var record = Path.Combine(StateDir, ManifestIndex.WritableBindsFileName);
        Assert.Equal("{}", File.ReadAllText(record).Trim()); // a fresh state dir records "nothing" at once
        File.Delete(record);
        if (shape == "folder") Directory.CreateDirectory(record);
        if (shape == "null") File.WriteAllText(record, "null");

        var restarted = Store();
        restarted.Reload();

        Assert.NotNull(restarted.WritableBindsLost);
        Assert.Equal(DesiredEntry.WritableBindsLost, restarted.Get(new ObjectKey(ServiceGroup.KindName, "ok"))!.HeldReason);
        if (shape != "deleted") Assert.Single(Directory.GetFileSystemEntries(StateDir, ManifestIndex.WritableBindsFileName + ".corrupt-*"));
    }

    [Fact]
    public void A_fresh_state_dir_is_not_a_lost_record()
    {
        Write("ok.yaml", Group("ok"));
        var store = Store();
        store.Reload();
        Assert.Null(store.WritableBindsLost);
        Assert.NotNull(store.Get(new ObjectKey(ServiceGroup.KindName, "ok"))?.Object);
        var restarted = Store();
        restarted.Reload();
        Assert.Null(restarted.WritableBindsLost);
    }
}
