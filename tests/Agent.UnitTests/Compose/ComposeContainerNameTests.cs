using Agent.Core.Manifests;
using Agent.Core.Model;

namespace Agent.UnitTests.Compose;

/// <summary>A compose container_name may not take a name another service gives its containers (probe-15h M5): a replica's,
/// an update's -next/-prev, another container_name. Caught at validation, in the document that sets it.</summary>
public sealed class ComposeContainerNameTests : IDisposable
{
    private readonly ComposeStackFolder folder = new();

    public void Dispose() => folder.Dispose();

    private void Write(string relative, string text) => folder.Write(relative, text);

    private ManifestSet Load() => folder.Load();

    private const string Fg = "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: fg }\nspec:\n  services: [{ name: a, image: busybox:1.35 }]\n";

    private static string Service(string name, string containerName) =>
        $"  {name}:\n    image: busybox:1.35\n    container_name: {containerName}\n";

    [Fact]
    public void A_container_name_of_another_groups_replica_or_update_temporary_is_refused_at_its_line_and_the_project_is_held()
    {
        Write("fg/g.yaml", Fg);
        Write("oth/compose.yaml", "services:\n" + Service("x", "fg-a-1") + Service("y", "fg-a-1-next") + Service("z", "fg-a-1-prev") + Service("ok", "fg-a"));
        var set = Load();
        var errors = set.Errors.Select(e => e.ToString()).ToList();
        Assert.Equal(3, errors.Count);
        Assert.StartsWith("oth/compose.yaml:4:21: services.x.container_name: \"fg-a-1\" is a name ServiceGroup/fg (service a) at fg/g.yaml:1:1 gives its containers (fg-a-N, and -next/-prev while it updates)", errors[0]);
        Assert.StartsWith("oth/compose.yaml:7:21: services.y.container_name: \"fg-a-1-next\"", errors[1]);
        Assert.StartsWith("oth/compose.yaml:10:21: services.z.container_name: \"fg-a-1-prev\"", errors[2]);
        Assert.Contains(new ObjectKey(ServiceGroup.KindName, "fg"), set.Objects.Keys); // the group that owns the name runs on
        Assert.Contains(new ObjectKey(ServiceGroup.ComposeKindName, "oth"), set.BrokenKeys); // held as it runs, never pruned
    }

    [Fact]
    public void A_container_name_of_another_service_of_the_same_project_or_of_another_container_name_is_refused()
    {
        Write("p/compose.yaml", "services:\n" + Service("x", "p-web-1-next") + "  web:\n    image: busybox:1.35\n");
        Write("q/compose.yaml", "services:\n" + Service("front", "door"));
        Write("r/compose.yaml", "services:\n" + Service("front", "door") + Service("back", "door-next"));
        var errors = Load().Errors.Select(e => e.ToString()).ToList();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("p/compose.yaml:4:21: services.x.container_name: \"p-web-1-next\" is a name ComposeProject/p (service web)"));
        // Of two equal container_names the later is refused; a temporary of another container_name in any document is.
        Assert.Contains(errors, e => e.StartsWith("r/compose.yaml:4:21: services.front.container_name: \"door\" is a name ComposeProject/q (service front) at q/compose.yaml:1:1 gives its containers (container_name door,"));
        Assert.Contains(errors, e => e.StartsWith("r/compose.yaml:7:21: services.back.container_name: \"door-next\" is a name ComposeProject/q (service front)"));
    }
}
