using System.Text.Json;
using Agent.Core.Model;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Compose;

/// <summary>A project Debian's docker-compose 1.29 started (`up -d`: same project, network and volume names, no agent
/// labels): a Conflict that touches nothing, then `adopt: true` replaces it service by service and the volume's data stays.
/// The docker CLI is the oracle.</summary>
public sealed class ComposeAdoptionTests : AgentScenario
{
    private string project = "";
    private string ComposeFile => Path.Combine(Agent.Manifests, project, "compose.yaml");

    [Fact]
    public async Task A_project_docker_compose_started_is_a_Conflict_left_alone_until_adopt_true_replaces_it_keeping_the_volume_data()
    {
        project = Instance.Name("adopt");
        Agent.Write($"{project}/compose.yaml", $"""
            services:
              db:
                image: {TestEngine.Image}
                command: ["sleep", "3600"]
                stop_signal: SIGKILL
                volumes: ["data:/data"]
              web:
                image: {TestEngine.Image}
                command: ["sleep", "3600"]
                stop_signal: SIGKILL
                depends_on: [db]
            volumes:
              data:
            """);
        await DockerCompose.RunAsync(project, ComposeFile, "up", "-d");
        var composeDb = await DockerCli.InspectAsync($"{project}_db_1", "{{.Id}}");
        var composeWeb = await DockerCli.InspectAsync($"{project}_web_1", "{{.Id}}");
        var network = await DockerCli.InspectAsync($"{project}_default", "{{.Id}}");
        await DockerCli.RunAsync("exec", composeDb, "sh", "-c", "echo written-through-compose > /data/proof");
        // A container outside the project (another compose project's label, no agent labels) that nothing may touch.
        var bystander = await DockerCli.RunAsync("run", "-d", "--name", Instance.Name("bystander"), "--label", Instance.InstanceLabel,
            "--label", $"com.docker.compose.project={Instance.Name("elsewhere")}", "--label", "com.docker.compose.service=db", TestEngine.Image, "sleep", "3600");

        // Default: a Conflict that lists the foreign containers; nothing is touched.
        Agent.Write($"{project}/project.yaml", Manifest(adopt: false));
        await Agent.StartAsync();
        var conflict = await Agent.WaitForConditionAsync(project, "Conflict", "True", "ForeignContainers", kind: ServiceGroup.ComposeKindName);
        var message = conflict.Conditions.Single(c => c.Type == "Conflict").Message;
        Assert.Contains($"{project}_db_1 (db)", message);
        Assert.Contains($"{project}_web_1 (web)", message);
        Assert.DoesNotContain("bystander", message);
        await Task.Delay(TimeSpan.FromSeconds(3)); // a few more resyncs
        Assert.Empty(await Containers.OfAsync(Instance, project));
        Assert.Equal("true", await DockerCli.InspectAsync(composeDb, "{{.State.Running}}"));
        Assert.Equal("true", await DockerCli.InspectAsync(composeWeb, "{{.State.Running}}"));

        // adopt: true replaces the containers one service at a time and reuses the network and the volume.
        Agent.Write($"{project}/project.yaml", Manifest(adopt: true));
        var ready = await Agent.WaitProjectReadyAsync(project, TimeSpan.FromSeconds(90));
        Assert.Equal("False", ready.Conditions.Single(c => c.Type == "Conflict").Status);
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("inspect", composeDb)).Exit);
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("inspect", composeWeb)).Exit);
        var db = await DockerCli.InspectAsync($"{project}-db-1", "{{index .Config.Labels \"agent.instance\"}}");
        Assert.Equal(Instance.Id, db);
        Assert.Equal("written-through-compose", await DockerCli.RunAsync("exec", $"{project}-db-1", "cat", "/data/proof"));
        Assert.Equal(network, await DockerCli.InspectAsync($"{project}-web-1", $"{{{{(index .NetworkSettings.Networks \"{project}_default\").NetworkID}}}}"));
        Assert.Equal("true", await DockerCli.InspectAsync(bystander, "{{.State.Running}}"));
        var adopted = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Agent.StateDir, "adopted.json"))).RootElement
            .GetProperty($"ComposeProject/{project}").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal([$"network:{project}_default", $"volume:{project}_data"], adopted);
        // docker-compose sees the agent's containers as the project's.
        Assert.Equal(2, (await DockerCompose.RunAsync(project, ComposeFile, "ps", "-q")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task A_container_docker_compose_starts_beside_a_running_project_is_a_Conflict_even_when_nothing_needs_creating()
    {
        project = Instance.Name("beside");
        Agent.Write($"{project}/compose.yaml", $"services:\n  web:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var ours = await Containers.RunningAsync(Instance, project, 1);

        // What `docker compose up --scale web=2` adds: the project's Compose labels, no agent labels.
        var foreign = await DockerCli.RunAsync("run", "-d", "--name", $"{project}_web_2", "--label", $"com.docker.compose.project={project}",
            "--label", "com.docker.compose.service=web", "--label", "com.docker.compose.oneoff=False", TestEngine.Image, "sleep", "3600");
        try
        {
            var conflict = await Agent.WaitForConditionAsync(project, "Conflict", "True", "ForeignContainers", kind: ServiceGroup.ComposeKindName);
            Assert.Contains($"{project}_web_2 (web)", conflict.Conditions.Single(c => c.Type == "Conflict").Message);
            Assert.Equal("true", await DockerCli.InspectAsync(foreign, "{{.State.Running}}"));
            Assert.Equal(ours.Select(c => c.Id), (await Containers.RunningAsync(Instance, project, 1)).Select(c => c.Id));
        }
        finally
        {
            await DockerCli.TryRunAsync("rm", "-f", foreign);
        }
        await Agent.WaitForConditionAsync(project, "Conflict", "False", "Resolved", kind: ServiceGroup.ComposeKindName);
    }

    private string Manifest(bool adopt) =>
        $"apiVersion: agent/v1\nkind: ComposeProject\nmetadata: {{ name: {project} }}\nspec:\n  files: [compose.yaml]\n  adopt: {(adopt ? "true" : "false")}\n";

    public override async Task DisposeAsync()
    {
        await Agent.StopAsync();
        if (project.Length > 0 && File.Exists(ComposeFile)) await DockerCompose.DownAsync(project, ComposeFile);
        await base.DisposeAsync();
    }
}
