using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Security;

/// <summary>probe-15f F10: a compose network's driver options pass the same rule as POST /networks; a refused one is a
/// manifest error naming the field and no network is made (the docker CLI is the oracle).</summary>
public sealed class ComposeNetworkPolicyTests : SecurityScenario
{
    [Fact]
    public async Task A_compose_network_naming_a_host_bridge_is_refused_at_load_and_nothing_is_created()
    {
        var project = Instance.Name("hostbr");
        Agent.Write($"{project}/compose.yaml", $"services:\n  x:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    networks: [n4]\n" +
            $"networks:\n  n4:\n    driver_opts: {{ com.docker.network.bridge.name: f15hostbr }}\n");
        await StartWithAsync();

        var status = await Agent.WaitForConditionAsync(project, ConditionTypes.Degraded, "True", "InvalidManifest", kind: ServiceGroup.ComposeKindName);
        Assert.Contains("networks.n4.driver_opts.com.docker.network.bridge.name", status.Condition(ConditionTypes.Degraded)!.Message);
        Assert.Empty(await Containers.OfAsync(Instance, project));
        Assert.Equal("", (await DockerCli.RunAsync("network", "ls", "-q", "--filter", $"label={Instance.InstanceLabel}", "--filter", $"label={Instance.Labels.Object}={project}")).Trim());
        Assert.False(await DockerCli.ExistsAsync("network", $"{project}_n4"));
    }
}
