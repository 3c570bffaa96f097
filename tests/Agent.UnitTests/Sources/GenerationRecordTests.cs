using Agent.Core.Model;
using Agent.Sources;

namespace Agent.UnitTests.Sources;

/// <summary>An object's generation goes on across restarts, as metadata.generation does in Kubernetes: it rises only when
/// the spec changed, also while the agent was down (probe-22 F10: it started again at 1).</summary>
public sealed class GenerationRecordTests() : ManifestFolderTestBase("generations")
{
    private static readonly ObjectKey Key = new(ServiceGroup.KindName, "web");

    private void WriteGroup(string version) => Write("web.yaml",
        "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: web\nspec:\n  services:\n    - name: app\n      image: busybox:1.35\n" +
        $"      command: [sleep, \"99\"]\n      env: {{ VERSION: \"{version}\" }}\n");

    [Fact]
    public void A_restart_keeps_the_generation_and_an_edit_made_while_down_counts_once()
    {
        WriteGroup("1");
        var store = NewStore();
        store.Reload();
        WriteGroup("2");
        store.Reload();
        WriteGroup("3");
        store.Reload();
        Assert.Equal(3, store.Get(Key)!.Generation);

        var restarted = NewStore();
        restarted.Reload();
        Assert.Equal(3, restarted.Get(Key)!.Generation);

        WriteGroup("4"); // edited while the agent is down
        var afterEdit = NewStore();
        afterEdit.Reload();
        Assert.Equal(4, afterEdit.Get(Key)!.Generation);
        afterEdit.Reload();
        Assert.Equal(4, afterEdit.Get(Key)!.Generation);
    }

    [Fact]
    public void A_manifest_unreadable_at_a_restart_keeps_its_record_and_a_deleted_one_starts_again_at_1()
    {
        WriteGroup("1");
        var store = NewStore();
        store.Reload();
        WriteGroup("2");
        store.Reload();

        Write("web.yaml", "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: web\nspec:\n  services: [\n");
        var broken = NewStore();
        broken.Reload();
        Assert.True(broken.Get(Key)!.IsBroken);
        WriteGroup("2"); // mended as it was: the same generation
        broken.Reload();
        Assert.Equal(2, broken.Get(Key)!.Generation);

        File.Delete(Path.Combine(Root, "web.yaml"));
        broken.Reload();
        WriteGroup("5");
        var fresh = NewStore();
        fresh.Reload();
        Assert.Equal(1, fresh.Get(Key)!.Generation);
    }

    [Fact]
    public void A_record_that_is_not_json_is_read_as_none()
    {
        WriteGroup("1");
        File.WriteAllText(Path.Combine(StateDir, ManifestIndex.GenerationsFileName), "{ not json");
        var store = NewStore();
        store.Reload();
        Assert.Equal(1, store.Get(Key)!.Generation);
    }
}
