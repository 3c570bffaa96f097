using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Runtime;

/// <summary>probe-15l H3: an engine that accepts calls but does not answer. Its events stream stays open and silent, so
/// the cache kept saying "running" about replicas killed meanwhile: every group stayed Ready=True/UpToDate and the log
/// said "Engine reachable again" every minute. Now the heartbeat marks every object EngineUnavailable, and the agent
/// heals what died once the engine answers again.</summary>
public sealed class HungEngineTests() : FreezableEngineScenario(new Dictionary<string, string?>
{
    ["Agent:EngineRequestTimeout"] = "00:00:03",
    ["Agent:EngineHeartbeat"] = "00:00:01",
    ["Agent:ResyncInterval"] = "00:00:05",
})
{
    [Fact]
    public async Task Objects_are_EngineUnavailable_while_the_engine_hangs_and_what_died_meanwhile_is_healed_when_it_answers()
    {
        var g = Instance.Name("hung");
        Agent.Write("g.yaml", Group(g, Sleeper("s", "      replicas: 2\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);

        // On a loaded machine a call at start-up can outlast the 3 s timeout and log "reachable again" before the freeze.
        var (reachable, pinged) = (Agent.Logs.Count("reachable again"), Agent.Logs.Count("Engine reachable again (it answered _ping)"));
        Proxy.Freeze();
        await DockerCli.RunAsync("kill", $"{g}-s-1", $"{g}-s-2"); // through the real socket
        var down = await Agent.WaitForConditionAsync(g, ConditionTypes.Ready, "False", "EngineUnavailable", TimeSpan.FromSeconds(30));
        Assert.Contains("did not answer", down.Condition(ConditionTypes.Ready)!.Message);
        Assert.Equal(("True", "EngineUnavailable"), (down.Condition(ConditionTypes.Degraded)!.Status, down.Condition(ConditionTypes.Degraded)!.Reason));
        // Resyncs and retries meanwhile (5 s resync) neither say Ready again nor claim the engine is back.
        await Task.Delay(TimeSpan.FromSeconds(12));
        Assert.Equal("EngineUnavailable", Agent.Status.Get(new Core.Model.ObjectKey(Core.Model.ServiceGroup.KindName, g))!.Condition(ConditionTypes.Ready)!.Reason);
        Assert.Equal(reachable, Agent.Logs.Count("reachable again"));
        Assert.Equal("exited", await DockerCli.InspectAsync($"{g}-s-1", "{{.State.Status}}"));

        Proxy.Thaw();
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(60));
        foreach (var replica in new[] { $"{g}-s-1", $"{g}-s-2" })
            Assert.Equal("running", await DockerCli.InspectAsync(replica, "{{.State.Status}}"));
        Assert.Equal(pinged + 1, Agent.Logs.Count("Engine reachable again (it answered _ping)"));
    }
}
