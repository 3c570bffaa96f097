using Agent.Core.Model;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>probe-65 M1: a dependency that went unhealthy held its dependents (and every later edit of the object) for the
/// whole dependency timeout, 120 s, and a fix of its healthcheck was applied only after that wait ended.</summary>
public sealed class DependencyWaitTests : AgentScenario
{
    private static string Dependent() =>
        $"    - name: b\n      image: {TestEngine.Image}\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGKILL\n      dependsOn: [{{ service: a, condition: healthy }}]\n";

    private static string Checked(string check, string startPeriod) =>
        $"    - name: a\n      image: {TestEngine.Image}\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGKILL\n" +
        $"      healthcheck: {{ test: [\"CMD\", \"sh\", \"-c\", \"{check}\"], interval: 500ms, timeout: 1s, retries: 1, startPeriod: {startPeriod} }}\n";

    [Fact]
    public async Task A_dependency_that_turns_unhealthy_fails_the_wait_at_once_as_compose_does()
    {
        var g = Instance.Name("unhealthydep");
        Agent.Write("g.yaml", Group(g, Checked("test -f /tmp/never", "0s") + Dependent()));
        await Agent.StartAsync();

        var key = new ObjectKey("ServiceGroup", g);
        // The dependency timeout is 120 s: the failure comes from the verdict, well before it.
        var failed = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(key)),
            s => s?.LastError?.Contains("is unhealthy", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(45), "the wait failed on a's unhealthy verdict");
        Assert.Contains($"dependency failed to start: container {g}-a-1 is unhealthy", failed!.LastError);
        Assert.Equal("unhealthy", await DockerCli.InspectAsync($"{g}-a-1", "{{.State.Health.Status}}")); // the oracle
        Assert.False(await DockerCli.ExistsAsync("container", $"{g}-b-1")); // b is not made on an unhealthy dependency
    }

    [Fact]
    public async Task A_manifest_edit_ends_a_dependency_wait_and_is_applied_at_once()
    {
        var g = Instance.Name("editdep");
        Agent.Write("g.yaml", Group(g, Checked("test -f /tmp/never", "300s") + Dependent())); // "starting" for 5 minutes
        await Agent.StartAsync();
        await Eventually.ReturnsAsync(() => DockerCli.InspectAsync($"{g}-a-1", "{{.State.Health.Status}}"), s => s == "starting",
            TimeSpan.FromSeconds(30), "a runs and its wait holds b");

        Agent.Write("g.yaml", Group(g, Checked("true", "300s") + Dependent())); // the fix
        // Applied within seconds, not once the 120 s wait for the old a ends: a is made again, healthy, then b.
        var running = await Containers.RunningAsync(Instance, g, 2, TimeSpan.FromSeconds(60));
        Assert.Contains(running, c => c.Name == $"{g}-b-1");
        Assert.Equal("healthy", await DockerCli.InspectAsync($"{g}-a-1", "{{.State.Health.Status}}"));
    }

    [Fact]
    public async Task A_running_dependency_that_turns_unhealthy_does_not_fail_the_group_whose_dependents_already_run()
    {
        // probe-66 F3: the group went ApplyFailed "dependency failed to start" with app running for minutes; Compose does not
        // gate dependents that already run. db's readiness says it; the agent restarts it after the unhealthy grace.
        var g = Instance.Name("laterunhealthy");
        var db = $"    - name: a\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"touch /tmp/ok; exec sleep 3600\"]\n      stopSignal: SIGKILL\n" +
                 "      healthcheck: { test: [\"CMD\", \"test\", \"-f\", \"/tmp/ok\"], interval: 500ms, timeout: 1s, retries: 1 }\n";
        Agent.Write("g.yaml", Group(g, db + Dependent()));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(60));
        var app = await DockerCli.InspectAsync($"{g}-b-1", "{{.Id}}");

        await DockerCli.RunAsync("exec", $"{g}-a-1", "rm", "/tmp/ok");
        await Eventually.ReturnsAsync(() => DockerCli.InspectAsync($"{g}-a-1", "{{.State.Health.Status}}"), s => s == "unhealthy", TimeSpan.FromSeconds(20), "a unhealthy");
        var key = new ObjectKey("ServiceGroup", g);
        for (var i = 0; i < 8; i++) // resyncs and reconciles meanwhile
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.DoesNotContain("dependency failed to start", Agent.Status.Get(key)?.LastError ?? "");
        }
        Assert.Equal(app, await DockerCli.InspectAsync($"{g}-b-1", "{{.Id}}")); // the dependent runs on, untouched
        Assert.Equal("running", await DockerCli.InspectAsync($"{g}-b-1", "{{.State.Status}}"));
    }
}
