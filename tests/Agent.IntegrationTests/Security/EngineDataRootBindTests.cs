using System.Net.Http.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Security;

/// <summary>probe-22 F6: with dockerd on another --data-root and a bind root above it, a run could bind the engine's data
/// root read-write (every container's files). The agent asks the engine for its data root and refuses it, and what lies
/// above or below it, whatever the bind roots allow.</summary>
public sealed class EngineDataRootBindTests : PrivateEngineScenario
{
    [Fact]
    public async Task A_run_binding_the_engines_own_data_root_is_refused_naming_it()
    {
        Agent.Settings["Agent:Security:AllowedBindRoots:0"] = Path.GetDirectoryName(Engine.DataRoot)!;
        await Agent.StartAsync();
        using var admin = Agent.Client(Agent.GeneratedAdminToken);
        var name = Instance.Name("dataroot");
        using var response = await admin.PostAsJsonAsync("/api/v1/run", new
        {
            autoRemove = true,
            service = new { name, image = TestEngine.Image, command = new[] { "true" }, volumes = new[] { $"{Engine.DataRoot}:/x" } },
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.False(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        Assert.Contains("the engine's data root", body, StringComparison.Ordinal);
        var (_, listed, _) = await DockerCli.TryRunAsync("-H", Engine.Host, "ps", "-aq", "--filter", $"label=agent.instance={Instance.Id}");
        Assert.Equal("", listed.Trim());
    }
}
