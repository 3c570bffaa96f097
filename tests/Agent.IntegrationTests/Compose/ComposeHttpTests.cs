using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Compose;

/// <summary>The compose surface over HTTP: list, describe, down (removes containers and network like `docker compose down`, persisted like a group stop), up and restart.</summary>
public sealed class ComposeHttpTests() : AgentScenario(new Dictionary<string, string?> { ["Agent:Auth:TokensFile"] = Tokens.Value })
{
    private const string Viewer = "compose-viewer-0123456789abcdef";
    private const string Operator = "compose-operator-0123456789abcdef";

    private static readonly Lazy<string> Tokens = new(() =>
    {
        var file = Path.Combine(Path.GetTempPath(), $"agent-compose-tokens-{Guid.NewGuid():N}");
        File.WriteAllText(file, $"viewer:{Viewer}\noperator:{Operator}\n");
        return file;
    });

    private HttpClient Client(string token)
    {
        var client = Agent.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task Projects_are_listed_described_brought_down_and_up_again()
    {
        var project = Instance.Name("http");
        Agent.Write($"{project}/compose.yaml", $"services:\n  web:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n    scale: 2\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        using var viewer = Client(Viewer);
        using var op = Client(Operator);

        var list = JsonDocument.Parse(await viewer.GetStringAsync("/api/v1/composeprojects")).RootElement;
        Assert.Contains(list.EnumerateArray(), p => p.GetProperty("name").GetString() == project);
        var one = JsonDocument.Parse(await viewer.GetStringAsync($"/api/v1/composeprojects/{project}")).RootElement;
        var web = one.GetProperty("services").EnumerateArray().Single();
        Assert.Equal((2, 2), (web.GetProperty("desiredReplicas").GetInt32(), web.GetProperty("readyReplicas").GetInt32()));
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync("/api/v1/composeprojects/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/v1/composeprojects/{project}/down", null)).StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await op.PostAsync($"/api/v1/composeprojects/{project}/down", null)).StatusCode);
        // Like `docker compose down`: containers and network go, the decision is persisted.
        await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, project), r => r.Count == 0, TimeSpan.FromSeconds(60), "containers removed");
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("network", "inspect", $"{project}_default")).Exit != 0, TimeSpan.FromSeconds(30), "network removed");
        Assert.Contains($"ComposeProject/{project}", await File.ReadAllTextAsync(Path.Combine(Agent.StateDir, "suspended.json")));

        Assert.Equal(HttpStatusCode.Accepted, (await op.PostAsync($"/api/v1/composeprojects/{project}/up", null)).StatusCode);
        var running = await Containers.RunningAsync(Instance, project, 2);
        var restart = await op.PostAsync($"/api/v1/composeprojects/{project}/restart", null);
        Assert.Equal(HttpStatusCode.OK, restart.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await restart.Content.ReadAsStringAsync()).RootElement.GetProperty("restarted").GetArrayLength());
        Assert.Equal(running.Select(r => r.Id), (await Containers.RunningAsync(Instance, project, 2)).Select(r => r.Id));
    }
}
