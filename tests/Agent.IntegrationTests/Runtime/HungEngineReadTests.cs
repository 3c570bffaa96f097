using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Runtime;

/// <summary>probe-18 F11: with a hung engine, `agent get all` and GET /api/v1/containers waited the full engine timeout
/// (100 s) on every call, although the heartbeat had already found the engine not answering. Now, while the heartbeat
/// knows, the container list answers the last observed state at once, as it does while the engine is down; and the reads
/// of one container (inspect, logs, stats, exec, and the CLI's logs and exec) answer at once too: inspect as last
/// observed, the others 503 naming the engine unreachable since when, with Retry-After.</summary>
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

    [Fact]
    public async Task While_the_heartbeat_finds_the_engine_hung_one_containers_reads_answer_at_once_inspect_as_last_observed_and_logs_stats_exec_503()
    {
        var g = Instance.Name("hungone");
        Agent.Write("g.yaml", Group(g, Sleeper("s")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        using var http = Agent.Client(Agent.GeneratedAdminToken);
        http.Timeout = TimeSpan.FromMinutes(3);
        var name = $"{g}-s-1";
        var id = await DockerCli.InspectAsync(name, "{{.Id}}"); // through the real socket
        var cli = new Dictionary<string, string> { ["AGENT_Urls"] = Agent.BaseAddress.ToString(), ["AGENT_TOKEN"] = Agent.GeneratedAdminToken };

        Proxy.Freeze();
        try
        {
            await Agent.WaitForConditionAsync(g, ConditionTypes.Ready, "False", "EngineUnavailable", TimeSpan.FromSeconds(60));

            var inspect = await Quick(() => http.GetAsync($"/api/v1/containers/{name}"), "inspect");
            var last = await inspect.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(HttpStatusCode.OK, inspect.StatusCode);
            Assert.True(last.GetProperty("lastObserved").GetBoolean());
            Assert.Equal(id, last.GetProperty("id").GetString());
            Assert.Equal("running", last.GetProperty("state").GetString());
            Assert.True(last.GetProperty("engineUnreachableSince").GetDateTimeOffset() <= DateTimeOffset.UtcNow);

            foreach (var (what, send) in new (string, Func<Task<HttpResponseMessage>>)[]
                     {
                         ("logs", () => http.GetAsync($"/api/v1/containers/{name}/logs?tail=5")),
                         ("stats", () => http.GetAsync($"/api/v1/containers/{name}/stats")),
                         ("exec", () => http.PostAsJsonAsync($"/api/v1/containers/{name}/exec", new { command = new[] { "true" } })),
                     })
            {
                var answer = await Quick(send, what);
                var problem = await answer.Content.ReadAsStringAsync();
                Assert.True(answer.StatusCode == HttpStatusCode.ServiceUnavailable, $"{what}: {(int)answer.StatusCode} {problem}");
                Assert.Contains("unreachable since", problem);
                Assert.True(answer.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"{what}: Retry-After {answer.Headers.RetryAfter}");
            }

            // The CLI's verbs on one container say the same at once (the program's start-up counts in the deadline).
            foreach (var args in new[] { new[] { "logs", name }, ["exec", name, "--", "true"] })
            {
                var clock = Stopwatch.StartNew();
                var (exit, stdout, stderr) = await AgentCli.RunAsync(cli, args);
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"agent {args[0]} took {clock.Elapsed.TotalSeconds:0.#} s with the engine hung");
                Assert.NotEqual(0, exit);
                Assert.Contains("unreachable since", stderr + stdout);
            }
        }
        finally
        {
            Proxy.Thaw();
        }
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(90));
        var engine = await Eventually.ReturnsAsync(() => http.GetFromJsonAsync<JsonElement>($"/api/v1/containers/{name}"),
            c => !c.TryGetProperty("lastObserved", out _), TimeSpan.FromSeconds(60), "inspect asking the engine again after the thaw");
        Assert.Equal(id, engine.GetProperty("id").GetString());
    }

    /// <summary>One call, which must answer well within the 90 s engine timeout (before: each waited for it, then 504).</summary>
    private static async Task<HttpResponseMessage> Quick(Func<Task<HttpResponseMessage>> send, string what)
    {
        var clock = Stopwatch.StartNew();
        var answer = await send();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{what} took {clock.Elapsed.TotalSeconds:0.#} s with the engine hung");
        return answer;
    }
}
