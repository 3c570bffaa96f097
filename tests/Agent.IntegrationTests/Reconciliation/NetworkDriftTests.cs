using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>A replica taken off its group's network behind the agent's back (`docker network disconnect`) is drift: the
/// next resync recreates it on the network, with its aliases (probe-15 F10).</summary>
public sealed class NetworkDriftTests() : AgentScenario(new Dictionary<string, string?> { ["Agent:ResyncInterval"] = "00:00:02" })
{
    [Fact]
    public async Task A_replica_disconnected_from_its_group_network_is_recreated_on_it()
    {
        var g = Instance.Name("netdrift");
        Agent.Write("g.yaml", Group(g, Sleeper("s")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var name = $"{g}-s-1";
        var network = $"{g}_default";
        string Aliases() => $"{{{{(index .NetworkSettings.Networks \"{network}\").Aliases}}}}";
        var before = await DockerCli.InspectAsync(name, "{{.Id}}");
        var aliases = await DockerCli.InspectAsync(name, Aliases());

        await DockerCli.RunAsync("network", "disconnect", network, name);
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", "--format", "{{.Id}} {{.State.Running}}", name)).Stdout.Trim() is { } now
                                               && now.EndsWith(" true", StringComparison.Ordinal) && !now.StartsWith(before, StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), $"{name} recreated");
        Assert.Contains(network, await DockerCli.InspectAsync(name, "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}"));
        Assert.Equal(aliases.Replace(before[..12], ""), (await DockerCli.InspectAsync(name, Aliases())).Replace((await DockerCli.InspectAsync(name, "{{.Id}}"))[..12], ""));
        Assert.Single(await Containers.OfAsync(Instance, g));
        Assert.True(Agent.Logs.Count("disconnected from network " + network) >= 1, string.Join("\n", Agent.Logs.Lines.TakeLast(10)));
    }
}
