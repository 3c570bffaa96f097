using Agent.Core.Model;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Compose;

/// <summary>What a stack folder is depends on its compose files only (probe-15d H13): other files dropped beside
/// compose.yaml never prune the project. A short Agent:PruneDelay makes a wrong prune show at once.</summary>
public sealed class StackFolderClassificationTests() : AgentScenario(new Dictionary<string, string?>
{
    ["Agent:PruneDelay"] = "00:00:00.100",
    ["Agent:ResyncInterval"] = "00:00:01",
})
{
    [Fact]
    public async Task Other_yaml_beside_compose_yaml_and_then_an_agent_manifest_keep_the_project_running_as_it_is()
    {
        var project = Instance.Name("stk");
        Agent.Write($"{project}/compose.yaml", $"services:\n  app:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var before = (await Containers.RunningAsync(Instance, project, 1)).Single();

        Agent.Write($"{project}/prometheus.yml", "global:\n  scrape_interval: 15s\nscrape_configs: []\n");
        Agent.Write($"{project}/docker-compose.ci.yml", "services:\n  app:\n    environment: { CI: \"1\" }\n");
        Agent.Write($"{project}/x.yaml", "services: [oops\n  a: b\n");
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(30), "x.yaml", "tied to no object"); // the read that holds all three
        await Task.Delay(TimeSpan.FromSeconds(2)); // well over the prune delay and a resync
        Assert.Equal(before.Id, (await Containers.RunningAsync(Instance, project, 1)).Single().Id);
        Assert.Equal("True", Agent.Status.Get(new ObjectKey(ServiceGroup.ComposeKindName, project))!.Condition("Ready")!.Status);

        // An agent manifest of its own makes the folder ambiguous: the project is held as it runs, with an error naming the file.
        Agent.Write($"{project}/group.yaml", $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: {{ name: {Instance.Name("g")} }}\nspec:\n  services:\n"
                                              + $"    - name: s\n      image: {TestEngine.Image}\n      command: [\"sleep\", \"3600\"]\n");
        var held = await Agent.WaitForConditionAsync(project, "Ready", "False", null, TimeSpan.FromSeconds(30), ServiceGroup.ComposeKindName);
        Assert.Contains($"{project}/group.yaml", held.Condition("Ready")!.Message);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(before.Id, (await Containers.RunningAsync(Instance, project, 1)).Single().Id);
        Assert.Equal(project + "_default", await DockerCli.RunAsync("network", "inspect", "--format", "{{.Name}}", project + "_default"));

        Agent.Delete($"{project}/group.yaml");
        await Agent.WaitProjectReadyAsync(project);
        Assert.Equal(before.Id, (await Containers.RunningAsync(Instance, project, 1)).Single().Id);
    }
}
