namespace Agent.IntegrationTests.Infrastructure;

/// <summary>A test instance, a manifests folder and a state dir for the real `agent run` as a process (<see cref="AgentProcess"/>),
/// which a test starts, kills and starts again; all of it removed afterwards, even after a failure.</summary>
public abstract class AgentProcessScenario(string name) : IAsyncLifetime
{
    protected static readonly TimeSpan Within = TimeSpan.FromSeconds(90);

    protected TestInstance Instance { get; } = new();
    protected string Manifests { get; } = Directory.CreateTempSubdirectory($"agent-{name}-manifests-").FullName;
    protected string StateDir { get; } = Directory.CreateTempSubdirectory($"agent-{name}-state-").FullName;
    protected AgentProcess? Agent { get; set; }

    /// <summary>Starts `agent run` on the scenario's folders (environment: variables for the process).</summary>
    protected AgentProcess StartAgent(IDictionary<string, string>? environment = null) =>
        Agent = AgentProcess.Start(Instance.Id, Manifests, StateDir, environment: environment);

    /// <summary>Ends the agent (kill -9 when it still runs) and forgets it.</summary>
    protected async Task EndAgentAsync()
    {
        if (Agent is null) return;
        await Agent.DisposeAsync();
        Agent = null;
    }

    /// <summary>Waits until the agent has recorded its stop of <paramref name="containerId"/> in user-stops.json and the
    /// engine has begun it (its kill event, the stop signal, since <paramref name="since"/>): a kill -9 of the agent after
    /// this leaves the stop under way in the engine. The record alone is written before the engine is asked.</summary>
    protected async Task StopUnderWayAsync(string containerId, DateTimeOffset since, AgentProcess agent)
    {
        var userStops = Path.Combine(StateDir, "user-stops.json");
        await Eventually.TrueAsync(async () => File.Exists(userStops) && File.ReadAllText(userStops).Contains(containerId, StringComparison.Ordinal)
                && (await DockerCli.RunAsync("events", "--since", since.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                        "--until", DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                        "--filter", $"container={containerId}", "--filter", "event=kill", "--format", "{{.Action}}")).Trim().Length > 0,
            Within, () => $"the stop of {containerId[..12]} recorded and under way in the engine; output:\n{agent.Output(20)}");
    }

    public Task InitializeAsync() => Instance.InitializeAsync();

    public async Task DisposeAsync()
    {
        await EndAgentAsync();
        await Instance.DisposeAsync();
        Directory.Delete(Manifests, recursive: true);
        Directory.Delete(StateDir, recursive: true);
    }
}
