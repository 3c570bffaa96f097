using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources;

/// <summary>`agent diff` and `agent apply --once` never plan or run removals from a failed read, and say what the
/// mass-prune guard holds: apply refuses without --allow-mass-prune.</summary>
public sealed class SourceCliTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();
    private readonly string state = Directory.CreateTempSubdirectory("agent-it-srccli-state-").FullName;
    private readonly string folder = Directory.CreateTempSubdirectory("agent-it-srccli-").FullName;

    public Task InitializeAsync() => instance.InitializeAsync();

    public async Task DisposeAsync()
    {
        await instance.DisposeAsync();
        Directory.Delete(state, recursive: true);
        Directory.Delete(folder, recursive: true);
    }

    private Task<(int Exit, string Stdout, string Stderr)> Agent(params string[] args) =>
        AgentCli.RunAsync([.. args, "--instance", instance.Id, "--state-dir", state]);

    private void Write(string file, string group) =>
        File.WriteAllText(Path.Combine(folder, file), Manifest.Group(group, Manifest.Sleeper("s")));

    [Fact]
    public async Task A_missing_folder_or_an_unreadable_file_is_an_error_for_diff_and_apply_and_removes_nothing()
    {
        var g = instance.Name("cli-keep");
        Write("g.yaml", g);
        var apply = await Agent("apply", folder, "--once");
        Assert.True(apply.Exit == 0, apply.Stdout + apply.Stderr);
        var ids = await DockerCli.ContainerIdsAsync(instance.InstanceLabel);
        Assert.Single(ids);

        var missing = Path.Combine(folder, "typo");
        var diff = await Agent("diff", missing);
        Assert.True(diff.Exit == 1, diff.Stdout + diff.Stderr);
        Assert.Contains($"{missing} does not exist", diff.Stderr);
        Assert.DoesNotContain("remove", diff.Stdout);
        var again = await Agent("apply", missing, "--once");
        Assert.True(again.Exit == 1, again.Stdout + again.Stderr);
        Assert.Contains("does not exist", again.Stderr);

        // A dangling link where the group's file was: an error naming the file, nothing pruned.
        File.Delete(Path.Combine(folder, "g.yaml"));
        File.CreateSymbolicLink(Path.Combine(folder, "g.yaml"), "/nonexistent/g.yaml");
        var dangling = await Agent("apply", folder, "--once");
        Assert.True(dangling.Exit == 1, dangling.Stdout + dangling.Stderr);
        Assert.Contains("g.yaml:1:1: dangling symlink to /nonexistent/g.yaml", dangling.Stderr);
        Assert.Equal(ids, await DockerCli.ContainerIdsAsync(instance.InstanceLabel));
    }

    [Fact]
    public async Task Diff_and_apply_once_say_PruneBlocked_and_apply_removes_only_with_allow_mass_prune()
    {
        var (a, b, c) = (instance.Name("cli-a"), instance.Name("cli-b"), instance.Name("cli-c"));
        Write("a.yaml", a);
        Write("b.yaml", b);
        Write("c.yaml", c);
        var apply = await Agent("apply", folder, "--once");
        Assert.True(apply.Exit == 0, apply.Stdout + apply.Stderr);
        Assert.Equal(3, (await DockerCli.ContainerIdsAsync(instance.InstanceLabel)).Count);

        File.Delete(Path.Combine(folder, "b.yaml"));
        File.Delete(Path.Combine(folder, "c.yaml"));
        var diff = await Agent("diff", folder);
        Assert.True(diff.Exit == 1, diff.Stdout + diff.Stderr);
        Assert.Contains("PruneBlocked: this read of the manifests would remove 2 of 3 managed objects (more than 50%)", diff.Stderr);
        Assert.Contains($"ServiceGroup/{b} (manifest deleted): PruneBlocked, not removed", diff.Stdout);
        Assert.EndsWith("\nnot in sync: 2 removal(s) held by the mass-prune guard\n", diff.Stdout.ReplaceLineEndings("\n"));

        var refused = await Agent("apply", folder, "--once");
        Assert.True(refused.Exit == 1, refused.Stdout + refused.Stderr);
        Assert.Contains("PruneBlocked", refused.Stderr);
        Assert.Contains("--allow-mass-prune", refused.Stderr);
        Assert.Equal(3, (await DockerCli.ContainerIdsAsync(instance.InstanceLabel)).Count);

        var pending = await Agent("diff", folder, "--allow-mass-prune");
        Assert.True(pending.Exit == 2, pending.Stdout + pending.Stderr);
        Assert.Contains($"remove    {b}-s-1", pending.Stdout);

        var allowed = await Agent("apply", folder, "--once", "--allow-mass-prune");
        Assert.True(allowed.Exit == 0, allowed.Stdout + allowed.Stderr);
        var left = await DockerCli.ContainerIdsAsync(instance.InstanceLabel);
        Assert.Single(left);
        Assert.Equal($"/{a}-s-1", await DockerCli.InspectAsync(left[0], "{{.Name}}"));
    }

    [Fact]
    public async Task Diff_compares_every_object_it_can_while_one_manifest_is_broken_and_exits_1()
    {
        // probe-33 F13: one bad manifest hid the whole diff (errors only, nothing compared).
        var (a, b) = (instance.Name("cli-ok"), instance.Name("cli-bad"));
        Write("a.yaml", a);
        var apply = await Agent("apply", folder, "--once");
        Assert.True(apply.Exit == 0, apply.Stdout + apply.Stderr);

        File.WriteAllText(Path.Combine(folder, "a.yaml"), Manifest.Group(a, Manifest.Sleeper("s", "      env: { LEVEL: debug }\n")));
        File.WriteAllText(Path.Combine(folder, "b.yaml"), Manifest.Group(b, Manifest.Sleeper("s", "      replicas: many\n")));
        var diff = await Agent("diff", folder);
        Assert.True(diff.Exit == 1, diff.Stdout + diff.Stderr);
        Assert.Contains("b.yaml:", diff.Stderr);
        Assert.Contains("replicas: expected a whole number", diff.Stderr);
        Assert.Contains($"ServiceGroup/{a} (a.yaml", diff.Stdout);
        Assert.Contains($"{a}-s-1", diff.Stdout);
        Assert.Contains($"ServiceGroup/{b}: not compared: its manifest has errors (b.yaml:", diff.Stdout);
        Assert.EndsWith("\nnot in sync: 1 manifest error(s), 1 other change(s) pending\n", diff.Stdout.ReplaceLineEndings("\n"));
    }
}
