using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>
/// A health gate that fails while the engine does not serve without a break (here its events stream is cut by the proxy;
/// an engine that stops or restarts breaks it too) is no verdict on the new spec: the update is tried again, and only a
/// failure with the engine serving throughout rolls it back for good (CI of stop 46: after an engine restart during a
/// start-first update, one service of six was held on its old spec).
/// </summary>
public sealed class GateFailedWhileEventsDownTests() : FreezableEngineScenario(new Dictionary<string, string?>())
{
    // Version 2 never becomes healthy: its gate fails after 5 s each time it is tried.
    private static string Web(string version) =>
        $"    - name: web\n      image: {TestEngine.Image}\n" +
        $"      command: [\"sh\", \"-c\", \"{(version == "1" ? "touch /tmp/ready; " : "")}exec sleep 3600\"]\n      stopSignal: SIGKILL\n" +
        $"      env: {{ VERSION: \"{version}\" }}\n" +
        "      healthcheck: { test: [\"CMD\", \"test\", \"-f\", \"/tmp/ready\"], interval: 500ms, timeout: 1s, retries: 1 }\n" +
        "      update: { strategy: start-first, rollbackOnFailure: true, healthTimeout: 5s }\n";

    [Fact]
    public Task A_gate_failed_while_the_events_stream_was_down_is_tried_again_and_judged_once_the_engine_serves() => Agent.WithLogAsync(async () =>
    {
        var g = Instance.Name("gatedown");
        var key = new ObjectKey(ServiceGroup.KindName, g);
        Agent.Write("g.yaml", Group(g, Web("1")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(60));
        var old = Assert.Single(await Containers.RunningAsync(Instance, g, 1));

        Agent.Write("g.yaml", Group(g, Web("2")));
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, g)).Any(c => c.Name.EndsWith("-next", StringComparison.Ordinal) && c.State == "running"),
            TimeSpan.FromSeconds(30), "the new container running in its health gate");
        Proxy.CutEvents();
        // The gate fails (5 s) and its outcome is reported: a failure to retry, or (before) a rollback held for good.
        var reported = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(key)),
            s => s?.LastError?.Contains("did not become healthy", StringComparison.Ordinal) == true || s?.Condition(ConditionTypes.Degraded)?.Reason == Hold.RolledBack,
            TimeSpan.FromSeconds(60), "the failed gate reported");
        Assert.NotEqual(Hold.RolledBack, reported!.Condition(ConditionTypes.Degraded)?.Reason);
        Assert.True(Agent.Logs.Count("not taken as a verdict on the new spec") >= 1, "the failure was not told as no verdict");
        var record = Path.Combine(Agent.StateDir, "rolled-back.json");
        Assert.False(File.Exists(record) && File.ReadAllText(record).Contains(g, StringComparison.Ordinal), "the update was remembered as rolled back while the stream was down");

        // With the stream back, the update is tried again and its gate fails with the engine serving: held, the old one serving.
        Proxy.RestoreEvents();
        var status = await Agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "True", Hold.RolledBack, TimeSpan.FromSeconds(120));
        Assert.Contains("did not become healthy", status.Condition(ConditionTypes.Degraded)!.Message);
        Assert.Equal(old.Id, Assert.Single(await Containers.RunningAsync(Instance, g, 1)).Id);
    }, lines: 60);
}
