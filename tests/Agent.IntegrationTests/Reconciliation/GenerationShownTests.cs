using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>probe-65 L5: while an apply was busy (a long stop), the status kept the generation it started with: describe
/// said `Generation: 3 (observed 2)` with generation 4 read. Kubernetes raises metadata.generation when the spec is written.</summary>
public sealed class GenerationShownTests : AgentScenario
{
    private static string Slow(string value) =>
        $"    - name: a\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"trap '' TERM; sleep 3600 & wait\"]\n      stopGracePeriod: 25s\n      env: {{ V: \"{value}\" }}\n";

    [Fact]
    public async Task The_generation_read_is_shown_while_an_apply_is_still_busy_with_an_earlier_one()
    {
        var g = Instance.Name("gen");
        Agent.Write("g.yaml", Group(g, Slow("1")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        using var client = Agent.Client(Agent.GeneratedAdminToken);
        async Task<(long Generation, long Observed)> ShownAsync()
        {
            using var doc = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/servicegroups/{g}"));
            return (doc.RootElement.GetProperty("generation").GetInt64(), doc.RootElement.GetProperty("observedGeneration").GetInt64());
        }
        Assert.Equal((1, 1), await ShownAsync());

        Agent.Write("g.yaml", Group(g, Slow("2"))); // the update stops a: 25 s, as it ignores SIGTERM
        await Eventually.ReturnsAsync(ShownAsync, s => s.Generation == 2, TimeSpan.FromSeconds(15), "generation 2");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Agent.Write("g.yaml", Group(g, Slow("3")));
        var shown = await Eventually.ReturnsAsync(ShownAsync, s => s.Generation == 3, TimeSpan.FromSeconds(8), "generation 3 while the stop of generation 2's apply still runs");
        Assert.True(shown.Observed < 3, $"observed {shown.Observed}");
        Assert.Equal("running", await DockerCli.InspectAsync($"{g}-a-1", "{{.State.Status}}")); // the oracle: the old a is still stopping
    }
}
