using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>A cold converge costs the engine one create and one start per container, and no inspect of a container the
/// agent made without a bind: its start event tells the cache it runs, the agent knows its health from the create (and its
/// image), and what only a look tells (ports, networks) is confirmed by one list call for the starts of each second
/// (issue 16: a thousand starts cost a thousand inspects). A container with a bind is inspected once, by the agent's own
/// after-start comparison, which must answer before its start counts as done: the cache takes that inspect instead of
/// making its own (InspectHandover; it was two per such container). Counted with the agent's own engine-call metric, in
/// an agent process of its own (the metric counts a whole process).</summary>
public sealed class ConvergeCallCountTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();

    public Task InitializeAsync() => instance.InitializeAsync();
    public Task DisposeAsync() => instance.DisposeAsync();

    [Fact]
    public async Task A_cold_converge_inspects_each_new_container_once_also_one_with_a_bind()
    {
        const int plain = 6, bound = 4;
        var manifests = Directory.CreateTempSubdirectory("agent-it-manifests-").FullName;
        var state = Directory.CreateTempSubdirectory("agent-it-state-").FullName;
        var group = instance.Name("calls");
        try
        {
            Directory.CreateDirectory(Path.Combine(manifests, "d"));
            await File.WriteAllTextAsync(Path.Combine(manifests, "g.yaml"), Group(group,
                Sleeper("a", $"      replicas: {plain}\n") + Sleeper("b", $"      replicas: {bound}\n      volumes: [\"./d:/x\"]\n")));
            await using var agent = AgentProcess.Start(instance.Id, manifests, state, environment: new Dictionary<string, string> { ["Agent__ResyncInterval"] = "01:00:00" });
            await agent.WaitReadyAsync(TimeSpan.FromSeconds(60));
            using var http = agent.Client();
            await Eventually.TrueAsync(async () =>
                    (await DockerCli.RunAsync("ps", "-q", "--filter", $"label={instance.InstanceLabel}", "--filter", "name=" + group)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == plain + bound,
                TimeSpan.FromSeconds(120), $"{plain + bound} containers running");
            // The bound ones are inspected by their bind check; the plain ones are confirmed by a list call a second after.
            var scrape = await Eventually.ReturnsAsync(() => http.GetStringAsync("/metrics"),
                m => Calls(m, "container_inspect") >= bound, TimeSpan.FromSeconds(60), "an inspect per started container with a bind");
            await Task.Delay(TimeSpan.FromSeconds(3)); // an inspect or lookup the cache would make still would be counted
            scrape = await http.GetStringAsync("/metrics");

            Assert.Equal(plain + bound, Calls(scrape, "container_create"));
            Assert.Equal(plain + bound, Calls(scrape, "container_start"));
            // One more is allowed: a start event that reached the agent later than InspectHandover.StartEventWait (a loaded
            // machine) leaves the cache to look itself. Before: plain + bound; before the handover: plain + 2 * bound.
            Assert.InRange(Calls(scrape, "container_inspect"), bound, bound + 1);
            // The group is ready, as the cache says it (the plain replicas' readiness came from their start events).
            var ready = await agent.WaitForConditionAsync(group, "Ready", "True", within: TimeSpan.FromSeconds(30));
            Assert.Equal(plain + bound, ready.GetProperty("services").EnumerateArray().Sum(v => v.GetProperty("readyReplicas").GetInt32()));
        }
        finally
        {
            Directory.Delete(manifests, recursive: true);
            Directory.Delete(state, recursive: true);
        }
    }

    private static double Calls(string scrape, string operation) =>
        PrometheusText.Sum(scrape, "agent_engine_calls_total", $"operation=\"{operation}\"");
}
