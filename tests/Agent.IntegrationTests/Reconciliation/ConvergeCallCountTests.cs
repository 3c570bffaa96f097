using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>A cold converge costs the engine one create, one start and one container inspect per container: the observed
/// cache's after the start event, which the bind-mount check of every start reads too (the create event of a container
/// the agent made needs none, nor does a start whose binds the create told). A container with a bind is inspected by the
/// agent's own after-start comparison, which must answer before its start counts as done: the cache takes that inspect
/// instead of making its own (InspectHandover; it was two per such container). Counted with the agent's own engine-call
/// metric, in an agent process of its own (the metric counts a whole process).</summary>
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
            // The cache inspects each start after its event: wait for those, then count.
            var scrape = await Eventually.ReturnsAsync(() => http.GetStringAsync("/metrics"),
                m => Calls(m, "container_inspect") >= plain + bound, TimeSpan.FromSeconds(60), "an inspect per started container");

            Assert.Equal(plain + bound, Calls(scrape, "container_create"));
            Assert.Equal(plain + bound, Calls(scrape, "container_start"));
            // One more is allowed: a start event that reached the agent later than InspectHandover.StartEventWait (a loaded
            // machine) leaves the cache to look itself. Before the handover: plain + 2 * bound.
            await Task.Delay(TimeSpan.FromSeconds(2)); // an inspect the cache would make still would be counted
            scrape = await http.GetStringAsync("/metrics");
            Assert.InRange(Calls(scrape, "container_inspect"), plain + bound, plain + bound + 1);
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
