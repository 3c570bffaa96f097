namespace Agent.IntegrationTests.Infrastructure;

/// <summary>A test class whose agent reaches the real engine through a <see cref="FreezableEngineProxy"/> (the engine hangs
/// on <c>Proxy.Freeze()</c>); everything is removed afterwards, the proxy thawed first.</summary>
public abstract class FreezableEngineScenario(IDictionary<string, string?> settings) : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("agent-frozen-").FullName;

    protected TestInstance Instance { get; } = new();
    protected FreezableEngineProxy Proxy { get; private set; } = null!;
    protected AgentHarness Agent { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Instance.InitializeAsync();
        Proxy = new FreezableEngineProxy(Path.Combine(folder, "d.sock"));
        Agent = new AgentHarness(Instance, new Dictionary<string, string?>(settings) { ["Agent:DockerHost"] = "unix://" + Proxy.Path });
    }

    public async Task DisposeAsync()
    {
        Proxy.Thaw();
        await Agent.DisposeAsync();
        await Proxy.DisposeAsync();
        await Instance.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }
}
