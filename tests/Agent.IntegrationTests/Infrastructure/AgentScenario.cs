namespace Agent.IntegrationTests.Infrastructure;

/// <summary>A test class with its own instance and a real agent for it; everything the instance made is removed afterwards.</summary>
public abstract class AgentScenario(IDictionary<string, string?>? settings = null) : IAsyncLifetime
{
    protected TestInstance Instance { get; } = new();
    protected AgentHarness Agent { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        await Instance.InitializeAsync();
        Agent = new AgentHarness(Instance, settings);
    }

    public virtual async Task DisposeAsync()
    {
        await Agent.DisposeAsync();
        await Instance.DisposeAsync();
    }
}
