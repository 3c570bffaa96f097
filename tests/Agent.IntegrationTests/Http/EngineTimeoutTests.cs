using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Http;

/// <summary>probe-15b F3: an engine that accepts calls but never answers. A request ends after Agent:EngineRequestTimeout
/// as a 504 problem naming the engine, with one warning line and no stack trace (was 500 after 100 s, a stack per request).</summary>
public sealed class EngineTimeoutTests : IAsyncLifetime
{
    private const string Token = "admin-token-engine-timeout-012345";
    private readonly TestInstance instance = new();
    private readonly string folder = Directory.CreateTempSubdirectory("agent-hole-").FullName;
    private readonly Socket hole = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly List<Socket> held = [];
    private AgentHarness agent = null!;

    public async Task InitializeAsync()
    {
        await instance.InitializeAsync();
        var socket = Path.Combine(folder, "d.sock");
        hole.Bind(new UnixDomainSocketEndPoint(socket));
        hole.Listen(64);
        _ = Task.Run(async () =>
        {
            try
            {
                while (true) held.Add(await hole.AcceptAsync()); // accepted, never read nor answered
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // closed at the end of the test
            }
        });
        await File.WriteAllTextAsync(Path.Combine(folder, "tokens"), $"admin:{Token}\n");
        agent = new AgentHarness(instance, new Dictionary<string, string?>
        {
            ["Agent:DockerHost"] = "unix://" + socket,
            ["Agent:EngineRequestTimeout"] = "00:00:02",
            ["Agent:Auth:TokensFile"] = Path.Combine(folder, "tokens"),
        });
    }

    public async Task DisposeAsync()
    {
        await agent.DisposeAsync();
        hole.Dispose();
        foreach (var s in held.ToList()) s.Dispose();
        await instance.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task A_call_the_engine_never_answers_is_a_504_naming_the_engine_with_one_warning_and_no_stack()
    {
        agent.Write("hung.yaml", Manifest.Group(instance.Name("hung"), Manifest.Sleeper("s")));
        await agent.StartAsync();
        using var client = agent.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var response = await client.GetAsync("/api/v1/images");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.GatewayTimeout, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(Path.Combine(folder, "d.sock"), text);
        Assert.Contains("Agent:EngineRequestTimeout", text);
        Assert.Equal(1, agent.Logs.Count("GET /api/v1/images", "did not answer within 2s"));
        // The reconciler says it once, naming the engine and the setting, however often it retries (was "The operation was canceled.").
        await agent.Logs.WaitForAsync(TimeSpan.FromSeconds(60), "engine at unix://" + Path.Combine(folder, "d.sock"), "did not answer within 2s (Agent:EngineRequestTimeout)", "Reconciles wait");
        Assert.Equal(1, agent.Logs.Count("accepted calls but did not answer"));
        Assert.Equal(0, agent.Logs.Count("operation was canceled"));
        Assert.False(agent.Logs.Lines.Any(l => l.Contains("   at ", StringComparison.Ordinal) || l.Contains("unhandled exception", StringComparison.OrdinalIgnoreCase)
            || l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal)), string.Join("\n", agent.Logs.Lines));
    }
}
