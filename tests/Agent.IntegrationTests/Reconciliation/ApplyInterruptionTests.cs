using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>probe-15l M4: a manifest deleted while its apply runs stops that apply at the next step; it went on creating
/// every container of the deleted object (a 3,000-service manifest dropped in by mistake: minutes) before pruning them.</summary>
public sealed class ApplyInterruptionTests() : AgentScenario(new Dictionary<string, string?>
{
    ["Agent:Parallelism"] = "1", // one container at a time: the apply takes long enough to be interrupted
    ["Agent:PruneDelay"] = "00:00:01",
})
{
    [Fact]
    public async Task A_manifest_deleted_while_it_is_applied_stops_the_apply_and_is_pruned()
    {
        const int replicas = 40;
        var g = Instance.Name("many");
        await Agent.StartAsync();
        Agent.Write("many.yaml", Group(g, Sleeper("s", $"      replicas: {replicas}\n")));
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, g)).Count > 0, TimeSpan.FromSeconds(60), "the apply started");
        Agent.Delete("many.yaml");

        var most = 0;
        await Eventually.TrueAsync(async () =>
        {
            var count = (await Containers.OfAsync(Instance, g)).Count;
            most = Math.Max(most, count);
            return count == 0;
        }, TimeSpan.FromSeconds(120), "the deleted object pruned");
        Assert.True(most < replicas, $"all {replicas} containers were created after the manifest was deleted");
        Assert.True(Agent.Logs.Count($"ServiceGroup/{g}: the apply stopped, its manifest was deleted:") >= 1, string.Join("\n", Agent.Logs.Lines.TakeLast(30)));
    }

    // probe-15m: an API stop during the apply stopped it too, but the log said "the manifest changed".
    [Fact]
    public async Task A_group_stopped_through_the_api_while_it_is_applied_stops_the_apply_and_the_log_says_so()
    {
        const int replicas = 40;
        var g = Instance.Name("halt");
        await Agent.StartAsync();
        using var api = Agent.Client(Agent.GeneratedAdminToken);
        Agent.Write("halt.yaml", Group(g, Sleeper("s", $"      replicas: {replicas}\n")));
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, g)).Count > 0, TimeSpan.FromSeconds(60), "the apply started");
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await api.PostAsync($"/api/v1/servicegroups/{g}/stop", null)).StatusCode);

        // The stop can land right after the first create, before that container ever ran: "none running" then holds at
        // once, before the apply has reached its next step and logged why it stopped. So wait for the log line first.
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Logs.Count($"ServiceGroup/{g}: the apply stopped, it was stopped through the API:") >= 1),
            TimeSpan.FromSeconds(120), "the apply stopped and the log names the API stop");
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, g)).All(c => c.State != "running"), TimeSpan.FromSeconds(120), "all stopped");
        Assert.True((await Containers.OfAsync(Instance, g)).Count < replicas, $"all {replicas} containers were created after the stop");
        Assert.Equal(0, Agent.Logs.Count($"ServiceGroup/{g}: the apply stopped, its manifest"));
    }
}
