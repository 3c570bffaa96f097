using System.Diagnostics;
using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>probe-16 F11: a manifest reverted while a stop-first update waits on its new container's health gate left the
/// old replica stopped for the whole healthTimeout. The revert ends the wait at once: X-next goes, the old X runs again.</summary>
public sealed class RevertDuringHealthGateTests : AgentScenario
{
    private const string Healthy = "[\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8080/\"]";
    private const string NeverHealthy = "[\"CMD\", \"test\", \"-f\", \"/never\"]"; // as many items as the working check: no torn-edit hold

    private static string Service(string healthTest, string version) => Web("web",
        $"      env: {{ VERSION: \"{version}\" }}\n" +
        $"      healthcheck: {{ test: {healthTest}, interval: 500ms, timeout: 1s, retries: 1 }}\n" +
        "      update: { strategy: stop-first, rollbackOnFailure: true, healthTimeout: 5m }\n");

    [Fact]
    public async Task A_manifest_reverted_during_a_stop_first_health_gate_starts_the_old_container_again_at_once()
    {
        var g = Instance.Name("revert-gate");
        var v1 = Group(g, Service(Healthy, "1"));
        Agent.Write("g.yaml", v1);
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var old = Assert.Single(await Containers.RunningAsync(Instance, g, 1));

        Agent.Write("g.yaml", Group(g, Service(NeverHealthy, "2")));
        // The update stopped the old replica and waits (up to 5 minutes) on the new one, which never becomes healthy.
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, g)) is var rows
                && rows.Any(r => r is { Name: var n, State: "running" } && n == $"{g}-web-1-next")
                && rows.Any(r => r.Id == old.Id && r.State == "exited"),
            TimeSpan.FromSeconds(60), "the old replica stopped and X-next running in its health gate");

        var reverted = Stopwatch.StartNew();
        Agent.Write("g.yaml", v1);
        // The old container (same id, VERSION=1) serves again under its name well before the 5-minute healthTimeout.
        var rows = await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, g),
            r => r is [{ State: "running" } only] && only.Id == old.Id && only.Name == $"{g}-web-1",
            TimeSpan.FromSeconds(60), "the old container alone and running again after the revert");
        var elapsed = reverted.Elapsed;
        Assert.True(elapsed < TimeSpan.FromSeconds(60), $"took {elapsed}");
        Assert.Contains("VERSION=1", await DockerCli.InspectAsync(old.Id, "{{range .Config.Env}}{{println .}}{{end}}"));
        Assert.False(await DockerCli.ExistsAsync("container", $"{g}-web-1-next"));
        var ip = await DockerCli.InspectAsync(old.Id, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.TrueAsync(async () =>
        {
            try { return (await http.GetAsync($"http://{ip}:8080/")).IsSuccessStatusCode; }
            catch (Exception) { return false; }
        }, TimeSpan.FromSeconds(30), "the old container serves again");

        // Not a verdict on version 2: nothing rolled back for good, and the object reads Ready on generation 3.
        var status = await Agent.WaitForConditionAsync(g, ConditionTypes.Ready, "True", within: TimeSpan.FromSeconds(60));
        Assert.NotEqual("RolledBack", status.Condition(ConditionTypes.Degraded)?.Reason);
        var rolledBack = Path.Combine(Agent.StateDir, "rolled-back.json");
        Assert.False(File.Exists(rolledBack) && (await File.ReadAllTextAsync(rolledBack)).Contains(g, StringComparison.Ordinal));
        Assert.Equal(old.Id, Assert.Single(await Containers.OfAsync(Instance, g)).Id);
    }
}
