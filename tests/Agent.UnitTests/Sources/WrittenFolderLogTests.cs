using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Sources;

namespace Agent.UnitTests.Sources;

/// <summary>probe-15f F5, probe-15h L4: a new read-write bind over a folder already full of manifests logged some four
/// lines per file; now one line per folder, naming it and the count.</summary>
public sealed class WrittenFolderLogTests() : ManifestFolderTestBase("written-log")
{
    [Fact]
    public void A_folder_with_many_files_a_container_could_write_is_one_line_and_a_single_file_keeps_its_own_error()
    {
        var bulk = new WritableBind("/m/bulk", new ObjectKey("ServiceGroup", "w"));
        var one = new WritableBind("/m/one", new ObjectKey("ServiceGroup", "o"));
        var documents = Enumerable.Range(0, 5).Select(i => WritableBindTrust.NotRead($"bulk/d/f{i}.yaml", bulk, "/m"))
            .Append(WritableBindTrust.NotRead("one/x.yaml", one, "/m")).ToList();

        var lines = WrittenFolderLog.Lines(documents, "/m");

        Assert.Equal(2, lines.Count);
        Assert.StartsWith("bulk: 5 manifest files not read: they lie inside ./bulk, bound read-write by ServiceGroup/w", lines[0]);
        Assert.Contains("e.g. bulk/d/f0.yaml, bulk/d/f1.yaml, bulk/d/f2.yaml and 2 more", lines[0]);
        Assert.Equal(documents[^1].Errors.Single().ToString(), lines[1]);
        Assert.Equal(["bulk", "one"], WrittenFolderLog.Folders(documents, "/m").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_new_read_write_bind_over_a_folder_full_of_empty_manifests_logs_one_line_naming_the_folder_not_lines_per_file()
    {
        Write("w.yaml", Group());
        for (var d = 0; d < 5; d++)
            for (var f = 0; f < 10; f++) Write($"bulk/d{d}/f{f}.yaml", "");
        var log = new LinesLogger();
        var store = NewStore(logger: log);
        store.Reload();
        Assert.Equal(100, log.Lines.Count(l => l.Contains("file is empty", StringComparison.Ordinal))); // not bound yet: each is a problem and an error
        log.Lines.Clear();
        Write("w.yaml", Group("      volumes: [\"./bulk:/data\"]\n"));

        store.Reload();
        store.Reload(); // the folder is known now: not walked

        var named = log.Lines.Where(l => l.Contains("bulk", StringComparison.Ordinal)).ToList();
        Assert.True(named.Count == 2, string.Join("\n", named.Take(5)));
        Assert.Contains(named, l => l.StartsWith("Invalid manifest bulk: 50 manifest files not read: they lie inside ./bulk, bound read-write by ServiceGroup/w", StringComparison.Ordinal));
        Assert.Contains(named, l => l.Contains("50 problem(s) under bulk are no longer reported", StringComparison.Ordinal));
        Assert.DoesNotContain(store.Problems, p => p.Path.StartsWith("bulk/", StringComparison.Ordinal));
        Assert.Equal(50, store.Errors.Count(e => e.File.StartsWith("bulk/", StringComparison.Ordinal) && e.Message.Contains("bound read-write", StringComparison.Ordinal)));
        Assert.NotNull(store.Get(new ObjectKey("ServiceGroup", "w"))?.Object);
    }

    [Fact]
    public void With_the_record_lost_and_the_engine_not_listed_yet_the_folder_is_not_read_at_all()
    {
        // probe-15h M4: the first read after a start with writable-binds.json deleted walked the folders running containers
        // write, before the engine was listed. Now it waits for the list; without one nothing is walked and everything is held.
        Write("w.yaml", Group("      volumes: [\"./wdata:/data\"]\n"));
        Write("wdata/x/e.yaml", "");
        File.WriteAllText(Path.Combine(StateDir, ManifestIndex.FileName), "{}"); // an earlier run...
        var notListed = new Agent.Reconciliation.ObservedCache(null!, new AgentLabels("unit"), new Agent.Reconciliation.OwnCreates(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Agent.Reconciliation.ObservedCache>.Instance);
        var store = new ManifestStore(new ManifestFolder(Root), Core.Security.SecurityPolicy.Default, new ManifestIndex(StateDir), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<ManifestStore>.Instance, observed: notListed); // ...whose record is gone

        Assert.True(store.ReadWaitsForEngine);
        Assert.Empty(store.Reload());

        Assert.Contains("the engine's containers are not listed yet", store.SourceError);
        Assert.Contains("not listed yet", store.Readiness.SourceError);
        Assert.Empty(store.Problems); // wdata/x/e.yaml ("file is empty") was never looked at
        Assert.Contains("nothing is pruned", store.PruneHold(new ObjectKey("ServiceGroup", "gone"))); // a failed read is never a deletion
    }

    private static string Group(string volumes = "") =>
        "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: w\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n" + volumes;
}
