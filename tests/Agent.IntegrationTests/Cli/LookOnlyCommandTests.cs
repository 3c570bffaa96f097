using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Jobs.JobContainers;

namespace Agent.IntegrationTests.Cli;

/// <summary>`agent diff`, `validate` and `render` only look: run as a program with a state dir (often the running agent's),
/// they create, write, move aside or delete nothing in it (probe-15j H3/H4/L10), and a fresh state dir is no crash (L9).</summary>
public sealed class LookOnlyCommandTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("agent-it-lookonly-");

    public Task InitializeAsync() => instance.InitializeAsync();

    public async Task DisposeAsync()
    {
        await instance.DisposeAsync();
        root.Delete(recursive: true);
    }

    private string Folder(string name) => Directory.CreateDirectory(Path.Combine(root.FullName, name)).FullName;

    /// <summary>Every file and folder under <paramref name="dir"/> with its bytes (folders as "dir").</summary>
    private static SortedDictionary<string, string> Listing(string dir) =>
        new(Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories).ToDictionary(
            p => Path.GetRelativePath(dir, p),
            p => Directory.Exists(p) ? "dir" : Convert.ToBase64String(File.ReadAllBytes(p))), StringComparer.Ordinal);

    [Fact]
    public async Task Diff_validate_and_render_leave_the_state_dir_byte_for_byte_as_it_was_also_with_corrupt_files()
    {
        var group = instance.Name("g");
        var manifests = Folder("other-checkout");
        File.WriteAllText(Path.Combine(manifests, "c.yaml"), Manifest.Group(group, Manifest.Sleeper("s")));
        var state = Folder("state");
        // The running agent's records: the group defined in b.yaml, a folder a container writes, a torn Job history.
        File.WriteAllText(Path.Combine(state, "manifest-files.json"), $"{{\"ServiceGroup/{group}\":\"b.yaml\"}}\n");
        File.WriteAllText(Path.Combine(state, "writable-binds.json"), $"{{\"{manifests}/wdata\":\"ServiceGroup/{group}\"}}\n");
        File.WriteAllText(Path.Combine(Folder("state/jobs"), $"Job-{instance.Name("mig")}.json"), "{\"key\":{\"kind\":\"Jo");
        File.WriteAllText(Path.Combine(state, "suspended.json"), "[\"ServiceGroup/");
        var before = Listing(state);

        var diff = await AgentCli.RunAsync("diff", manifests, "--instance", instance.Id, "--state-dir", state);
        Assert.True(diff.Exit == 2, diff.Stdout + diff.Stderr); // the group would be created
        Assert.Contains($"ServiceGroup/{group} (c.yaml:1:1):", diff.Stdout);
        Assert.Equal(before, Listing(state));

        var validate = await AgentCli.RunAsync("validate", manifests, "--state-dir", state);
        Assert.True(validate.Exit == 0, validate.Stdout + validate.Stderr);
        var render = await AgentCli.RunAsync("render", manifests, "--state-dir", state);
        Assert.True(render.Exit == 0, render.Stdout + render.Stderr);
        Assert.Equal(before, Listing(state));

        // A torn record of written folders: the diff holds (as the agent would) but neither moves it aside nor marks it lost.
        File.WriteAllText(Path.Combine(state, "writable-binds.json"), "{\"/x");
        before = Listing(state);
        diff = await AgentCli.RunAsync("diff", manifests, "--instance", instance.Id, "--state-dir", state);
        Assert.NotEqual(0, diff.Exit);
        Assert.Equal(before, Listing(state));
    }

    [Fact]
    public async Task Diff_with_a_fresh_state_dir_beside_the_instances_job_containers_is_no_crash_and_creates_nothing()
    {
        var job = instance.Name("mig");
        var manifests = Folder("m");
        File.WriteAllText(Path.Combine(manifests, "job.yaml"), Job(job, "exit 0"));
        var applied = await AgentCli.RunAsync("apply", manifests, "--once", "--timeout", "60s", "--instance", instance.Id, "--state-dir", Folder("applied"));
        Assert.True(applied.Exit == 0, applied.Stdout + applied.Stderr);
        Assert.NotEmpty(await ListAsync(instance, job));

        var fresh = Folder("fresh");
        var diff = await AgentCli.RunAsync("diff", manifests, "--instance", instance.Id, "--state-dir", fresh);
        // Exit 2: its runs are adopted from the containers' labels (this state dir has no history to compare the spec with).
        Assert.True(diff.Exit == 2, diff.Stdout + diff.Stderr);
        Assert.DoesNotContain("Exception", diff.Stderr);
        Assert.Matches($@"(?m)^  adopt\s+Job/{job}: no history in this state dir", diff.Stdout);
        Assert.Empty(Listing(fresh));

        var missing = Path.Combine(root.FullName, "never-made");
        diff = await AgentCli.RunAsync("diff", manifests, "--instance", instance.Id, "--state-dir", missing);
        Assert.True(diff.Exit == 2, diff.Stdout + diff.Stderr);
        Assert.False(Path.Exists(missing));
    }
}
