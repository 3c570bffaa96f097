using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Sources;
using Microsoft.Extensions.Time.Testing;

namespace Agent.UnitTests.Sources;

/// <summary>A manifest deleted and written back within Agent:PruneDelay (an `rm` then `cp` deploy) prunes nothing.</summary>
public sealed class PruneDelayTests() : ManifestFolderTestBase("prune-delay")
{
    private readonly FakeTimeProvider clock = new(DateTimeOffset.Parse("2026-12-01T12:00:00Z"));
    private static readonly ObjectKey Web = new(ServiceGroup.KindName, "web");

    private string File(string name) => Path.Combine(Root, name);

    private static string Group(string name) =>
        $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {name}\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n";

    private ManifestStore Store() => NewStore(clock: clock, options: Options(TimeSpan.FromSeconds(5)));

    [Fact]
    public void A_deleted_manifest_is_pruned_only_after_the_delay_and_not_at_all_when_it_comes_back()
    {
        System.IO.File.WriteAllText(File("web.yaml"), Group("web"));
        System.IO.File.WriteAllText(File("other.yaml"), Group("other"));
        var store = Store();
        store.Reload();
        Assert.Null(store.PruneHold(Web));

        System.IO.File.Delete(File("web.yaml"));
        store.Reload();
        Assert.Null(store.Get(Web));
        Assert.Contains("Agent:PruneDelay", store.PruneHold(Web));
        Assert.Equal(TimeSpan.FromSeconds(5), store.PruneDelayLeft(Web));

        clock.Advance(TimeSpan.FromSeconds(3));
        System.IO.File.WriteAllText(File("web.yaml"), Group("web"));
        store.Reload();
        Assert.NotNull(store.Get(Web));
        Assert.Null(store.PruneDelayLeft(Web));

        // Gone again: the delay starts anew, and once it has passed the object may be pruned.
        System.IO.File.Delete(File("web.yaml"));
        store.Reload();
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.NotNull(store.PruneHold(Web));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(store.PruneDelayLeft(Web));
        Assert.Null(store.PruneHold(Web));
    }

    [Fact]
    public void An_object_waiting_out_its_delay_is_already_a_removal_for_the_mass_prune_guard()
    {
        System.IO.File.WriteAllText(File("web.yaml"), Group("web"));
        System.IO.File.WriteAllText(File("other.yaml"), Group("other"));
        var store = Store();
        store.Reload();
        System.IO.File.Delete(File("web.yaml"));
        System.IO.File.Delete(File("other.yaml"));
        store.Reload();

        // The guard judges this read now, while the delay runs, and its judgement must not change when the delay ends
        // (no read happens then): an emptied folder was pruned whole when the guard had judged it during the delay.
        Assert.Contains("Agent:PruneDelay", store.PruneHold(Web));
        Assert.Null(store.KeepReason(Web));
        var (managed, removals) = Agent.Reconciliation.PruneGate.Judge([Web, new ObjectKey(ServiceGroup.KindName, "other")], [], store.All(), store.KeepReason);
        Assert.True(Agent.Core.Sources.PruneGuard.Default.Decide(managed, removals).Blocked);
    }

    [Fact]
    public void An_object_never_seen_in_this_run_is_not_delayed()
    {
        System.IO.File.WriteAllText(File("other.yaml"), Group("other"));
        var store = Store();
        store.Reload();
        Assert.Null(store.PruneDelayLeft(Web));
        Assert.Null(store.PruneHold(Web));
    }
}
