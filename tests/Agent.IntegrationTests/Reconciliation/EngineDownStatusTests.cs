using System.Text.Json;
using System.Text.RegularExpressions;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>probe-18 F2: while the engine is unreachable, `agent get all` printed READY 2/2 EngineUnavailable beside the
/// same group's containers listed exited, and /metrics still counted them running. Now READY, the status's containers
/// and agent_managed_containers are read from the same last observed state as the container list. On a private dockerd
/// of the test's own (the shared engine is never stopped); alone in the process, because OpenTelemetry listens by meter
/// name across the process and another in-process agent's gauges would mix into this one's scrape.</summary>
[Collection(AloneCollection.Name)]
public sealed class EngineDownStatusTests : PrivateEngineScenario
{
    private const string Running = "kind=\"ServiceGroup\",state=\"running\"";
    private const string Exited = "kind=\"ServiceGroup\",state=\"exited\"";

    private sealed record Reading(string Ready, string Reason, int ReadyReplicas, string[] StatusStates, string[] ListStates, string Scrape, string Get)
    {
        public override string ToString() =>
            $"Ready={Ready}/{Reason} readyReplicas={ReadyReplicas} status containers=[{string.Join(",", StatusStates)}] container list=[{string.Join(",", ListStates)}] " +
            $"gauge running={PrometheusText.Sum(Scrape, "agent_managed_containers", Running)} exited={PrometheusText.Sum(Scrape, "agent_managed_containers", Exited)}\nagent get all:\n{Get}";
    }

    private async Task<Reading> ReadAsync(HttpClient http, string group)
    {
        using var status = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/servicegroups/{group}"));
        var ready = status.RootElement.GetProperty("conditions").EnumerateArray().Single(c => c.GetProperty("type").GetString() == "Ready");
        var service = status.RootElement.GetProperty("services").EnumerateArray().Single();
        using var list = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/containers?group={group}"));
        var get = await AgentCli.RunAsync(new Dictionary<string, string> { ["AGENT_TOKEN"] = "" }, "get", "all", "--state-dir", Agent.StateDir);
        return new Reading(ready.GetProperty("status").GetString()!, ready.GetProperty("reason").GetString()!, service.GetProperty("readyReplicas").GetInt32(),
            service.GetProperty("containers").EnumerateArray().Select(c => c.GetProperty("state").GetString()!).ToArray(),
            list.RootElement.EnumerateArray().Select(c => c.GetProperty("state").GetString()!.ToLowerInvariant()).ToArray(),
            await http.GetStringAsync("/metrics"), get.Stdout + get.Stderr);
    }

    private static bool AgreeOnExited(Reading r, string group) =>
        r is { Ready: "False", Reason: "EngineUnavailable", ReadyReplicas: 0 }
        && r.StatusStates is ["exited", "exited"] && r.ListStates is ["exited", "exited"]
        && PrometheusText.Sum(r.Scrape, "agent_managed_containers", Running) == 0
        && PrometheusText.Sum(r.Scrape, "agent_managed_containers", Exited) == 2
        && Regex.IsMatch(r.Get, $@"servicegroup/{group}\s+0/2\s+EngineUnavailable\s")
        && Regex.Matches(r.Get, $@"{group}-s-\d\s+{group}\s+s\s+exited").Count == 2;

    /// <summary>The value of agent_engine_up (no labels of its own; the exporter may add its scope's), or null when absent.</summary>
    private static string? EngineUp(string scrape) =>
        Regex.Match(scrape, @"(?m)^agent_engine_up(\{[^}]*\})?\s+(\S+)") is { Success: true } m ? m.Groups[2].Value : null;

    [Fact]
    public async Task While_the_engine_is_down_READY_the_status_and_the_gauge_agree_with_the_containers_last_seen_exited()
    {
        var g = Instance.Name("engdown");
        Agent.Write("g.yaml", Group(g, Sleeper("s", "      replicas: 2\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(120));
        using var http = Agent.Client(Agent.GeneratedAdminToken);
        await Eventually.TrueAsync(async () => PrometheusText.Sum(await http.GetStringAsync("/metrics"), "agent_managed_containers", Running) == 2,
            TimeSpan.FromSeconds(60), "two running in the gauge");
        var (_, ps, _) = await Engine.CliAsync("ps", "--filter", $"label={Instance.InstanceLabel}", "--format", "{{.Names}} {{.State}}");
        Assert.Equal([$"{g}-s-1 running", $"{g}-s-2 running"], ps.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

        Assert.Equal("1", EngineUp(await http.GetStringAsync("/metrics")));

        await Engine.TerminateAsync(); // dockerd's shutdown stops every container (their die events reach the agent), then it is gone

        var last = await Eventually.ReturnsAsync(() => ReadAsync(http, g), r => AgreeOnExited(r, g), TimeSpan.FromSeconds(120),
            "READY 0/2 EngineUnavailable, two exited containers in status, list and get, gauge running 0 / exited 2");
        // The gone series is reported as 0, not left out (the exporter would repeat its last value, 2).
        Assert.Matches(new Regex($@"(?m)^agent_managed_containers\{{[^}}]*{Regex.Escape(Running)}[^}}]*\}} 0(\s|$)"), last.Scrape);
        await Eventually.TrueAsync(async () => EngineUp(await http.GetStringAsync("/metrics")) == "0",
            TimeSpan.FromSeconds(60), "agent_engine_up 0 once the heartbeat finds the engine gone");

        // It stays so: nothing written later (a failed reconcile, the next missed ping) brings READY or the gauge back.
        for (var until = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < until;)
        {
            var now = await ReadAsync(http, g);
            Assert.True(AgreeOnExited(now, g), now.ToString());
        }
    }
}
