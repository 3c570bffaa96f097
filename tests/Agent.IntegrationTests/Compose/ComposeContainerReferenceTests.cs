using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Compose;

/// <summary>network_mode: service:X and volumes_from on the real engine, as `docker compose up` does them: the user joins
/// X's container (by id), sees its volumes, and is recreated when X is; container:NAME of a container the agent does
/// not manage is refused at load and nothing is created (the docker CLI is the oracle).</summary>
public sealed class ComposeContainerReferenceTests : AgentScenario
{
    private static string Compose(int version) => $$"""
        services:
          sidecar:
            image: {{TestEngine.Image}}
            command: ["sleep", "3600"]
            stop_signal: SIGKILL
            network_mode: "service:web"
            volumes_from: ["web:ro"]
          web:
            image: {{TestEngine.Image}}
            command: ["sh", "-c", "mkdir -p /www && echo web-$$VERSION > /www/index.html && echo data-$$VERSION > /data/v && exec httpd -f -p 8080 -h /www"]
            environment: { VERSION: "{{version}}" }
            stop_signal: SIGKILL
            volumes: [data:/data]
        volumes:
          data: {}
        """;

    [Fact]
    public async Task A_sidecar_in_the_network_of_web_reaches_it_sees_its_volume_and_follows_it_when_web_is_recreated()
    {
        var project = Instance.Name("side");
        Agent.Write($"{project}/compose.yaml", Compose(1));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        await Containers.RunningAsync(Instance, project, 2);
        var web = await DockerCli.InspectAsync($"{project}-web-1", "{{.Id}}");
        await SidecarServesAsync(project, web, "1");

        Agent.Write($"{project}/compose.yaml", Compose(2));
        var newWeb = await Eventually.ReturnsAsync(async () => (await DockerCli.TryRunAsync("inspect", "--format", "{{.Id}} {{.State.Running}}", $"{project}-web-1")).Stdout.Trim(),
            s => s.EndsWith(" true", StringComparison.Ordinal) && !s.StartsWith(web, StringComparison.Ordinal), TimeSpan.FromSeconds(90), "web recreated and running");
        await SidecarServesAsync(project, newWeb.Split(' ')[0], "2");
        await Agent.WaitProjectReadyAsync(project);
        await Containers.RunningAsync(Instance, project, 2);
    }

    [Fact]
    public async Task A_sidecar_left_in_the_network_of_a_removed_web_container_joins_the_current_one_at_the_next_start()
    {
        var project = Instance.Name("left");
        Agent.Write($"{project}/compose.yaml", Compose(1));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        await Containers.RunningAsync(Instance, project, 2);
        var web = $"{project}-web-1";
        var oldWeb = await DockerCli.InspectAsync(web, "{{.Id}}");
        await Agent.StopAsync();

        // What an agent stopped after recreating web and before recreating the sidecar leaves: web-1 is another container
        // of the same spec (its labels, network and volume), the sidecar still in the namespace of the removed one.
        var labels = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(await DockerCli.InspectAsync(web, "{{json .Config.Labels}}"))!;
        await DockerCli.RunAsync("rm", "-f", web);
        var run = new List<string> { "run", "-d", "--name", web, "--network", $"{project}_default", "-v", $"{project}_data:/data", "-e", "VERSION=1" };
        foreach (var (key, value) in labels) run.AddRange(["--label", $"{key}={value}"]);
        run.AddRange([TestEngine.Image, "sh", "-c", "mkdir -p /www && echo web-$VERSION > /www/index.html && echo data-$VERSION > /data/v && exec httpd -f -p 8080 -h /www"]);
        var newWeb = (await DockerCli.RunAsync([.. run])).Trim();
        Assert.Equal($"container:{oldWeb}", await DockerCli.InspectAsync($"{project}-sidecar-1", "{{.HostConfig.NetworkMode}}"));

        await Agent.StartAsync();
        await SidecarServesAsync(project, newWeb, "1");
        Assert.Equal(newWeb, await DockerCli.InspectAsync(web, "{{.Id}}")); // web itself is kept
        await Agent.WaitProjectReadyAsync(project);
    }

    /// <summary>The sidecar is in web's network namespace (by web's id), reaches web's httpd on 127.0.0.1 and reads web's volume.</summary>
    private static async Task SidecarServesAsync(string project, string webId, string version)
    {
        var sidecar = $"{project}-sidecar-1";
        await Eventually.ReturnsAsync(async () => (await DockerCli.TryRunAsync("inspect", "--format", "{{.HostConfig.NetworkMode}} {{.State.Running}}", sidecar)).Stdout.Trim(),
            s => s == $"container:{webId} true", TimeSpan.FromSeconds(90), $"{sidecar} running in the network of web {webId}");
        await Eventually.ReturnsAsync(async () => (await DockerCli.TryRunAsync("exec", sidecar, "wget", "-qO-", "http://127.0.0.1:8080/")).Stdout.Trim(),
            s => s == $"web-{version}", TimeSpan.FromSeconds(60), $"web-{version} served to the sidecar on 127.0.0.1:8080");
        Assert.Equal($"data-{version}", (await DockerCli.RunAsync("exec", sidecar, "cat", "/data/v")).Trim());
        // volumes_from web:ro: the volume is web's, read-only here.
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("exec", sidecar, "touch", "/data/w")).Exit);
    }

    [Fact]
    public async Task Network_mode_or_volumes_from_a_container_the_agent_does_not_manage_is_refused_and_nothing_is_created()
    {
        var project = Instance.Name("foreign");
        var foreign = Instance.Name("db");
        await DockerCli.RunAsync("run", "-d", "--name", foreign, TestEngine.Image, "sleep", "3600");
        try
        {
            Agent.Write($"{project}/compose.yaml", $"""
                services:
                  app:
                    image: {TestEngine.Image}
                    command: ["sleep", "3600"]
                    network_mode: "container:{foreign}"
                    volumes_from: ["container:{foreign}:ro"]
                """);
            await Agent.StartAsync();
            var status = await Agent.WaitForConditionAsync(project, ConditionTypes.Degraded, "True", "InvalidManifest", kind: ServiceGroup.ComposeKindName);
            Assert.Contains(status.ManifestErrors, e => e.Contains($"{project}/compose.yaml:5:", StringComparison.Ordinal)
                && e.Contains("services.app.network_mode", StringComparison.Ordinal) && e.Contains("not one of this agent's managed containers", StringComparison.Ordinal));
            Assert.Contains(status.ManifestErrors, e => e.Contains($"{project}/compose.yaml:6:", StringComparison.Ordinal)
                && e.Contains("services.app.volumes_from[0]", StringComparison.Ordinal) && e.Contains("not one of this agent's managed containers", StringComparison.Ordinal));
            Assert.Empty(await Containers.OfAsync(Instance, project));
            Assert.Equal("", (await DockerCli.RunAsync("ps", "-aq", "--filter", $"label={Instance.InstanceLabel}")).Trim());
            Assert.Equal("true", await DockerCli.InspectAsync(foreign, "{{.State.Running}}"));
        }
        finally
        {
            await Agent.StopAsync();
            await DockerCli.TryRunAsync("rm", "-f", foreign);
        }
    }
}
