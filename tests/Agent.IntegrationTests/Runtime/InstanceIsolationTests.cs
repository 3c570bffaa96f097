using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Runtime;

/// <summary>
/// Issue 11 rule 6 on the engine side: two agent instances on one engine, each with a group of the same name, address
/// their networks by id (found through their labels) and never see, use or remove each other's objects.
/// </summary>
public sealed class InstanceIsolationTests : IAsyncLifetime
{
    private readonly TestInstance first = new();
    private readonly TestInstance second = new();
    private AgentHarness a = null!;
    private AgentHarness b = null!;

    public async Task InitializeAsync()
    {
        await first.InitializeAsync();
        await second.InitializeAsync();
        a = new AgentHarness(first);
        b = new AgentHarness(second);
    }

    public async Task DisposeAsync()
    {
        await a.DisposeAsync();
        await b.DisposeAsync();
        await first.DisposeAsync();
        await second.DisposeAsync();
    }

    private static async Task<IReadOnlyList<(string Id, string Name)>> NetworksOf(TestInstance instance) =>
        (await DockerCli.RunAsync("network", "ls", "--no-trunc", "--format", "{{.ID}} {{.Name}}", "--filter", $"label={instance.InstanceLabel}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).Select(p => (p[0], p[1])).ToList();

    [Fact]
    public async Task Two_instances_with_a_group_of_the_same_name_both_converge_and_removing_one_leaves_the_other_intact()
    {
        var g = first.Name("shared");
        a.Write("g.yaml", Group(g, Sleeper("a")));
        b.Write("g.yaml", Group(g, Sleeper("b")));
        await a.StartAsync();
        await a.WaitReadyAsync(g);
        await b.StartAsync();
        await b.WaitReadyAsync(g);

        // The engine name is the group's own when free; the second instance's network gets its instance id appended.
        var netA = Assert.Single(await NetworksOf(first));
        var netB = Assert.Single(await NetworksOf(second));
        Assert.Equal($"{g}_default", netA.Name);
        Assert.Equal($"{g}_default_{second.Id}", netB.Name);
        await b.Logs.WaitForAsync(TimeSpan.FromSeconds(5), $"Network name {g}_default is held by agent instance {first.Id}");
        var rowA = Assert.Single(await Containers.OfAsync(first));
        var rowB = Assert.Single(await Containers.OfAsync(second));
        Assert.Equal(netA.Id, await DockerCli.InspectAsync(rowA.Id, "{{range .NetworkSettings.Networks}}{{.NetworkID}}{{end}}"));
        Assert.Equal(netB.Id, await DockerCli.InspectAsync(rowB.Id, "{{range .NetworkSettings.Networks}}{{.NetworkID}}{{end}}"));

        // Removing the first instance's group removes its network by id; the second's network and container stay.
        a.Delete("g.yaml");
        await Eventually.TrueAsync(async () => (await NetworksOf(first)).Count == 0 && (await Containers.OfAsync(first)).Count == 0,
            TimeSpan.FromSeconds(60), "the first instance's group is pruned");
        Assert.Equal([netB], await NetworksOf(second));
        var still = Assert.Single(await Containers.OfAsync(second));
        Assert.Equal((rowB.Id, "running"), (still.Id, still.State));
        await b.WaitReadyAsync(g);

        // A restarted second agent finds its network by its labels, whatever its name, and changes nothing.
        await b.StopAsync();
        await b.StartAsync();
        await b.WaitReadyAsync(g);
        Assert.Equal([netB], await NetworksOf(second));
        Assert.Equal(rowB.Id, Assert.Single(await Containers.OfAsync(second)).Id);
        Assert.Equal(0, a.Logs.Count("ambiguous") + b.Logs.Count("ambiguous"));
    }
}
