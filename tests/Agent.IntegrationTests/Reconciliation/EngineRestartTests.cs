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

    private async Task<string> StateAndPolicyAsync(string container) =>
        (await Engine.CliAsync("inspect", "--format", "{{.State.Status}} {{.HostConfig.RestartPolicy.Name}}", container)).Stdout.Trim();

    [Fact]
    public async Task What_the_agent_stopped_stays_stopped_across_an_engine_restart_and_gets_its_restart_policy_back_when_started()
    {
        // probe-33 F1: dockerd starts "always" containers again at its own start, also those stopped with docker stop: a
        // group the agent stopped ran again, all at once (app before db was healthy), until the agent stopped it again.
        await Agent.WithLogAsync(StoppedGroupsStayStoppedAcrossAnEngineRestartAsync, 60);
    }

    private async Task StoppedGroupsStayStoppedAcrossAnEngineRestartAsync()
    {
        var (g, h, r) = (Instance.Name("held"), Instance.Name("heldc"), Instance.Name("run"));
        Agent.Write("g.yaml", Group(g, Sleeper("a") + Sleeper("b", "      restart: on-failure\n")));
        Agent.Write("h.yaml", Group(h, Sleeper("s")));
        Agent.Write("r.yaml", Group(r, Sleeper("s")));
        await Agent.StartAsync();
        foreach (var name in new[] { g, h, r }) await Agent.WaitReadyAsync(name);
        using var api = Agent.Client(Agent.GeneratedAdminToken);
        Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsync($"/api/v1/servicegroups/{g}/stop", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/v1/containers/{h}-s-1/stop", null)).StatusCode);
        var held = new[] { $"{g}-a-1", $"{g}-b-1", $"{h}-s-1" };
        foreach (var c in held)
            await Eventually.TrueAsync(async () => await StateAndPolicyAsync(c) == "exited no", TimeSpan.FromSeconds(60), $"{c} stopped, engine policy no");

        await Engine.TerminateAsync();
        await Engine.StartAsync();
        await Eventually.TrueAsync(async () => (await StateAndPolicyAsync($"{r}-s-1")).StartsWith("running", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), "the running group's container running again");
        for (var i = 0; i < 10; i++)
        {
            foreach (var c in held) Assert.Equal($"{c} exited no", $"{c} {await StateAndPolicyAsync(c)}");
            await Task.Delay(500);
        }

        Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsync($"/api/v1/servicegroups/{g}/start", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/v1/containers/{h}-s-1/start", null)).StatusCode);
        await Eventually.TrueAsync(async () => await StateAndPolicyAsync($"{g}-a-1") == "running always", TimeSpan.FromSeconds(60), "a running under always again");
        await Eventually.TrueAsync(async () => await StateAndPolicyAsync($"{g}-b-1") == "running on-failure", TimeSpan.FromSeconds(60), "b running under on-failure again");
        Assert.Equal("running always", await StateAndPolicyAsync($"{h}-s-1"));
    }
}
