using System.Text.RegularExpressions;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>probe-18 F2: while the engine is unreachable, `agent get all` printed READY 2/2 EngineUnavailable beside the
/// same group's containers listed exited, and /metrics still counted them running. Now READY, the status's containers
/// and agent_managed_containers show the last observed state, as the container list does. On a private dockerd of the
/// test's own: the shared engine is never stopped.</summary>
public sealed class EngineDownStatusTests : PrivateEngineScenario
{
    [Fact]
    public async Task While_the_engine_is_down_READY_and_the_gauges_follow_the_containers_last_seen_exited()
    {
        var g = Instance.Name("engdown");
        Agent.Write("g.yaml", Group(g, Sleeper("s", "      replicas: 2\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(120));
        using var http = Agent.Client(Agent.GeneratedAdminToken);
        await Eventually.TrueAsync(async () => PrometheusText.Sum(await http.GetStringAsync("/metrics"), "agent_managed_containers", "kind=\"ServiceGroup\",state=\"running\"") == 2,
            TimeSpan.FromSeconds(60), "two running in the gauges");

        await Engine.TerminateAsync(); // dockerd's shutdown stops every container (their die events reach the agent), then it is gone

        var status = await Agent.WaitForConditionAsync(g, ConditionTypes.Ready, "False", "EngineUnavailable", TimeSpan.FromSeconds(120));
        status = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(new Agent.Core.Model.ObjectKey("ServiceGroup", g))!),
            s => s.Condition(ConditionTypes.Ready)!.Reason == "EngineUnavailable" && s.Services.Single().Containers.All(c => c.State == "exited")
                 && s.Services.Single().ReadyReplicas == 0,
            TimeSpan.FromSeconds(60), "the status's containers exited and none counted ready");
        // A reconcile that ran as the engine went away may have written READY from its own look; the next missed ping
        // (every Agent:EngineHeartbeat) shows the last observed state again, so READY settles at 0 within the deadline.
        Assert.Equal(2, status.Services.Single().Containers.Count);

        await Eventually.TrueAsync(async () =>
        {
            var scrape = await http.GetStringAsync("/metrics");
            return PrometheusText.Sum(scrape, "agent_managed_containers", "kind=\"ServiceGroup\",state=\"running\"") == 0
                   && PrometheusText.Sum(scrape, "agent_managed_containers", "kind=\"ServiceGroup\",state=\"exited\"") == 2;
        }, TimeSpan.FromSeconds(60), "the gauges count 2 exited, 0 running");

        var get = await AgentCli.RunAsync(new Dictionary<string, string> { ["AGENT_TOKEN"] = "" }, "get", "all", "--state-dir", Agent.StateDir);
        Assert.Matches(new Regex($@"servicegroup/{g}\s+0/2\s+EngineUnavailable\s"), get.Stdout);
        Assert.Equal(2, Regex.Matches(get.Stdout, $@"{g}-s-\d\s+{g}\s+s\s+exited").Count);
    }
}
