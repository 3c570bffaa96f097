using Agent.Cli;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Cli;

/// <summary>`agent validate STACKDIR` validates the compose project of a folder that holds a compose file at its top
/// (probe-65 M1: "0 object(s) valid" and exit 0 for a broken one), and a folder with nothing in it says so.</summary>
public sealed class ValidateStackFolderTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-validate-");

    public void Dispose() => dir.Delete(recursive: true);

    private string Folder(string name, params (string File, string Text)[] files)
    {
        var folder = Path.Combine(dir.FullName, name);
        foreach (var (file, text) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, file))!);
            File.WriteAllText(Path.Combine(folder, file), text);
        }
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static ManifestSet Validate(string folder) => new ManifestFolder(folder) { RootIsStack = true }.Load(SecurityPolicy.Default);

    private const string Cycle = "services:\n  a:\n    image: busybox:1.35\n    depends_on: [b]\n  b:\n    image: busybox:1.35\n    depends_on: [c]\n  c:\n    image: busybox:1.35\n    depends_on: [a]\n";

    [Fact]
    public void A_stack_folder_is_validated_as_the_project_named_after_it_with_its_errors_at_their_lines()
    {
        var stack = Folder("My.Stack", ("compose.yaml", Cycle));
        var set = Validate(stack);
        Assert.Equal("compose.yaml:3:5: services.a: dependency cycle: a -> b -> c -> a", Assert.Single(set.Errors).ToString());
        Assert.Equal(new ObjectKey("ComposeProject", "mystack"), Assert.Single(set.Documents).Key);
        Assert.Equal("1 error(s); 0 of 1 object(s) valid", ValidateCommand.Summary(stack, set, 1));
        Assert.Contains("validated as a stack folder (project mystack)", ValidateCommand.StackNote(stack, set));
    }

    [Fact]
    public void A_valid_stack_folder_is_one_object_with_its_override_merged()
    {
        var stack = Folder("shop", ("compose.yaml", "services:\n  web:\n    image: busybox:1.35\n"),
            ("compose.override.yaml", "services:\n  web:\n    environment: { A: \"1\" }\n"));
        var set = Validate(stack);
        Assert.Empty(set.Errors);
        var project = Assert.IsType<ServiceGroup>(set.Objects[new ObjectKey("ComposeProject", "shop")]);
        Assert.Equal("1", project.Spec.Services.Single().Container.Env["A"]);
        Assert.Equal($"1 object(s) valid in {stack}", ValidateCommand.Summary(stack, set, 0));
    }

    [Fact]
    public void The_manifests_folder_of_the_agent_still_reads_no_project_from_a_compose_file_at_its_very_top()
    {
        var stack = Folder("shop", ("compose.yaml", Cycle));
        var set = new ManifestFolder(stack).Load(SecurityPolicy.Default);
        Assert.Empty(set.Documents);
    }

    [Fact]
    public void A_compose_file_beside_agent_manifests_at_the_top_is_not_a_project_and_the_note_says_why()
    {
        var folder = Folder("mixed", ("compose.yaml", Cycle),
            ("web.yaml", "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: web }\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n"));
        var set = Validate(folder);
        Assert.Empty(set.Errors);
        Assert.Equal(new ObjectKey("ServiceGroup", "web"), Assert.Single(set.Documents).Key);
        Assert.Contains("beside agent manifests: a folder that holds both is not a stack folder", ValidateCommand.StackNote(folder, set));
    }

    [Fact]
    public void A_folder_with_no_object_says_so_rather_than_zero_objects_valid()
    {
        var empty = Folder("empty", ("README.md", "# nothing to run here\n"));
        var set = Validate(empty);
        Assert.Empty(set.Errors);
        var summary = ValidateCommand.Summary(empty, set, 0);
        Assert.StartsWith($"no object found in {empty}: no agent manifest", summary);
        Assert.Contains("no stack folder (a sub-folder holding compose.yaml", summary);
        Assert.Null(ValidateCommand.StackNote(empty, set));
    }
}
