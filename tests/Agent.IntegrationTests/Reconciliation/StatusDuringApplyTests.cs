using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>probe-38 #3 and #4: while an apply waited on a health gate, the group's READY and containers stood still until
/// the apply ended (a first apply showed `services: []` while replicas ran; a repair kept listing removed containers):
/// only an update or a stop was followed. Every apply of a group is followed now.</summary>
public sealed class StatusDuringApplyTests : AgentScenario
{
    [Fact]
    public async Task Replicas_running_show_in_status_while_the_apply_still_waits_on_a_health_gate()
    {
        var g = Instance.Name("follow");
        var slowHealthy = $"    - name: a\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"sleep 15; touch /tmp/ok; exec sleep 3600\"]\n      stopSignal: SIGKILL\n" +
                          "      healthcheck: { test: [\"CMD\", \"test\", \"-f\", \"/tmp/ok\"], interval: 500ms, timeout: 1s, retries: 1, startPeriod: 60s }\n";
        var dependent = $"    - name: b\n      image: {TestEngine.Image}\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGKILL\n      dependsOn: [{{ service: a, condition: healthy }}]\n";
        Agent.Write("g.yaml", Group(g, slowHealthy + dependent + Sleeper("w", "      replicas: 3\n")));
        await Agent.StartAsync();

        // The w replicas run at once; a's gate holds the apply (and b) for about 15 s.
        var key = new ObjectKey("ServiceGroup", g);
        var running = await Containers.RunningAsync(Instance, g, 4, TimeSpan.FromSeconds(12)); // a and the three w
        var shown = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(key)),
            s => s?.Services.FirstOrDefault(v => v.Name == "w") is { ReadyReplicas: 3 },
            TimeSpan.FromSeconds(5), "the running w replicas in status while the apply waits");
        Assert.Equal("starting", await DockerCli.InspectAsync($"{g}-a-1", "{{.State.Health.Status}}")); // the oracle: the gate still waits
        Assert.False(await DockerCli.ExistsAsync("container", $"{g}-b-1")); // and b is not made yet: the apply has not ended
        var ids = running.Select(r => r.Id[..12]).ToHashSet();
        Assert.All(shown!.Services.Single(v => v.Name == "w").Containers, c => Assert.Contains(c.Id, ids));
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task A_group_waiting_for_its_dependency_after_a_restart_shows_the_containers_it_runs()
    {
        // probe-38 #4: after a restart, `services: []` (READY `-`) for as long as the dependency took to be ready again.
        var (db, app) = (Instance.Name("wdb"), Instance.Name("wapp"));
        var slowHealthy = $"    - name: a\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"sleep 15; touch /tmp/ok; exec sleep 3600\"]\n      stopSignal: SIGKILL\n" +
                          "      healthcheck: { test: [\"CMD\", \"test\", \"-f\", \"/tmp/ok\"], interval: 500ms, timeout: 1s, retries: 1, startPeriod: 60s }\n";
        Agent.Write("db.yaml", Group(db, slowHealthy));
        Agent.Write("app.yaml", Group(app, Sleeper("w", "      replicas: 2\n"), $"  dependsOn: [{db}]\n"));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(app, TimeSpan.FromSeconds(90));
        await Agent.StopAsync();
        await DockerCli.RunAsync("rm", "-f", $"{db}-a-1"); // made again at the restart: not ready for 15 s
        await DockerCli.RunAsync("rm", "-f", $"{app}-w-2"); // to be made again once db is ready: the app waits for it

        await Agent.StartAsync();
        var key = new ObjectKey("ServiceGroup", app);
        var shown = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(key)),
            s => s?.Services.FirstOrDefault(v => v.Name == "w") is { ReadyReplicas: 1 } && s.Condition(ConditionTypes.Ready)?.Reason == "WaitingForDependencies",
            TimeSpan.FromSeconds(10), "the app's running replica in status while it waits for db");
        Assert.Equal($"{app}-w-1", Assert.Single(shown!.Services.Single(v => v.Name == "w").Containers).Name);
        Assert.Equal("starting", await DockerCli.InspectAsync($"{db}-a-1", "{{.State.Health.Status}}")); // the oracle: db is not ready yet
    }
}
