using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Http;

/// <summary>One running agent with a group of two services and tokens for every role, shared by the HTTP tests.</summary>
public sealed class HttpFixture : IAsyncLifetime
{
    public const string ViewerToken = "viewer-token-0123456789abcdef";
    public const string OperatorToken = "operator-token-0123456789abcdef";
    public const string AdminToken = "admin-token-0123456789abcdef";
    public const string SecretValue = "s3cr3t-value-for-viewers";

    public TestInstance Instance { get; } = new();
    public AgentHarness Agent { get; private set; } = null!;
    public string Group => Instance.Name("http");
    private string tokens = null!;

    public async Task InitializeAsync()
    {
        await Instance.InitializeAsync();
        tokens = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokens, $"# test tokens\nviewer:{ViewerToken}\noperator:{OperatorToken}\nadmin:{AdminToken}\n");
        Agent = new AgentHarness(Instance, new Dictionary<string, string?> { ["Agent:Auth:TokensFile"] = tokens });
        Agent.Write("g.yaml", Group(Group, Web("web", "      healthcheck: { test: [\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8080/\"], interval: 1s }\n") +
            $"    - name: talker\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"i=0; while true; do echo line$i; i=$((i+1)); sleep 0.2; done\"]\n      stopSignal: SIGKILL\n      restart: unless-stopped # its list test pauses it: under always the agent would unpause it\n      env:\n        SECRET_TOKEN: {SecretValue}\n"));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(Group);
    }

    public HttpClient Client(string? token) => Agent.Client(token);

    public async Task DisposeAsync()
    {
        await Agent.DisposeAsync();
        await Instance.DisposeAsync();
        File.Delete(tokens);
    }
}
