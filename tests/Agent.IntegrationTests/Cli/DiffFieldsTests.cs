using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Cli;

/// <summary>`agent diff` after `agent apply --once`: a changed manifest shows the fields that changed, not hashes,
/// and a start-first update shows no rename line the user did not cause.</summary>
public sealed class DiffFieldsTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();
    private readonly DirectoryInfo state = Directory.CreateTempSubdirectory("agent-diff-state-");
    private readonly DirectoryInfo manifests = Directory.CreateTempSubdirectory("agent-diff-manifests-");

    public Task InitializeAsync() => instance.InitializeAsync();

    public async Task DisposeAsync()
    {
        await instance.DisposeAsync();
        state.Delete(recursive: true);
        manifests.Delete(recursive: true);
    }

    private string Group => instance.Name("diff");

    private void Write(string image, string logLevel, string strategy, bool suspend = false) => File.WriteAllText(Path.Combine(manifests.FullName, "g.yaml"),
        $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {Group}\nspec:\n{(suspend ? "  suspend: true\n" : "")}  services:\n" +
        $"    - name: app\n      image: {image}\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGKILL\n" +
        $"      env: {{ LOG_LEVEL: {logLevel} }}\n      update: {{ strategy: {strategy} }}\n");

    private Task<(int Exit, string Stdout, string Stderr)> Agent(params string[] args) =>
        AgentCli.RunAsync([.. args, manifests.FullName, "--instance", instance.Id, "--state-dir", state.FullName]);

    [Theory]
    [InlineData("start-first")]
    [InlineData("stop-first")]
    public async Task Diff_names_each_changed_field_and_folds_the_update_into_one_recreate(string strategy)
    {
        Write(TestEngine.Image, "info", strategy);
        var apply = await Agent("apply", "--once", "--timeout", "2m");
        Assert.True(apply.Exit == 0, apply.Stdout + apply.Stderr);

        Write("busybox:latest", "debug", strategy);
        var (exit, stdout, stderr) = await Agent("diff");
        Assert.True(exit == 2, stdout + stderr);
        Assert.Contains($"recreate  {Group}-app-1: spec changed: image, env.LOG_LEVEL", stdout);
        Assert.Contains($"~ image: {TestEngine.Image} -> busybox:latest", stdout);
        Assert.Contains("- env.LOG_LEVEL: info", stdout);
        Assert.Contains("+ env.LOG_LEVEL: debug", stdout);
        Assert.DoesNotContain("rename", stdout);
        Assert.Contains("1 change(s) pending", stdout);
    }

    [Fact]
    public async Task Diff_of_a_group_its_manifest_suspends_shows_what_resuming_it_would_apply()
    {
        Write(TestEngine.Image, "info", "stop-first");
        var apply = await Agent("apply", "--once", "--timeout", "2m");
        Assert.True(apply.Exit == 0, apply.Stdout + apply.Stderr);
        Write(TestEngine.Image, "info", "stop-first", suspend: true);
        apply = await Agent("apply", "--once", "--timeout", "2m");
        Assert.True(apply.Exit == 0, apply.Stdout + apply.Stderr);
        Assert.Equal("false", await DockerCli.InspectAsync($"{Group}-app-1", "{{.State.Running}}"));

        // Edited while suspended: nothing changes now (exit 0, in sync), and the diff says what lifting the suspend applies.
        Write(TestEngine.Image, "debug", "stop-first", suspend: true);
        var (exit, stdout, stderr) = await Agent("diff");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains($"ServiceGroup/{Group}: in sync (suspend: true in its manifest; without it, 1 change(s) would apply)", stdout);
        Assert.Contains($"on resume: recreate  {Group}-app-1: spec changed: env.LOG_LEVEL", stdout);
        Assert.Contains("+ env.LOG_LEVEL: debug", stdout);
    }

    [Fact]
    public async Task Diff_never_prints_values_read_from_env_files()
    {
        File.WriteAllText(Path.Combine(manifests.FullName, "app.env"), "DB_PASSWORD=hunter2-old\nAPI_KEY=key-old\n");
        File.WriteAllText(Path.Combine(manifests.FullName, "g.yaml"),
            $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {Group}\nspec:\n  services:\n" +
            $"    - name: app\n      image: {TestEngine.Image}\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGKILL\n      envFrom: [app.env]\n");
        var apply = await Agent("apply", "--once", "--timeout", "2m");
        Assert.True(apply.Exit == 0, apply.Stdout + apply.Stderr);
        // Nor does the applied-spec label the diff compares with.
        Assert.DoesNotContain("hunter2-old", await DockerCli.InspectAsync($"{Group}-app-1", "{{json .Config.Labels}}"));

        File.WriteAllText(Path.Combine(manifests.FullName, "app.env"), "DB_PASSWORD=hunter2-new\nTOKEN=token-new\n");
        var (exit, stdout, stderr) = await Agent("diff");
        Assert.True(exit == 2, stdout + stderr);
        Assert.Contains("~ env.DB_PASSWORD: (secret changed)", stdout);
        Assert.Contains("+ env.TOKEN: (secret)", stdout);
        Assert.Contains("- env.API_KEY: (secret)", stdout);
        foreach (var value in new[] { "hunter2", "key-old", "token-new" })
        {
            Assert.DoesNotContain(value, stdout);
            Assert.DoesNotContain(value, stderr);
        }
    }

    [Fact]
    public async Task Diff_and_the_applied_spec_label_never_hold_a_build_arg_interpolated_from_dot_env()
    {
        // probe-17 F6: `~ build.args.NPM_TOKEN: EnvSecret-p17-QQQ -> EnvSecret-p17-NEW`, and the token in agent.spec.
        var project = instance.Name("bargs");
        var folder = Directory.CreateDirectory(Path.Combine(manifests.FullName, project)).FullName;
        File.WriteAllText(Path.Combine(folder, ".env"), "NPM_TOKEN=EnvSecret-bargs-QQQ\n");
        File.WriteAllText(Path.Combine(folder, "compose.yaml"),
            "services:\n  app:\n    build:\n      context: .\n" +
            $"      dockerfile_inline: \"FROM {TestEngine.Image}\\nARG NPM_TOKEN\\nARG VERSION\\nRUN echo built >/dev/null\\n\"\n" +
            "      args:\n        NPM_TOKEN: \"${NPM_TOKEN}\"\n        VERSION: \"1\"\n" +
            "    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n");
        var apply = await Agent("apply", "--once", "--timeout", "3m");
        Assert.True(apply.Exit == 0, apply.Stdout + apply.Stderr);
        var labels = await DockerCli.InspectAsync($"{project}-app-1", "{{json .Config.Labels}}");
        Assert.Contains("NPM_TOKEN", labels);
        Assert.DoesNotContain("EnvSecret-bargs", labels);
        // The builder did get the value (docker history shows it to whoever reads the engine, as docker build does).
        Assert.Contains("NPM_TOKEN=EnvSecret-bargs-QQQ", await DockerCli.RunAsync("image", "history", "--no-trunc", "--format", "{{.CreatedBy}}", $"{project}-app"));

        File.WriteAllText(Path.Combine(folder, ".env"), "NPM_TOKEN=EnvSecret-bargs-NEW\n");
        File.WriteAllText(Path.Combine(folder, "compose.yaml"), File.ReadAllText(Path.Combine(folder, "compose.yaml")).Replace("VERSION: \"1\"", "VERSION: \"2\""));
        var (exit, stdout, stderr) = await Agent("diff");
        Assert.True(exit == 2, stdout + stderr);
        Assert.Contains("~ build.args.NPM_TOKEN: (secret changed)", stdout);
        Assert.Contains("~ build.args.VERSION: 1 -> 2", stdout);
        Assert.DoesNotContain("EnvSecret-bargs", stdout);
        Assert.DoesNotContain("EnvSecret-bargs", stderr);
    }
}
