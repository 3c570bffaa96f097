using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>A resync with nothing to do costs the same engine calls for 1 object as for 20: one list per resource type
/// (the cache's listing), none per object. Counted with the agent's own engine-call metric, in an agent process of its own
/// (the metric counts a whole process).</summary>
public sealed class ResyncCallCountTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();

    public Task InitializeAsync() => instance.InitializeAsync();
    public Task DisposeAsync() => instance.DisposeAsync();

    [Fact]
    public async Task A_no_op_resync_makes_the_same_engine_calls_for_1_group_as_for_20()
    {
        var one = await CallsPerResyncAsync(1);
        var twenty = await CallsPerResyncAsync(20);
        Assert.Equal(one, twenty);
        Assert.Equal((1, 3), one); // container list; container, network and volume lists in all
    }

    /// <summary>Per resync: (container list calls, all engine calls), rounded, measured over 8 resyncs once converged.</summary>
    private async Task<(int ContainerLists, int All)> CallsPerResyncAsync(int groups)
    {
        var manifests = Directory.CreateTempSubdirectory("agent-it-manifests-").FullName;
        var state = Directory.CreateTempSubdirectory("agent-it-state-").FullName;
        var prefix = instance.Name($"r{groups}");
        try
        {
            for (var i = 0; i < groups; i++) await File.WriteAllTextAsync(Path.Combine(manifests, $"g{i}.yaml"), Group($"{prefix}-{i}", Sleeper("a")));
            await using var agent = AgentProcess.Start(instance.Id, manifests, state, environment: new Dictionary<string, string> { ["Agent__ResyncInterval"] = "00:00:01" });
            await agent.WaitReadyAsync(TimeSpan.FromSeconds(60));
            using var http = agent.Client();
            await Eventually.TrueAsync(async () =>
                    (await DockerCli.RunAsync("ps", "-q", "--filter", $"label={instance.InstanceLabel}", "--filter", "name=" + prefix)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == groups
                    && (await http.GetStringAsync("/api/v1/servicegroups")).Split("\"Ready\"").Length > groups,
                TimeSpan.FromSeconds(120), $"{groups} group(s) running");
            // Two more resyncs, so that the last reconciles after the containers started are done; then measure over eight.
            var settled = PrometheusText.Sum(await http.GetStringAsync("/metrics"), "agent_cache_relists_total", "");
            var before = await Eventually.ReturnsAsync(() => http.GetStringAsync("/metrics"), m => PrometheusText.Sum(m, "agent_cache_relists_total", "") >= settled + 2, TimeSpan.FromSeconds(30), "two resyncs");
            var after = await Eventually.ReturnsAsync(() => http.GetStringAsync("/metrics"),
                m => PrometheusText.Sum(m, "agent_cache_relists_total", "") >= PrometheusText.Sum(before, "agent_cache_relists_total", "") + 8, TimeSpan.FromSeconds(60), "eight more resyncs");
            double Delta(string metric, string filter) => PrometheusText.Sum(after, metric, filter) - PrometheusText.Sum(before, metric, filter);
            var resyncs = Delta("agent_cache_relists_total", "");
            return ((int)Math.Round(Delta("agent_engine_calls_total", "operation=\"container_list\"") / resyncs),
                (int)Math.Round(Delta("agent_engine_calls_total", "") / resyncs));
        }
        finally
        {
            Directory.Delete(manifests, recursive: true);
            Directory.Delete(state, recursive: true);
        }
    }
}
