using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>
/// Updates roll one replica at a time (probe-63: a stop-first update stopped every replica in the same second), and a
/// replica whose new container fails stops the roll: the replicas not reached keep serving the previous spec (probe-64:
/// replicas 2 and 3 were replaced while replica 1 crash-looped, 0/3 serving). The oracle is the docker CLI.
/// </summary>
public sealed class RollingUpdateTests : AgentScenario
{
    private static string Replicas(string command) =>
        $"    - name: s\n      image: {TestEngine.Image}\n      replicas: 3\n      command: {command}\n      stopSignal: SIGKILL\n";

    [Fact]
    public async Task A_new_spec_that_crashes_stops_the_roll_at_the_first_replica_and_the_others_keep_serving()
    {
        var g = Instance.Name("roll");
        Agent.Write("g.yaml", Group(g, Replicas("[\"sleep\", \"3600\"]")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(90));
        var before = (await Containers.RunningAsync(Instance, g, 3)).ToDictionary(r => r.Name, r => r.Id);

        Agent.Write("g.yaml", Group(g, Replicas("[\"sh\", \"-c\", \"exit 1\"]")));
        var paused = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, g))!),
            s => s.Condition(ConditionTypes.Degraded) is { Status: "True" } d && d.Message.Contains("its update waits"),
            TimeSpan.FromSeconds(60), "the roll paused behind the failing replica");
        Assert.Contains($"{g}-s-1 on the new spec", paused.Condition(ConditionTypes.Degraded)!.Message);

        // For a while longer (two monitor periods and more): replicas 2 and 3 are the same containers, running.
        var until = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < until)
        {
            foreach (var name in new[] { $"{g}-s-2", $"{g}-s-3" })
                Assert.Equal($"{before[name]} true", await DockerCli.InspectAsync(name, "{{.Id}} {{.State.Running}}"));
            await Task.Delay(1000);
        }
        Assert.NotEqual(before[$"{g}-s-1"], await DockerCli.InspectAsync($"{g}-s-1", "{{.Id}}"));

        // Fixed: the roll goes on, one replica at a time, to all three.
        Agent.Write("g.yaml", Group(g, Replicas("[\"sh\", \"-c\", \"exec sleep 3601\"]")));
        await Eventually.TrueAsync(async () =>
        {
            var rows = await Containers.OfAsync(Instance, g);
            if (rows.Count != 3 || rows.Any(r => r.State != "running")) return false;
            foreach (var row in rows)
                if (!(await DockerCli.InspectAsync(row.Id, "{{json .Config.Cmd}}")).Contains("sleep 3601")) return false;
            return true;
        }, TimeSpan.FromSeconds(120), "all three replicas on the fixed spec");
    }

    [Fact]
    public async Task A_health_gate_fails_at_once_on_a_new_container_the_engine_keeps_restarting()
    {
        // probe-64: the gate waited its whole healthTimeout and then said "unhealthy; no check ran yet".
        var g = Instance.Name("rollgate");
        string Service(string command) =>
            $"    - name: s\n      image: {TestEngine.Image}\n      command: {command}\n      stopSignal: SIGKILL\n      restart: always\n" +
            "      healthcheck: { test: [\"CMD\", \"true\"], interval: 1s, timeout: 1s, retries: 1 }\n" +
            "      update: { strategy: start-first, rollbackOnFailure: true, healthTimeout: 120s }\n";
        Agent.Write("g.yaml", Group(g, Service("[\"sleep\", \"3600\"]")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(90));
        var old = await DockerCli.InspectAsync($"{g}-s-1", "{{.Id}}");

        Agent.Write("g.yaml", Group(g, Service("[\"sh\", \"-c\", \"exit 4\"]")));
        var rolledBack = await Agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "True", "RolledBack", TimeSpan.FromSeconds(60));
        Assert.Contains("crash loop", rolledBack.Condition(ConditionTypes.Degraded)!.Message);
        Assert.Equal($"{old} true", await DockerCli.InspectAsync($"{g}-s-1", "{{.Id}} {{.State.Running}}"));
    }
}
