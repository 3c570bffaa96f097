using System.Diagnostics;
using Agent.Core.Model;
using Agent.Core.Sources;
using Agent.Sources;

namespace Agent.UnitTests.Sources;

/// <summary>probe-15g F6: what a container writes into its data folder never decides how long a read of the manifests
/// takes; the walk is linear and bounded (depth, entries), and what it does not reach is held, never deleted.</summary>
public sealed class FolderWalkBoundsTests() : ManifestFolderTestBase("walk")
{
    private static string Group(string name, string? volume = null) =>
        $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {name}\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n" +
        (volume is null ? "" : $"      volumes: [\"{volume}\"]\n");

    private static ObjectKey Key(string name) => new(ServiceGroup.KindName, name);

    /// <summary>A chain of nested folders named "d", as `mkdir d &amp;&amp; cd d` in a loop makes it (path length stays under PATH_MAX).</summary>
    private void Chain(string relative, int depth) =>
        Directory.CreateDirectory(Path.Combine([Root, relative, .. Enumerable.Repeat("d", depth)]));

    private static TimeSpan Timed(Action read)
    {
        var clock = Stopwatch.StartNew();
        read();
        return clock.Elapsed;
    }

    [Fact]
    public void A_2000_deep_chain_in_a_folder_bound_read_write_is_not_walked_and_edits_elsewhere_apply()
    {
        Write("w.yaml", Group("w", "./wdata:/data"));
        Write("z.yaml", Group("z"));
        Write("wdata/planted.yaml", Group("planted"));
        Chain("wdata", 1990);
        var store = NewStore();

        // The first read finds the bind in the manifests (the walk stops at the depth bound); later reads know it beforehand.
        var first = Timed(() => store.Reload());
        Write("z.yaml", Group("z").Replace("busybox:1.35", "busybox:latest"));
        var second = Timed(() => store.Reload());

        // Generous deadlines (the unbounded walk took minutes at this depth); the cost no longer depends on the chain.
        Assert.True(first < TimeSpan.FromSeconds(20), $"first read took {first}");
        Assert.True(second < TimeSpan.FromSeconds(20), $"second read took {second}");
        Assert.Contains("busybox:latest", ((ServiceGroup)store.Get(Key("z"))!.Object!).Spec.Services[0].Container.Image);
        Assert.Null(store.Get(Key("planted")));
        // Too deep to list: the data folder as a whole is reported as not read, naming the bind.
        Assert.Contains(store.Errors, e => e.File == "wdata" && e.Message.StartsWith("not read: it lies inside ./wdata, bound read-write by ServiceGroup/w", StringComparison.Ordinal));
        Assert.NotNull(store.Get(Key("w"))?.Object);
    }

    [Fact]
    public void A_small_bound_folder_still_names_each_manifest_in_it_as_not_read()
    {
        Write("w.yaml", Group("w", "./wdata:/data"));
        Write("wdata/a.yaml", Group("a"));
        Write("wdata/sub/b.yml", Group("b"));
        Write("wdata/notes.txt", "x");
        var store = NewStore();
        store.Reload();
        var restarted = NewStore(); // knows the bind from the record before its first read: the folder is not walked
        restarted.Reload();

        var snapshot = new ManifestFolder(Root).Read([new Core.Manifests.WritableBind(Path.Combine(ManifestFolder.Resolve(Root), "wdata"), Key("w"))]);

        Assert.DoesNotContain(snapshot.Files, f => f.File.StartsWith("wdata/", StringComparison.Ordinal));
        Assert.Equal(["wdata/a.yaml", "wdata/sub/b.yml"], snapshot.Written.Select(w => w.File));
        foreach (var file in new[] { "wdata/a.yaml", "wdata/sub/b.yml" })
            Assert.Contains(restarted.Errors, e => e.File == file && e.Message.Contains("bound read-write by ServiceGroup/w", StringComparison.Ordinal));
        Assert.Null(restarted.Get(Key("a")));
    }

    [Fact]
    public void A_deep_chain_no_container_binds_is_read_to_the_depth_bound_and_what_lies_below_is_held()
    {
        Write("apps/x/y/z/deep.yaml", Group("deep"));
        Write("top.yaml", Group("top"));
        Chain("chain", 1990);
        NewStore().Reload(); // records which file defined what

        var restarted = NewStore(new ManifestFolder(Root) { MaxDepth = 2 });
        var took = Timed(() => restarted.Reload());

        Assert.True(took < TimeSpan.FromSeconds(20), $"read took {took}");
        Assert.NotNull(restarted.Get(Key("top"))?.Object);
        var deep = restarted.Get(Key("deep"));
        Assert.NotNull(deep); // held, not deleted
        Assert.Equal(DesiredEntry.ManifestUnreadable, deep!.HeldReason);
        Assert.NotNull(restarted.PruneHold(Key("deep")) ?? (deep.IsBroken ? "held" : null));
        var problem = Assert.Single(restarted.Problems, p => p.Path == "apps/x/y");
        Assert.Equal(SourceProblemReasons.TooDeep, problem.Reason);
        Assert.Contains("nested more than 2 levels", problem.Message);
        Assert.Contains(restarted.Problems, p => p.Path == "chain/d/d" && p.Reason == SourceProblemReasons.TooDeep);
    }

    [Fact]
    public void Folders_past_the_entry_bound_are_not_read_and_what_they_defined_is_held()
    {
        Write("a/a.yaml", Group("a"));
        Write("z/z.yaml", Group("z"));
        var store = NewStore(new ManifestFolder(Root) { MaxEntries = 4 });
        store.Reload();
        Assert.NotNull(store.Get(Key("z"))?.Object);

        for (var i = 0; i < 5; i++) Write($"a/{i}.txt", "x");
        store.Reload();

        var z = store.Get(Key("z"));
        Assert.NotNull(z?.Object);
        Assert.True(z!.IsBroken);
        var problem = Assert.Single(store.Problems);
        Assert.Equal(("z", SourceProblemReasons.TooMany), (problem.Path, problem.Reason));
        Assert.Contains("more than 4 files and folders", problem.Message);
    }
}
