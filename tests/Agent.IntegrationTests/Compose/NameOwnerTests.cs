using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Compose;

/// <summary>probe-16 F9: a ServiceGroup added beside a running compose project, whose containers would be named like the
/// project's, won by file order: the running project was refused (frozen, not healed) and the newcomer took a lost
/// replica's name. Now the object that runs keeps its names and is healed; the newcomer is refused as a name conflict.</summary>
public sealed class NameOwnerTests() : AgentScenario(new Dictionary<string, string?> { ["Agent:ResyncInterval"] = "00:00:01" })
{
    [Fact]
    public async Task A_new_group_naming_its_containers_like_a_running_project_is_refused_and_the_project_keeps_and_heals_them()
    {
        var project = Instance.Name("stk2");
        Agent.Write($"{project}/compose.yaml", $"services:\n  b:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n    scale: 2\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var before = await Containers.RunningAsync(Instance, project, 2);
        Assert.Equal([$"{project}-b-1", $"{project}-b-2"], before.Select(r => r.Name));

        // Before the stack folder in file order ("sg/" < "t..."), which used to decide.
        var file = $"sg/aaa-{project}.yaml";
        Agent.Write(file, $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {project}\nspec:\n  services:\n" +
                          $"    - name: b\n      image: {TestEngine.Image}\n      command: [\"sleep\", \"99\"]\n      stopSignal: SIGKILL\n");
        var refused = await Agent.WaitForConditionAsync(project, ConditionTypes.Ready, "False", GroupConditions.NameConflict, TimeSpan.FromSeconds(30));
        var message = refused.Condition(ConditionTypes.Ready)!.Message;
        Assert.Contains($"{file}:7:", message);
        Assert.Contains("spec.services[0].name", message);
        Assert.Contains($"ComposeProject/{project} at {project}/compose.yaml", message);

        async Task AssertProjectKeepsItsContainers(IReadOnlyList<string> ids)
        {
            var rows = await Containers.RunningAsync(Instance, project, 2);
            Assert.Equal(ids, rows.Select(r => r.Id));
            foreach (var row in rows)
            {
                Assert.Equal(ServiceGroup.ComposeKindName, await DockerCli.InspectAsync(row.Id, $"{{{{index .Config.Labels \"{Instance.Labels.Kind}\"}}}}"));
                Assert.Equal("[sleep 3600]", await DockerCli.InspectAsync(row.Id, "{{.Config.Cmd}}"));
            }
            Assert.Equal("True", Agent.Status.Get(new ObjectKey(ServiceGroup.ComposeKindName, project))!.Condition(ConditionTypes.Ready)!.Status);
        }
        await Task.Delay(TimeSpan.FromSeconds(3)); // a few resyncs
        await AssertProjectKeepsItsContainers(before.Select(r => r.Id).ToList());

        // A lost replica is brought back by the project, not by the newcomer.
        await DockerCli.RunAsync("rm", "-f", before[0].Id);
        var healed = await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, project),
            rows => rows.Count == 2 && rows.All(r => r.State == "running") && rows.All(r => r.Id != before[0].Id),
            TimeSpan.FromSeconds(60), "the lost replica back");
        Assert.Equal([$"{project}-b-1", $"{project}-b-2"], healed.Select(r => r.Name));
        await AssertProjectKeepsItsContainers(healed.Select(r => r.Id).ToList());

        // A restart decides the same (from the state dir), whatever the order of the first listing and the first read.
        await Agent.StopAsync();
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        await Agent.WaitForConditionAsync(project, ConditionTypes.Ready, "False", GroupConditions.NameConflict, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(3));
        await AssertProjectKeepsItsContainers(healed.Select(r => r.Id).ToList());
        Assert.Equal(GroupConditions.NameConflict, Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, project))!.Condition(ConditionTypes.Ready)!.Reason);
    }
}
