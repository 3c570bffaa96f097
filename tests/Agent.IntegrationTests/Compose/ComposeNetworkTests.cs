using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Compose;

/// <summary>Compose networks on the real engine: an external network is waited for and joined (only this instance's own or
/// an allowed one), never created; a network
/// whose definition the files change is held (NetworkChanged), its containers left running.</summary>
public sealed class ComposeNetworkTests : AgentScenario
{
    [Fact]
    public async Task An_external_network_is_waited_for_and_a_changed_definition_holds_without_touching_the_containers()
    {
        var project = Instance.Name("nets");
        var external = Instance.Name("edge");
        string Compose(bool internalBack) => $"""
            services:
              web:
                image: {TestEngine.Image}
                command: ["sleep", "3600"]
                stop_signal: SIGKILL
                networks: [edge, back]
            networks:
              edge: {"{"} external: true, name: {external} {"}"}
              back: {"{"} internal: {(internalBack ? "true" : "false")} {"}"}
            """;
        Agent.Write($"{project}/compose.yaml", Compose(internalBack: false));
        try
        {
            await Agent.StartAsync();
            var held = await Agent.WaitForConditionAsync(project, ConditionTypes.Degraded, "True", "ExternalNetworkMissing", kind: ServiceGroup.ComposeKindName);
            Assert.Contains($"docker network create {external}", held.Condition(ConditionTypes.Degraded)!.Message);
            Assert.Empty(await Containers.OfAsync(Instance, project));

            // Someone else's network of that name is not joined (probe-15f F11); one this agent instance made is.
            await DockerCli.RunAsync("network", "create", external);
            var refused = await Agent.WaitForConditionAsync(project, ConditionTypes.Degraded, "True", "ExternalNetworkRefused", kind: ServiceGroup.ComposeKindName);
            Assert.Contains("networks.edge", refused.Condition(ConditionTypes.Degraded)!.Message);
            Assert.Empty(await Containers.OfAsync(Instance, project));
            await DockerCli.RunAsync("network", "rm", external);
            await DockerCli.RunAsync("network", "create", "--label", $"{Instance.Labels.Managed}=true", "--label", Instance.InstanceLabel, external);
            await Agent.WaitProjectReadyAsync(project);
            var joined = await DockerCli.InspectAsync($"{project}-web-1", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}");
            Assert.Equal(new[] { $"{project}_back", external }.Order(StringComparer.Ordinal), joined.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
            var before = await Containers.RunningAsync(Instance, project, 1);

            Agent.Write($"{project}/compose.yaml", Compose(internalBack: true));
            var changed = await Agent.WaitForConditionAsync(project, ConditionTypes.Degraded, "True", "NetworkChanged", kind: ServiceGroup.ComposeKindName);
            Assert.Contains("networks.back", changed.Condition(ConditionTypes.Degraded)!.Message);
            Assert.Equal("false", await DockerCli.RunAsync("network", "inspect", "--format", "{{.Internal}}", $"{project}_back"));
            Assert.Equal(before.Select(c => c.Id), (await Containers.RunningAsync(Instance, project, 1)).Select(c => c.Id));
        }
        finally
        {
            await Agent.StopAsync();
            await DockerCli.TryRunAsync("rm", "-f", $"{project}-web-1");
            await DockerCli.TryRunAsync("network", "rm", external);
        }
    }
}
