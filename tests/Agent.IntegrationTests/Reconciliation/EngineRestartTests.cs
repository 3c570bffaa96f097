using System.Net;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>The engine goes away and comes back while the agent runs: not ready, then reconnected and converged, without duplicates.</summary>
public sealed class EngineRestartTests : PrivateEngineScenario
{
    private async Task<IReadOnlyList<string>> ContainersAsync() =>
        (await Engine.CliAsync("ps", "-a", "--format", "{{.Names}} {{.State}}", "--filter", $"label={Instance.InstanceLabel}"))
        .Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().ToList();

    [Fact]
    public async Task Engine_stopped_and_started_the_agent_goes_unready_reconnects_and_converges_without_duplicates()
    {
        var g = Instance.Name("engine");
        Agent.Write("g.yaml", Group(g, Sleeper("a") + Sleeper("b", "      replicas: 2\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        Assert.Equal([$"{g}-a-1 running", $"{g}-b-1 running", $"{g}-b-2 running"], await ContainersAsync());
        using var client = Agent.Client();

        await Engine.TerminateAsync();
        var unready = await Eventually.ReturnsAsync(async () => await client.GetAsync("/readyz?verbose"),
            r => r.StatusCode == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), "readyz 503 while the engine is down");
        Assert.Contains("[-]engine failed", await unready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/livez")).StatusCode);

        // While it is down, the manifest changes: the agent must apply it once the engine is back.
        Agent.Write("g.yaml", Group(g, Sleeper("a") + Sleeper("b", "      replicas: 3\n")));
        await Task.Delay(1000);

        await Engine.StartAsync();
        await Eventually.ReturnsAsync(async () => await client.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "ready again");
        var expected = new[] { $"{g}-a-1 running", $"{g}-b-1 running", $"{g}-b-2 running", $"{g}-b-3 running" };
        await Eventually.ReturnsAsync(ContainersAsync, c => c.SequenceEqual(expected), TimeSpan.FromSeconds(60), "converged after the engine came back");

        // The events stream is back too: a kill is healed.
        await Engine.CliAsync("kill", $"{g}-a-1");
        await Eventually.ReturnsAsync(ContainersAsync, c => c.SequenceEqual(expected), TimeSpan.FromSeconds(30), "healed after reconnect");
        await Task.Delay(2000);
        Assert.Equal(expected, await ContainersAsync()); // and nothing duplicated later
    }
}
