using Agent.Core.Model;
using Agent.Core.Sources;
using Agent.Sources;

namespace Agent.UnitTests.Sources;

/// <summary>probe-15l L3/L5: a file that cannot be read reports itself once, by what it is, and where its objects are held.</summary>
public sealed class HeldFileReportingTests() : ManifestFolderTestBase("held-file")
{
    private static string Manifest(string kind, string name) => kind == "Job"
        ? $"apiVersion: agent/v1\nkind: Job\nmetadata: {{ name: {name} }}\nspec:\n  container: {{ image: busybox:1.35, command: [\"true\"] }}\n"
        : $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: {{ name: {name} }}\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n";

    [Theory]
    [InlineData("Job")]
    [InlineData("ServiceGroup")]
    public void An_emptied_manifest_holds_its_object_and_is_no_file_entry_tied_to_no_object(string kind)
    {
        Write("jobs/migrate.yaml", Manifest(kind, "migrate"));
        var log = new LinesLogger();
        var store = NewStore(logger: log);
        store.Reload();

        Write("jobs/migrate.yaml", "");
        Write("new.yaml", ""); // empty, and never defined anything
        store.Reload();

        var held = store.Get(new ObjectKey(kind, "migrate"))!;
        Assert.NotNull(held.Object); // its last good version, never a deletion
        Assert.Equal(DesiredEntry.ManifestUnreadable, held.HeldReason);
        Assert.Contains("jobs/migrate.yaml:1:1: file is empty", held.Errors.Single().ToString());
        // Its error is the object's: no File entry (GET /objects, /readyz?verbose), no "tied to no object" line.
        Assert.Equal(["new.yaml"], store.FileProblems.Select(p => p.Path));
        Assert.Equal(["new.yaml"], store.Readiness.FileProblems.Select(p => p.Path));
        var lines = log.Lines.Where(l => l.Contains("jobs/migrate.yaml", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(lines, l => l.Contains("tied to no object", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"file is empty", StringComparison.Ordinal) && l.Contains($"{kind}/migrate keeps its last good state", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.StartsWith("Invalid manifest new.yaml:1:1: file is empty", StringComparison.Ordinal) && l.Contains("tied to no object", StringComparison.Ordinal));

        // A fresh process (the object's spec unknown, placed by the index) says the same.
        var fresh = NewStore();
        fresh.Reload();
        Assert.Equal(DesiredEntry.ManifestUnreadable, fresh.Get(new ObjectKey(kind, "migrate"))!.HeldReason);
        Assert.Equal(["new.yaml"], fresh.FileProblems.Select(p => p.Path));
    }

    [Fact]
    public void A_loop_of_file_symlinks_is_a_symlink_loop_listed_once_not_a_dangling_link()
    {
        Write("g.yaml", Manifest("ServiceGroup", "g"));
        var store = NewStore();
        store.Reload();
        File.Delete(Path.Combine(Root, "g.yaml"));
        File.CreateSymbolicLink(Path.Combine(Root, "g.yaml"), "h.yaml");
        File.CreateSymbolicLink(Path.Combine(Root, "h.yaml"), "g.yaml");
        File.CreateSymbolicLink(Path.Combine(Root, "gone.yaml"), "/nonexistent/gone.yaml");
        store.Reload();

        Assert.Equal(["g.yaml symlink_loop", "gone.yaml dangling_link", "h.yaml symlink_loop"], store.Problems.Select(p => $"{p.Path} {p.Reason}"));
        Assert.All(store.Problems, p => Assert.True(p.HidesObjects)); // what the file held is unknown: held, never deleted
        Assert.Equal("symlink loop (through h.yaml): cannot be read", store.Problems[0].Message);
        Assert.Equal(DesiredEntry.ManifestUnreadable, store.Get(new ObjectKey("ServiceGroup", "g"))!.HeldReason);
        // h.yaml defined nothing: a File entry, its problem listed once (not as the read's error and again as the problem).
        var listed = Assert.Single(store.FileProblems, p => p.Path == "h.yaml");
        Assert.Equal(["h.yaml:1:1: symlink loop (through g.yaml): cannot be read"], listed.Errors);
        Assert.Equal(["gone.yaml", "h.yaml"], store.FileProblems.Select(p => p.Path));
        Assert.All(store.FileProblems, p => Assert.Single(p.Errors));
    }
}
