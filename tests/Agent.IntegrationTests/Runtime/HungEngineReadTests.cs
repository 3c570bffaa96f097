using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Runtime;

/// <summary>probe-18 F11: with a hung engine, `agent get all` and GET /api/v1/containers waited the full engine timeout
/// (100 s) on every call, although the heartbeat had already found the engine not answering. Now, while the heartbeat
/// knows, the container list answers the last observed state at once, as it does while the engine is down.</summary>
public sealed class HungEngineReadTests() : FreezableEngineScenario(new Dictionary<string, string?>
{
    ["Agent:EngineRequestTimeout"] = "00:01:30", // far longer than the answer may take here
    ["Agent:EngineHeartbeat"] = "00:00:01",
})
{
    [Fact]
    public async Task While_the_heartbeat_finds_the_engine_hung_the_container_list_answers_the_last_observed_state_at_once()
    {
        var g = Instance.Name("hungread");
        Agent.Write("g.yaml", Group(g, Sleeper("s", "      replicas: 2\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        using var http = Agent.Client(Agent.GeneratedAdminToken);
        http.Timeout = TimeSpan.FromMinutes(3);

        Proxy.Freeze();
        try
        {
            await Agent.WaitForConditionAsync(g, ConditionTypes.Ready, "False", "EngineUnavailable", TimeSpan.FromSeconds(60));
            for (var i = 0; i < 3; i++)
            {
                var clock = Stopwatch.StartNew();
                var list = await http.GetFromJsonAsync<JsonElement>($"/api/v1/containers?group={g}");
                clock.Stop();
                Assert.Equal(2, list.GetArrayLength());
                Assert.All(list.EnumerateArray(), c => Assert.Equal("running", c.GetProperty("state").GetString()));
                // Before, each call waited for Agent:EngineRequestTimeout (90 s here) and answered 504.
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the list took {clock.Elapsed.TotalSeconds:0.#} s with the engine hung");
            }
        }
        finally
        {
            Proxy.Thaw();
        }
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(90));
        var after = await http.GetFromJsonAsync<JsonElement>($"/api/v1/containers?group={g}");
        Assert.Equal(2, after.GetArrayLength());
    }
}
