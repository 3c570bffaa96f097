using Agent.Core.Model;
using Agent.Core.Status;
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
        // A short resync: a name conflict is looked at again at each one, and must still be logged only once.
        var settings = new Dictionary<string, string?> { ["Agent:ResyncInterval"] = "00:00:02" };
        a = new AgentHarness(first, settings);
        b = new AgentHarness(second, settings);
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
        await b.Logs.WaitForAsync(TimeSpan.FromSeconds(60), $"Network name {g}_default is held by agent instance {first.Id}");
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

    [Fact]
    public async Task A_container_name_held_by_a_container_no_agent_manages_is_a_NameConflict_logged_once_and_never_touched()
    {
        var g = first.Name("foreign");
        // Made by hand, not by an agent: it carries the test's instance label only so that the fixture removes it.
        var foreign = await DockerCli.RunAsync("run", "-d", "--name", $"{g}-s-1", "--label", first.InstanceLabel, TestEngine.Image, "sleep", "3600");
        a.Write("g.yaml", Group(g, Sleeper("s") + Sleeper("t")));
        await a.StartAsync();
        var status = await a.WaitForConditionAsync(g, ConditionTypes.Ready, "False", GroupConditions.NameConflict);
        Assert.Contains($"container name {g}-s-1 is held by an object not managed by agent", status.Condition(ConditionTypes.Ready)!.Message);
        Assert.Equal(GroupConditions.NameConflict, status.Condition(ConditionTypes.Degraded)!.Reason);
        Assert.Contains(status.Events, e => e.Reason == GroupConditions.NameConflict && e.Message.Contains($"{g}-s-1"));
        // The other service runs; the holder is untouched.
        Assert.Equal("running", await DockerCli.InspectAsync($"{g}-t-1", "{{.State.Status}}"));

        // Several resyncs later: still one log line, no retries with backoff, the holder still the same running container.
        await Task.Delay(TimeSpan.FromSeconds(7));
        Assert.Equal(1, a.Logs.Count("name conflict", $"{g}-s-1"));
        Assert.Equal(0, a.Logs.Count("Reconcile of", g, "failed"));
        Assert.Equal(0, a.Logs.Count($"{g}-s-1", "failed"));
        Assert.Equal($"{foreign} running", await DockerCli.InspectAsync($"{g}-s-1", "{{.Id}} {{.State.Status}}"));

        // Once the name is free, the next resync creates the replica.
        await DockerCli.RunAsync("rm", "-f", foreign);
        await a.WaitForConditionAsync(g, ConditionTypes.Ready, "True", within: TimeSpan.FromSeconds(30));
        Assert.Equal(first.Id, await DockerCli.InspectAsync($"{g}-s-1", $"{{{{index .Config.Labels \"{first.Labels.Instance}\"}}}}"));
        await a.Logs.WaitForAsync(TimeSpan.FromSeconds(60), "name conflict resolved");
    }

    [Fact]
    public async Task A_container_name_held_by_another_instance_names_that_instance_and_neither_touches_the_other()
    {
        var g = first.Name("same");
        a.Write("g.yaml", Group(g, Sleeper("s")));
        b.Write("g.yaml", Group(g, Sleeper("s")));
        await a.StartAsync();
        await a.WaitReadyAsync(g);
        var held = Assert.Single(await Containers.OfAsync(first));
        await b.StartAsync();
        var status = await b.WaitForConditionAsync(g, ConditionTypes.Ready, "False", GroupConditions.NameConflict);
        Assert.Contains($"container name {g}-s-1 is held by agent instance {first.Id} (ServiceGroup {g})", status.Condition(ConditionTypes.Ready)!.Message);
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(1, b.Logs.Count("name conflict", $"{g}-s-1"));
        Assert.Equal(held, Assert.Single(await Containers.OfAsync(first)));
        Assert.Empty(await Containers.OfAsync(second));
        await a.WaitReadyAsync(g);
    }
}
