using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>
/// A docker kill of the new X-next container during its health gate, while the agent's events stream is down (cut by the
/// proxy in front of the real engine; every other call goes through): the kill event cannot come before the gate sees the
/// exit, and may never come: the engine replays only its last 256 events after a reconnect, and a busy engine rolls them
/// over within seconds (CI: health checks of other tests' containers). The update is tried again, not rolled back for
/// good. Before, the gate took the exit as the container's own after 5 s (RolledBack); later, when the replay lacked the
/// kill, after the stream was back (seen under load only, made certain here by 300 volume events during the cut).
/// </summary>
public sealed class KillWhileEventsDownTests() : FreezableEngineScenario(new Dictionary<string, string?>
{
    ["Agent:ResyncInterval"] = "00:00:02",
})
{
    private static string SlowToBecomeHealthy(string version) =>
        $"    - name: web\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"sleep 6; touch /tmp/ready; exec sleep 3600\"]\n      stopSignal: SIGKILL\n" +
        $"      env: {{ VERSION: \"{version}\" }}\n" +
        "      healthcheck: { test: [\"CMD\", \"test\", \"-f\", \"/tmp/ready\"], interval: 500ms, timeout: 1s, retries: 1 }\n" +
        "      update: { strategy: start-first, rollbackOnFailure: true, healthTimeout: 60s }\n";

    [Fact]
    public async Task A_new_container_killed_during_its_gate_while_the_events_stream_is_down_is_tried_again_not_rolled_back()
    {
        var g = Instance.Name("killdown");
        Agent.Write("g.yaml", Group(g, SlowToBecomeHealthy("1")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(60));
        var old = Assert.Single(await Containers.RunningAsync(Instance, g, 1));

        Agent.Write("g.yaml", Group(g, SlowToBecomeHealthy("2")));
        var next = await Eventually.ReturnsAsync(async () => (await Containers.OfAsync(Instance, g)).FirstOrDefault(c => c.Name.EndsWith("-next", StringComparison.Ordinal) && c.State == "running"),
            c => c is not null, TimeSpan.FromSeconds(30), "the new container running in its health gate");
        Proxy.CutEvents();
        await Task.Delay(500); // the agent sees its stream drop
        await DockerCli.RunAsync("kill", next!.Id);
        await Eventually.TrueAsync(async () => await DockerCli.TryRunAsync("inspect", "--format", "{{.State.Status}}", next.Id) is var r && (r.Exit != 0 || r.Stdout.Trim() == "exited"),
            TimeSpan.FromSeconds(30), "the kill done");
        await RollOverTheEnginesEventBufferAsync();
        await Task.Delay(TimeSpan.FromSeconds(8)); // longer than the 5 s the gate waits for a die event
        Proxy.RestoreEvents();

        // Tried again (the old replica serving meanwhile), then promoted: VERSION=2 runs under the replica's name.
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, g)) is [{ State: "running" } row]
            && row.Id != old.Id && row.Id != next.Id
            && (await DockerCli.InspectAsync(row.Id, "{{range .Config.Env}}{{println .}}{{end}}")).Contains("VERSION=2"), TimeSpan.FromSeconds(120), "version 2 running after a retry");
        var status = await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(60));
        Assert.NotEqual("RolledBack", status.Condition(ConditionTypes.Degraded)!.Reason);
        var record = Path.Combine(Agent.StateDir, "rolled-back.json");
        Assert.False(File.Exists(record) && File.ReadAllText(record).Contains(g, StringComparison.Ordinal), "the killed update was remembered as rolled back");
        // One loss and one reconnect are told, not one of each per refused subscription (the engine answered pings).
        Assert.Equal(1, Agent.Logs.Count("Engine events stream lost"));
        Assert.Equal(1, Agent.Logs.Count("Engine events stream reconnected"));
    }

    /// <summary>More events than the engine keeps for a replay (256), none of them the agent's: volumes made and removed.</summary>
    private async Task RollOverTheEnginesEventBufferAsync()
    {
        var engine = await TestEngine.GetAsync();
        var names = Enumerable.Range(0, 150).Select(i => $"{Instance.Id}-churn-{i}").ToList();
        var none = new Dictionary<string, string>();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (name, ct) =>
        {
            await engine.CreateVolumeAsync(name, "local", none, none, ct);
            await engine.RemoveVolumeAsync(name, ct);
        });
    }
}
