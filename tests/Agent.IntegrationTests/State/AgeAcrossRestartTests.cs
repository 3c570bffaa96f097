using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.State;

/// <summary>probe-36: an agent started again while the engine does not answer showed AGE counted from its own start (only
/// the engine's containers told the group's real age). When the agent first saw each object is kept in its state dir.</summary>
public sealed class AgeAcrossRestartTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();

    public Task InitializeAsync() => instance.InitializeAsync();
    public Task DisposeAsync() => instance.DisposeAsync();

    private static async Task<DateTimeOffset> SinceAsync(AgentProcess agent, string group) =>
        await Eventually.ReturnsAsync(async () =>
            {
                using var http = agent.Client();
                var response = await http.GetAsync($"/api/v1/servicegroups/{group}");
                if (!response.IsSuccessStatusCode) return (DateTimeOffset?)null;
                return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("since").GetDateTimeOffset();
            }, s => s is not null, TimeSpan.FromSeconds(60), $"{group}'s since") ?? default;

    [Fact]
    public async Task An_agent_started_again_while_the_engine_does_not_answer_keeps_each_objects_age()
    {
        var manifests = Directory.CreateTempSubdirectory("agent-it-manifests-").FullName;
        var state = Directory.CreateTempSubdirectory("agent-it-state-").FullName;
        var group = instance.Name("aged");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(manifests, "g.yaml"), Group(group, Sleeper("a")));
            DateTimeOffset first;
            await using (var agent = AgentProcess.Start(instance.Id, manifests, state))
            {
                await agent.WaitReadyAsync(TimeSpan.FromSeconds(60));
                await agent.WaitForConditionAsync(group, "Ready", "True");
                first = await SinceAsync(agent, group);
                // Saved a second after each change: the first sight, then lowered to the container's creation (whole seconds).
                await Eventually.TrueAsync(() => Task.FromResult(File.Exists(Path.Combine(state, "objects-since.json"))
                    && JsonDocument.Parse(File.ReadAllText(Path.Combine(state, "objects-since.json"))).RootElement.EnumerateObject()
                        .Any(p => p.Name.EndsWith("/" + group, StringComparison.Ordinal) && p.Value.GetDateTimeOffset() == first)), TimeSpan.FromSeconds(10), "objects-since.json saved with the age shown");
            }
            await DockerCli.RunAsync("rm", "-f", $"{group}-a-1"); // nothing of the engine tells the age now
            await Task.Delay(TimeSpan.FromSeconds(3)); // a restart's "now" is seconds later than the first sight

            var nowhere = Path.Combine(state, "no-engine.sock");
            await using var restarted = AgentProcess.Start(instance.Id, manifests, state, dockerHost: "unix://" + nowhere);
            var since = await SinceAsync(restarted, group);

            Assert.Equal(first, since);
            Assert.Contains(group, await File.ReadAllTextAsync(Path.Combine(state, "objects-since.json")));
        }
        finally
        {
            Directory.Delete(manifests, recursive: true);
            Directory.Delete(state, recursive: true);
        }
    }
}
