using System.Net;
using System.Net.Http.Headers;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Http;

/// <summary>The engine goes away under a running agent: GET /containers answers the last observed state (not a 503), and a
/// followed log stream ends (with the reason) instead of a 500.</summary>
public sealed class EngineOutageReadTests : PrivateEngineScenario
{
    private const string Token = "admin-token-outage-0123456789abc";

    [Fact]
    public async Task Container_list_comes_from_the_cache_and_a_followed_log_ends_cleanly_when_the_engine_goes_away()
    {
        var tokens = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokens, $"admin:{Token}\n");
        try
        {
            var g = Instance.Name("outage");
            Agent.Settings["Agent:Auth:TokensFile"] = tokens;
            Agent.Write("g.yaml", Group(g, $"    - name: talk\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"echo hello; exec sleep 3600\"]\n      stopSignal: SIGKILL\n"));
            await Agent.StartAsync();
            await Agent.WaitReadyAsync(g);
            using var client = Agent.Client();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            client.Timeout = TimeSpan.FromMinutes(2);
            Assert.Contains($"{g}-talk-1", await client.GetStringAsync("/api/v1/containers"));

            using var follow = await client.GetAsync($"/api/v1/containers/{g}-talk-1/logs?follow=true", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, follow.StatusCode);
            using var reader = new StreamReader(await follow.Content.ReadAsStreamAsync());
            Assert.Equal("hello", await reader.ReadLineAsync());

            await Engine.TerminateAsync();
            var rest = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60)); // ends, with why when the engine said nothing more
            Assert.DoesNotContain("failed unexpectedly", rest);

            using var list = await client.GetAsync("/api/v1/containers");
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            Assert.Contains($"{g}-talk-1", await list.Content.ReadAsStringAsync());
            using var logs = await client.GetAsync($"/api/v1/containers/{g}-talk-1/logs?follow=true");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, logs.StatusCode);
        }
        finally
        {
            File.Delete(tokens);
        }
    }
}
