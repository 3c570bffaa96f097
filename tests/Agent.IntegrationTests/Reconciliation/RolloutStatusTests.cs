using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>
/// probe-16 F8: during an update's health gate READY and Ready follow the replicas that serve (kubectl during a rollout):
/// status showed the containers seen before the apply (2/2, "running healthy") while a stop-first update had stopped both.
/// </summary>
public sealed class RolloutStatusTests : AgentScenario
{
    /// <summary>Two replicas whose container becomes healthy 8 s after it starts: a gate long enough to watch.</summary>
    private static string SlowService(string version, string strategy) =>
        $"    - name: web\n      image: {TestEngine.Image}\n      replicas: 2\n" +
        "      command: [\"sh\", \"-c\", \"sleep 8; touch /tmp/ready; exec sleep 3600\"]\n      stopSignal: SIGKILL\n" +
        $"      env: {{ VERSION: \"{version}\" }}\n" +
        "      healthcheck: { test: [\"CMD\", \"test\", \"-f\", \"/tmp/ready\"], interval: 500ms, timeout: 1s, retries: 1 }\n" +
        $"      update: {{ strategy: {strategy}, rollbackOnFailure: true, healthTimeout: 60s }}\n";

    [Theory]
    [InlineData("start-first")]
    [InlineData("stop-first")]
    public async Task During_the_health_gate_READY_counts_the_replicas_that_serve(string strategy)
    {
        var g = Instance.Name("rollout-" + strategy[..4]);
        var key = new ObjectKey(ServiceGroup.KindName, g);
        Agent.Write("g.yaml", Group(g, SlowService("1", strategy)));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(90));
        Assert.Equal(2, Agent.Status.Get(key)!.Services.Single().ReadyReplicas);

        Agent.Write("g.yaml", Group(g, SlowService("2", strategy)));
        // Inside the gate (the new containers need 8 s): start-first keeps both old replicas serving, 2/2 Ready; stop-first
        // stopped them, so fewer serve and Ready is False. Either way the -next containers are listed and not counted yet.
        var gated = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(key)!),
            s => s.Condition(ConditionTypes.Progressing) is { Reason: GroupConditions.Updating } p && p.Message.Contains("0 of 2 replicas on generation")
                 && s.Services.Single().Containers.Any(c => c.Name.EndsWith("-next", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "status inside the health gate");
        var service = gated.Services.Single();
        var ready = gated.Condition(ConditionTypes.Ready)!;
        Assert.Equal(GroupConditions.Updating, ready.Reason);
        if (strategy == "start-first")
        {
            Assert.Equal((2, "True"), (service.ReadyReplicas, ready.Status));
            Assert.StartsWith("2/2 replicas serving", ready.Message);
        }
        else
        {
            Assert.True(service.ReadyReplicas < 2, $"READY {service.ReadyReplicas}/2 while a stop-first update stopped a replica");
            Assert.Equal("False", ready.Status);
            Assert.StartsWith($"{service.ReadyReplicas}/2 replicas serving", ready.Message);
            // What status counts is what the engine says: the stopped old replica is listed as not running.
            Assert.Contains(service.Containers, c => !c.Name.EndsWith("-next", StringComparison.Ordinal) && c.State != "running");
        }
        Assert.All(service.Containers.Where(c => c.Name.EndsWith("-next", StringComparison.Ordinal)), c => Assert.NotEqual("healthy", c.Health));

        // Once the new containers passed their gates and took over: 2/2 of generation 2, UpToDate.
        var done = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(key)!),
            s => s.IsReady && s.Condition(ConditionTypes.Ready)!.Reason == "UpToDate" && s.ObservedGeneration == s.Generation && s.Generation == gated.Generation,
            TimeSpan.FromSeconds(90), "the update done");
        Assert.Equal(2, done.Services.Single().ReadyReplicas);
        var rows = await Containers.RunningAsync(Instance, g, 2);
        foreach (var row in rows) Assert.Contains("VERSION=2", await DockerCli.InspectAsync(row.Id, "{{range .Config.Env}}{{println .}}{{end}}"));
    }
}
