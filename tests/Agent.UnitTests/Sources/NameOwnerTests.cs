using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Sources;

namespace Agent.UnitTests.Sources;

/// <summary>A newly added manifest whose containers would be named like those of an object that runs is the one refused,
/// whatever the file order, also after a restart; when neither runs, the later document is (probe-16 F9).</summary>
public sealed class NameOwnerTests() : ManifestFolderTestBase("name-owner")
{
    private static readonly ObjectKey Project = new(ServiceGroup.ComposeKindName, "stk2");
    private static readonly ObjectKey Group = new(ServiceGroup.KindName, "stk2");

    private void WriteProject() => Write("stk2/compose.yaml", "services:\n  a:\n    image: busybox:1.35\n  b:\n    image: busybox:1.35\n    scale: 2\n");

    // Before the stack folder in file order: "sg/..." < "stk2/...".
    private void WriteGroup() => Write("sg/aaa-stk2.yaml",
        "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: stk2\nspec:\n  services:\n    - name: b\n      image: busybox:1.35\n      command: [sleep, \"99\"]\n");

    [Fact]
    public void A_new_group_naming_its_containers_like_a_running_project_is_refused_as_a_name_conflict_and_the_project_stays()
    {
        WriteProject();
        var store = NewStore();
        store.Reload();
        Assert.False(store.Get(Project)!.IsBroken);

        WriteGroup();
        store.Reload();

        var project = store.Get(Project)!;
        Assert.False(project.IsBroken);
        Assert.IsType<ServiceGroup>(project.Object);
        var group = store.Get(Group)!;
        Assert.Null(group.Object);
        Assert.Equal(DesiredEntry.NameConflict, group.HeldReason);
        var error = Assert.Single(group.Errors);
        Assert.Equal(("sg/aaa-stk2.yaml", 7, "spec.services[0].name"), (error.File, error.Line, error.Path));
        Assert.Contains("containers would be named stk2-b-N, like those of service \"b\" of ComposeProject/stk2 at stk2/compose.yaml:1:1, which runs them", error.Message);

        // A restart decides the same from the record in the state dir, before the engine is listed.
        var restarted = NewStore();
        restarted.Reload();
        Assert.False(restarted.Get(Project)!.IsBroken);
        Assert.Equal(DesiredEntry.NameConflict, restarted.Get(Group)!.HeldReason);
        Assert.Null(restarted.Get(Group)!.Object);
        Assert.True(File.Exists(Path.Combine(StateDir, ManifestIndex.NameOwnersFileName)));
    }

    [Fact]
    public void A_running_project_whose_file_does_not_load_keeps_its_names_against_a_new_group()
    {
        WriteProject();
        var store = NewStore();
        store.Reload();
        Write("stk2/compose.yaml", "services:\n  a:\n    image: [\n");
        store.Reload();
        Assert.True(store.Get(Project)!.IsBroken);

        WriteGroup();
        store.Reload();

        Assert.IsType<ServiceGroup>(store.Get(Project)!.Object); // held at its last good spec
        var group = store.Get(Group)!;
        Assert.Null(group.Object);
        Assert.Equal(DesiredEntry.NameConflict, group.HeldReason);
        Assert.Contains("like those of ComposeProject/stk2 at stk2/compose.yaml:1:1, which runs them", Assert.Single(group.Errors).Message);
    }

    [Fact]
    public void When_neither_runs_the_later_document_is_refused_and_the_first_keeps_its_names_after_that()
    {
        WriteProject();
        WriteGroup();
        var store = NewStore();
        store.Reload();

        // File order: the group's file comes first, so the project is the later document, an invalid manifest.
        Assert.False(store.Get(Group)!.IsBroken);
        var project = store.Get(Project)!;
        Assert.Equal(DesiredEntry.InvalidManifest, project.HeldReason);
        Assert.Contains("like those of service \"b\" of ServiceGroup/stk2 at sg/aaa-stk2.yaml:1:1: rename", Assert.Single(project.Errors).Message);

        // The group was accepted: from now on it owns the names, also when its file moves after the stack in file order.
        File.Delete(Path.Combine(Root, "sg/aaa-stk2.yaml"));
        Write("zz/stk2.yaml",
            "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: stk2\nspec:\n  services:\n    - name: b\n      image: busybox:1.35\n      command: [sleep, \"99\"]\n");
        store.Reload();
        Assert.False(store.Get(Group)!.IsBroken);
        Assert.Equal(DesiredEntry.NameConflict, store.Get(Project)!.HeldReason);
    }

    [Fact]
    public void The_pure_check_gives_the_names_to_their_owner_whatever_the_order()
    {
        static string Text(string name, string service) =>
            $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {name}\nspec:\n  services:\n    - name: {service}\n      image: busybox:1.35\n";
        var parsed = ManifestSet.Parse([("a.yaml", System.Text.Encoding.UTF8.GetBytes(Text("a", "b-c"))), ("b.yaml", System.Text.Encoding.UTF8.GetBytes(Text("a-b", "c")))],
            new ManifestFolder(Root), Agent.Core.Security.SecurityPolicy.Default);
        var second = parsed[1];

        var byOrder = ManifestSet.Build(parsed);
        Assert.Equal(["a"], byOrder.Objects.Keys.Select(k => k.Name));
        Assert.False(byOrder.Documents[1].IsNameTaken);

        var byOwner = ManifestSet.Build(parsed, prefix => prefix == "a-b-c-" ? second.Key : null);
        Assert.Equal(["a-b"], byOwner.Objects.Keys.Select(k => k.Name));
        var refused = byOwner.Documents[0];
        Assert.True(refused.IsNameTaken);
        Assert.Equal("a.yaml:7:13: spec.services[0].name: containers would be named a-b-c-N, like those of service \"c\" of ServiceGroup/a-b at b.yaml:1:1, which runs them: they stay its own; rename the group or the service",
            Assert.Single(refused.Errors).ToString());
    }
}
