using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Cli;

/// <summary>`agent validate`, `agent diff` and `agent apply --once`, run as programs against the real engine.</summary>
[Collection(DemoCollection.Name)]
public sealed class CommandLineTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();
    private readonly string state = Directory.CreateTempSubdirectory("agent-cli-state-").FullName;
    private readonly string demoCopy = Directory.CreateTempSubdirectory("agent-cli-demo-").FullName; // not in the state dir: binds of it are refused
    private static string Demo => Path.Combine(AgentCli.RepositoryRoot, "manifests");

    public Task InitializeAsync() => instance.InitializeAsync();

    public async Task DisposeAsync()
    {
        await instance.DisposeAsync();
        Directory.Delete(state, recursive: true);
        Directory.Delete(demoCopy, recursive: true);
    }

    /// <summary>The demo manifests with a volume name of this instance's own: the agent never mounts a volume another
    /// instance (an earlier test run) left under the demo's name.</summary>
    private string DemoWithOwnVolume()
    {
        var copy = demoCopy;
        foreach (var file in Directory.GetFiles(Demo, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(Demo, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, File.ReadAllText(file).Replace("db-data:", $"db-data-{instance.Id}:", StringComparison.Ordinal));
        }
        return copy;
    }

    [Fact]
    public async Task Render_prints_a_compose_project_interpolated_and_merged_with_defaults_filled()
    {
        var dir = Directory.CreateTempSubdirectory("agent-cli-render-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "stack"));
            File.WriteAllText(Path.Combine(dir.FullName, "stack", ".env"), "TAG=1.35\n");
            File.WriteAllText(Path.Combine(dir.FullName, "stack", "compose.yaml"), "services:\n  web:\n    image: busybox:${TAG}\n    command: sleep ${NAP:-60}\n");
            File.WriteAllText(Path.Combine(dir.FullName, "stack", "compose.override.yaml"), "services:\n  web:\n    environment: [MODE=prod]\n");
            var (exit, stdout, stderr) = await AgentCli.RunAsync("render", dir.FullName);
            Assert.True(exit == 0, stdout + stderr);
            Assert.Contains("kind: ComposeProject", stdout);
            Assert.Contains("image: busybox:1.35", stdout);
            Assert.Contains("- sleep\n", stdout);
            Assert.Contains("- 60\n", stdout.Replace("'60'", "60"));
            Assert.Contains("MODE: prod", stdout);
            Assert.Contains("mode: no", stdout.Replace("'no'", "no")); // restart filled with Compose's default
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Validate_accepts_the_demo_manifests()
    {
        var (exit, stdout, _) = await AgentCli.RunAsync("validate", Demo);
        Assert.Equal(0, exit);
        Assert.Contains("6 object(s) valid", stdout);
    }

    [Fact]
    public async Task Validate_with_the_agents_state_dir_refuses_a_bind_of_the_folder_holding_it_as_the_agent_does()
    {
        var root = Directory.CreateTempSubdirectory("agent-cli-statebind-");
        try
        {
            var manifests = Directory.CreateDirectory(Path.Combine(root.FullName, "manifests", "shop")).Parent!.FullName;
            var stateDir = Directory.CreateDirectory(Path.Combine(root.FullName, "state")).FullName;
            File.WriteAllText(Path.Combine(manifests, "shop", "compose.yaml"), "services:\n  web:\n    image: busybox:1.35\n    volumes: [\"../../:/up:ro\"]\n");
            var (exit, stdout, stderr) = await AgentCli.RunAsync("validate", manifests, "--state-dir", stateDir);
            Assert.Equal(1, exit);
            Assert.Contains($"bind mount of {root.FullName} is not allowed", stdout);
            Assert.Contains(stateDir, stdout);
            Assert.Contains($"binds judged against the state dir {stateDir}", stderr);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Validate_judges_ports_against_the_agents_urls_from_the_flag_the_environment_and_a_running_agents_state_dir()
    {
        var root = Directory.CreateTempSubdirectory("agent-cli-urls-");
        try
        {
            var manifests = Directory.CreateDirectory(Path.Combine(root.FullName, "manifests")).FullName;
            var stateDir = Directory.CreateDirectory(Path.Combine(root.FullName, "state")).FullName;
            File.WriteAllText(Path.Combine(manifests, "g.yaml"),
                "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: steal }\nspec:\n  services:\n    - name: s\n      image: busybox:1.35\n      ports: [\"127.0.0.1:18917:8080\"]\n");
            const string refused = "host port 18917 is the agent's own API address (Urls)";
            var (exit, stdout, _) = await AgentCli.RunAsync("validate", manifests, "--state-dir", stateDir);
            Assert.True(exit == 0, stdout); // the default address, 8098: nothing to refuse
            (exit, stdout, _) = await AgentCli.RunAsync("validate", manifests, "--state-dir", stateDir, "--urls", "http://127.0.0.1:18917");
            Assert.True(exit == 1 && stdout.Contains(refused), stdout);
            (exit, stdout, _) = await AgentCli.RunAsync(new Dictionary<string, string> { ["ASPNETCORE_URLS"] = "http://0.0.0.0:18917" }, "validate", manifests, "--state-dir", stateDir);
            Assert.True(exit == 1 && stdout.Contains(refused), stdout);
            (exit, stdout, _) = await AgentCli.RunAsync(new Dictionary<string, string> { ["AGENT_Kestrel__Endpoints__Http__Url"] = "http://127.0.0.1:18917" }, "validate", manifests, "--state-dir", stateDir);
            Assert.True(exit == 1 && stdout.Contains(refused), stdout); // Kestrel endpoints override Urls (probe-15i H5)
            // An agent started with --urls wrote where it listens (probe-15h H5: validate did not know it).
            File.WriteAllText(Path.Combine(stateDir, "server"), "http://127.0.0.1:18917\n");
            (exit, stdout, var stderr) = await AgentCli.RunAsync("validate", manifests, "--state-dir", stateDir);
            Assert.True(exit == 1 && stdout.Contains(refused), stdout);
            Assert.Contains("ports judged against the agent's own 8098, 18917", stderr);
            // --urls takes the place of the default address, as with agent run --urls (probe-65: 18917 and 8098 were judged).
            (exit, stdout, stderr) = await AgentCli.RunAsync("validate", manifests, "--state-dir", stateDir, "--urls", "http://127.0.0.1:18917");
            Assert.True(exit == 1 && stdout.Contains(refused), stdout);
            Assert.Contains("ports judged against the agent's own 18917 (", stderr);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Validate_reports_every_error_as_json_and_exits_1()
    {
        var dir = Directory.CreateTempSubdirectory("agent-cli-broken-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "a.yaml"), "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: a }\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n      ports: [\"80:80:80\"]\n      privileged: true\n");
            var (exit, stdout, _) = await AgentCli.RunAsync("validate", dir.FullName, "-o", "json");
            Assert.Equal(1, exit);
            using var json = JsonDocument.Parse(stdout);
            Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
            var errors = json.RootElement.GetProperty("errors").EnumerateArray().ToList();
            // One pass: the structural error and the security error of the same service, each at its own line.
            Assert.Equal(["spec.services[0].ports[0]", "spec.services[0].privileged"], errors.Select(e => e.GetProperty("field").GetString()));
            Assert.Equal(8, errors[0].GetProperty("line").GetInt32());
            Assert.Equal(9, errors[1].GetProperty("line").GetInt32());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Diff_on_an_empty_engine_lists_every_container_as_a_create_then_apply_converges_and_diff_is_clean()
    {
        var demo = DemoWithOwnVolume();
        var (exit, stdout, stderr) = await AgentCli.RunAsync("diff", demo, "--instance", instance.Id, "--state-dir", state);
        Assert.True(exit == 2, stdout + stderr);
        foreach (var container in new[] { "storage-db-1", "core-api-1", "core-worker-1", "web-frontend-1", "web-frontend-2", "monitoring-heartbeat-1", "shop-catalog-1", "shop-worker-1" })
            Assert.Contains($"create    {container}: no existing container", stdout);
        Assert.Empty(await DockerCli.ContainerIdsAsync(instance.InstanceLabel));

        var apply = await AgentCli.RunAsync("apply", demo, "--once", "--instance", instance.Id, "--state-dir", state);
        Assert.True(apply.Exit == 0, apply.Stdout + apply.Stderr);
        Assert.Equal(8, (await DockerCli.ContainerIdsAsync(instance.InstanceLabel)).Count);

        var again = await AgentCli.RunAsync("diff", demo, "--instance", instance.Id, "--state-dir", state);
        Assert.True(again.Exit == 0, again.Stdout + again.Stderr);
        Assert.Contains("in sync", again.Stdout);
    }
}
