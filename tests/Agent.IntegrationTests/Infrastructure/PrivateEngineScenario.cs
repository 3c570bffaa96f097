namespace Agent.IntegrationTests.Infrastructure;

/// <summary>A test class with its own dockerd (which it may stop and start), its own instance and an agent on that engine.</summary>
public abstract class PrivateEngineScenario : IAsyncLifetime
{
    protected PrivateEngine Engine { get; } = new();
    protected TestInstance Instance { get; } = new();
    protected AgentHarness Agent { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Instance.InitializeAsync();
        await Engine.StartAsync();
        await Engine.LoadImageAsync(TestEngine.Image);
        Agent = new AgentHarness(Instance, new Dictionary<string, string?> { ["Agent:DockerHost"] = Engine.Host });
    }

    public async Task DisposeAsync()
    {
        await Agent.DisposeAsync();
        await Engine.DisposeAsync();
        await Instance.DisposeAsync();
    }
}
