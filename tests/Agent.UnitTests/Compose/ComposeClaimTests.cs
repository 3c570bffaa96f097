using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Core.Sources;
using Agent.Sources;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Compose;

/// <summary>A ComposeProject manifest elsewhere that names a drop-in stack folder's compose file (probe-16 F5): the
/// claim, a failed read of the claimant and its return never change which objects are desired.</summary>
public sealed class ComposeClaimTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-compose-claim-");
    private readonly DirectoryInfo state = Directory.CreateTempSubdirectory("agent-compose-claim-state-");

    public void Dispose()
    {
        dir.Delete(recursive: true);
        state.Delete(recursive: true);
    }

    private string Abs(string relative) => Path.Combine(dir.FullName, relative);

    private void Write(string relative, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Abs(relative))!);
        File.WriteAllText(Abs(relative), text);
    }

    private const string Compose = "services:\n  web:\n    image: busybox:1.35\n  debug:\n    image: busybox:1.35\n    profiles: [debug]\n";

    private static string Claimant(string name) =>
        $"apiVersion: agent/v1\nkind: ComposeProject\nmetadata: {{ name: {name} }}\nspec: {{ files: [../stack16/compose.yaml], profiles: [debug] }}\n";

    private ManifestStore Store() =>
        new(new ManifestFolder(dir.FullName), SecurityPolicy.Default, new ManifestIndex(state.FullName), TimeProvider.System, NullLogger<ManifestStore>.Instance);

    private static List<string> Defined(ManifestStore store) =>
        store.All().Where(e => e.Object is not null).Select(e => e.Key.ToString()).Order(StringComparer.Ordinal).ToList();

    private static readonly ObjectKey Drop = new("ComposeProject", "stack16");

    [Fact]
    public void A_claim_from_another_folder_with_another_name_keeps_the_drop_in_project_and_a_failed_read_of_the_claimant_changes_nothing()
    {
        Write("stack16/compose.yaml", Compose);
        var store = Store();
        store.Reload();
        Assert.NotNull(store.Get(Drop)!.Object);
        var running = store.Get(Drop)!.Generation;

        Write("cp/shop.yaml", Claimant("p16shop"));
        store.Reload();
        Assert.Equal(["ComposeProject/p16shop", "ComposeProject/stack16"], Defined(store));
        Assert.False(store.Get(Drop)!.IsBroken);
        Assert.Equal(running, store.Get(Drop)!.Generation);                          // the claim does not touch the drop-in
        Assert.Equal(["debug", "web"], ((ServiceGroup)store.Get(new("ComposeProject", "p16shop"))!.Object!).Spec.Services.Select(s => s.Name).Order());

        Directory.Move(Abs("cp"), Abs("cp.away"));
        Directory.CreateSymbolicLink(Abs("cp"), "/nonexistent/cp");             // a failed read of the claimant's folder
        store.Reload();
        Assert.Equal(["ComposeProject/p16shop", "ComposeProject/stack16"], Defined(store));
        Assert.True(store.Get(new("ComposeProject", "p16shop"))!.IsBroken);     // held as it was
        Assert.Equal(running, store.Get(Drop)!.Generation);

        File.Delete(Abs("cp")); // the dangling link
        Directory.Move(Abs("cp.away"), Abs("cp"));
        store.Reload();
        Assert.Equal(["ComposeProject/p16shop", "ComposeProject/stack16"], Defined(store));
        Assert.False(store.Get(new("ComposeProject", "p16shop"))!.IsBroken);
        Assert.Equal(running, store.Get(Drop)!.Generation);
    }

    [Fact]
    public void A_claim_of_the_same_name_is_that_project_and_a_failed_read_of_it_holds_its_spec_never_the_drop_in_defaults()
    {
        Write("stack16/compose.yaml", Compose);
        var store = Store();
        store.Reload();

        Write("cp/shop.yaml", Claimant("stack16"));
        store.Reload();
        Assert.Equal(["ComposeProject/stack16"], Defined(store));               // the same object, now from the manifest: nothing pruned
        var claimed = store.Get(Drop)!.Object;
        var generation = store.Get(Drop)!.Generation;
        Assert.Equal(["debug", "web"], ((ServiceGroup)claimed!).Spec.Services.Select(s => s.Name).Order());

        Directory.Move(Abs("cp"), Abs("cp.away"));
        Directory.CreateSymbolicLink(Abs("cp"), "/nonexistent/cp");
        store.Reload();
        Assert.Equal(["ComposeProject/stack16"], Defined(store));
        Assert.True(store.Get(Drop)!.IsBroken);
        Assert.Same(claimed, store.Get(Drop)!.Object);                          // not the folder's defaults (no debug service)
        Assert.Equal(generation, store.Get(Drop)!.Generation);

        File.Delete(Abs("cp")); // the dangling link
        Directory.Move(Abs("cp.away"), Abs("cp"));
        store.Reload();
        Assert.False(store.Get(Drop)!.IsBroken);
        Assert.Equal(["debug", "web"], ((ServiceGroup)store.Get(Drop)!.Object!).Spec.Services.Select(s => s.Name).Order());
    }

    [Fact]
    public void A_claim_from_inside_the_stack_folder_still_makes_it_a_folder_of_manifests()
    {
        Write("stack16/compose.yaml", Compose);
        Write("stack16/project.yaml", Claimant("other").Replace("../stack16/compose.yaml", "compose.yaml"));
        var set = new ManifestFolder(dir.FullName).Load(SecurityPolicy.Default);
        Assert.Empty(set.Errors);
        Assert.Equal(["ComposeProject/other"], set.Objects.Keys.Select(k => k.ToString()));
    }
}
