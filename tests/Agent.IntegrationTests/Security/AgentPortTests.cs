using System.Net;
using System.Net.Http.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Security;

/// <summary>A container never publishes the agent's own API port (probe-15h H5): at the agent's next start it would hold
/// the address, the agent could not listen, and the container would receive the clients' tokens.</summary>
public sealed class AgentPortTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();
    private readonly string manifests = Directory.CreateTempSubdirectory("agent-port-manifests-").FullName;
    private readonly string stateDir = Directory.CreateTempSubdirectory("agent-port-state-").FullName;
    private readonly int apiPort = FreePort.Next();
    private readonly int kestrelPort = FreePort.Next();
    private AgentProcess? agent;

    public async Task InitializeAsync()
    {
        await instance.InitializeAsync();
        // Kestrel endpoints set the ASP.NET way override --urls (probe-15i H5): one on the --urls port (the test's client), one more.
        agent = AgentProcess.Start(instance.Id, manifests, stateDir, port: apiPort, environment: new Dictionary<string, string>
        {
            ["AGENT_Kestrel__Endpoints__Api__Url"] = $"http://127.0.0.1:{apiPort}",
            ["AGENT_Kestrel__Endpoints__Second__Url"] = $"http://127.0.0.1:{kestrelPort}",
        });
        await agent.WaitReadyAsync(TimeSpan.FromSeconds(90));
    }

    public async Task DisposeAsync()
    {
        if (agent is not null) await agent.DisposeAsync();
        await instance.DisposeAsync();
        Directory.Delete(manifests, recursive: true);
        Directory.Delete(stateDir, recursive: true);
    }

    [Fact]
    public async Task A_manifest_or_a_run_publishing_the_agents_api_port_is_refused_and_nothing_is_created()
    {
        var group = instance.Name("steal");
        await File.WriteAllTextAsync(Path.Combine(manifests, "steal.yaml"), $$"""
            apiVersion: agent/v1
            kind: ServiceGroup
            metadata: { name: {{group}} }
            spec:
              services:
                - name: s
                  image: {{TestEngine.Image}}
                  command: ["sleep", "3600"]
                  ports: ["127.0.0.1:{{agent!.Port}}:8080"]
            """);
        var status = await agent.WaitForConditionAsync(group, "Ready", "False");
        Assert.Contains($"host port {agent.Port} is the agent's own API address", AgentProcess.ConditionMessage(status, "Ready"));

        using var client = agent.Client();
        using var run = await client.PostAsJsonAsync("/api/v1/run", new
        {
            service = new { name = instance.Name("run"), image = TestEngine.Image, command = new[] { "sleep", "3600" }, ports = new[] { $"0.0.0.0:{agent.Port}:8080" } },
        });
        var body = await run.Content.ReadAsStringAsync();
        Assert.True(run.StatusCode == HttpStatusCode.BadRequest, body);
        Assert.Contains("agent's own API address", body);

        using var kestrel = await client.PostAsJsonAsync("/api/v1/containers", new
        {
            service = new { name = instance.Name("kport"), image = TestEngine.Image, command = new[] { "sleep", "3600" }, ports = new[] { "80", $"0.0.0.0:{kestrelPort}:80" } },
        });
        body = await kestrel.Content.ReadAsStringAsync();
        Assert.True(kestrel.StatusCode == HttpStatusCode.BadRequest, body);
        Assert.Contains("ports[1]", body);
        Assert.Contains($"host port {kestrelPort} is the agent's own API address", body);

        Assert.Empty(await DockerCli.ContainerIdsAsync(instance.InstanceLabel));
        using var livez = await client.GetAsync("/livez");
        Assert.Equal(HttpStatusCode.OK, livez.StatusCode);
    }
}
