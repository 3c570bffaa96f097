using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>A health-gated update that never becomes healthy is rolled back while the old container keeps serving.</summary>
public sealed class RollbackTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();
    private AgentHarness agent = null!;

    public async Task InitializeAsync()
    {
        await instance.InitializeAsync();
        agent = new AgentHarness(instance);
    }

    public async Task DisposeAsync()
    {
        await agent.DisposeAsync();
        await instance.DisposeAsync();
    }

    private static string Service(string healthTest, string version, string strategy) => Web("web",
        $"      env: {{ VERSION: \"{version}\" }}\n" +
        $"      healthcheck: {{ test: {healthTest}, interval: 500ms, timeout: 1s, retries: 1 }}\n" +
        $"      update: {{ strategy: {strategy}, rollbackOnFailure: true, healthTimeout: 5s }}\n");

    [Theory]
    [InlineData("start-first")]
    [InlineData("stop-first")]
    public async Task An_update_that_never_becomes_healthy_is_rolled_back(string strategy)
    {
        var g = instance.Name("rollback-" + strategy[..4]);
        agent.Write("g.yaml", Group(g, Service("[\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8080/\"]", "1", strategy)));
        await agent.StartAsync();
        await agent.WaitReadyAsync(g);
        var old = (await Containers.RunningAsync(instance, g, 1)).Single();
        var ip = await DockerCli.InspectAsync(old.Id, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}");

        // Probe the old container on its network address for the whole update (start-first must never drop it).
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        using var stop = new CancellationTokenSource();
        var failures = 0;
        var probes = 0;
        var prober = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { (await http.GetAsync($"http://{ip}:8080/")).EnsureSuccessStatusCode(); }
                catch (Exception) when (!stop.IsCancellationRequested) { Interlocked.Increment(ref failures); }
                Interlocked.Increment(ref probes);
                await Task.Delay(100);
            }
        });

        agent.Write("g.yaml", Group(g, Service("[\"CMD\", \"false\"]", "2", strategy)));
        var status = await agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "True", "RolledBack", TimeSpan.FromSeconds(60));
        await Task.Delay(1500); // the rolled-back spec must not be retried
        await stop.CancelAsync();
        await prober;

        Assert.Contains("rolled back", status.Condition(ConditionTypes.Degraded)!.Message);
        var rows = await Containers.OfAsync(instance, g);
        var current = Assert.Single(rows);
        Assert.Equal("running", current.State);
        Assert.Equal($"{g}-web-1", current.Name);
        Assert.Contains("VERSION=1", await DockerCli.InspectAsync(current.Id, "{{range .Config.Env}}{{println .}}{{end}}"));
        if (strategy == "start-first")
        {
            Assert.Equal(old.Id, current.Id);
            Assert.True(probes > 10);
            Assert.Equal(0, failures);
        }

        // A changed manifest is tried again.
        agent.Write("g.yaml", Group(g, Service("[\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8080/\"]", "3", strategy)));
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(instance, g)) is [{ State: "running" } row]
            && (await DockerCli.InspectAsync(row.Id, "{{range .Config.Env}}{{println .}}{{end}}")).Contains("VERSION=3"), TimeSpan.FromSeconds(60), "version 3 running");
        await agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "False");
    }
}
