using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Compose;

/// <summary>The compose surface over HTTP: list, describe, down (removes containers and network like `docker compose down`, persisted like a group stop), up and restart.</summary>
public sealed class ComposeHttpTests() : AgentScenario(new Dictionary<string, string?>
{
    ["Agent:Auth:TokensFile"] = Tokens.Value,
    ["Agent:Security:AllowedExternalVolumes:0"] = "t*-extshared",
})
{
    private const string Viewer = "compose-viewer-0123456789abcdef";
    private const string Operator = "compose-operator-0123456789abcdef";
    private const string Admin = "compose-admin-0123456789abcdef";

    private static readonly Lazy<string> Tokens = new(() =>
    {
        var file = Path.Combine(Path.GetTempPath(), $"agent-compose-tokens-{Guid.NewGuid():N}");
        File.WriteAllText(file, $"viewer:{Viewer}\noperator:{Operator}\nadmin:{Admin}\n");
        return file;
    });

    private HttpClient Client(string token)
    {
        var client = Agent.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>probe-31 F12: tty and stdin_open refused the whole project; most compose files of interactive tools carry
    /// them. The container gets both, and its logs (raw, not multiplexed, with a terminal) read as lines.</summary>
    [Fact]
    public async Task Tty_and_stdin_open_reach_the_container_and_its_logs_read_as_lines()
    {
        var project = Instance.Name("tty");
        Agent.Write($"{project}/compose.yaml", $"services:\n  shell:\n    image: {TestEngine.Image}\n    tty: true\n    stdin_open: true\n" +
                                               "    command: [\"sh\", \"-c\", \"echo first; echo second; exec sleep 3600\"]\n    stop_signal: SIGKILL\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        Assert.Equal("true true", (await DockerCli.InspectAsync($"{project}-shell-1", "{{.Config.Tty}} {{.Config.OpenStdin}}")).Trim());
        using var op = Client(Operator); // logs are an operator's
        await Eventually.TrueAsync(async () => (await op.GetStringAsync($"/api/v1/containers/{project}-shell-1/logs")).Replace("\r", "") == "first\nsecond\n",
            TimeSpan.FromSeconds(30), "the logs of the tty container are its two lines");
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
        // At once, not only once the containers are gone: the project being taken down does not read as Ready.
        var ready = JsonDocument.Parse(await viewer.GetStringAsync($"/api/v1/composeprojects/{project}")).RootElement
            .GetProperty("conditions").EnumerateArray().Single(c => c.GetProperty("type").GetString() == "Ready");
        Assert.Equal("False", ready.GetProperty("status").GetString());
        Assert.Contains(ready.GetProperty("reason").GetString(), new[] { "DownRequested", "Down" });
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

    [Fact]
    public async Task Down_with_volumes_by_an_admin_removes_the_projects_named_volumes_and_keeps_external_and_other_projects_volumes()
    {
        var project = Instance.Name("dv");
        var other = Instance.Name("dvother");
        var external = Instance.Name("extshared");
        await DockerCli.RunAsync("volume", "create", "--label", Instance.InstanceLabel, external);
        Agent.Write($"{project}/compose.yaml", $"""
            services:
              web:
                image: {TestEngine.Image}
                command: ["sleep", "3600"]
                stop_signal: SIGKILL
                volumes: [data:/data, shared:/shared]
            volumes:
              data:
                driver: local
              shared:
                external: true
                name: {external}
            """);
        Agent.Write($"{other}/compose.yaml", $"""
            services:
              web:
                image: {TestEngine.Image}
                command: ["sleep", "3600"]
                stop_signal: SIGKILL
                volumes: [data:/data]
            volumes:
              data:
                driver: local
            """);
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        await Agent.WaitProjectReadyAsync(other);
        await DockerCli.RunAsync("volume", "inspect", $"{project}_data");
        using var op = Client(Operator);
        using var admin = Client(Admin);

        var refused = await op.PostAsync($"/api/v1/composeprojects/{project}/down?volumes=true", null);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("admin", await refused.Content.ReadAsStringAsync());
        Assert.DoesNotContain(project, Suspended());

        // Without volumes=true the volumes are kept.
        Assert.Equal(HttpStatusCode.Accepted, (await op.PostAsync($"/api/v1/composeprojects/{project}/down", null)).StatusCode);
        await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, project), r => r.Count == 0, TimeSpan.FromSeconds(60), "containers removed");
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("network", "inspect", $"{project}_default")).Exit != 0, TimeSpan.FromSeconds(30), "network removed");
        Assert.Equal(0, (await DockerCli.TryRunAsync("volume", "inspect", $"{project}_data")).Exit);

        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"/api/v1/composeprojects/{project}/down?volumes=true", null)).StatusCode);
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("volume", "inspect", $"{project}_data")).Exit != 0, TimeSpan.FromSeconds(60), "the project's named volume removed");
        Assert.Contains($"ComposeProject/{project}?volumes=true", Suspended());
        Assert.Equal(0, (await DockerCli.TryRunAsync("volume", "inspect", external)).Exit);
        Assert.Equal(0, (await DockerCli.TryRunAsync("volume", "inspect", $"{other}_data")).Exit);
        Assert.Single(await Containers.RunningAsync(Instance, other, 1));

        // The decision survives a restart: the volume is not made again while the project is down.
        await Agent.StopAsync();
        await Agent.StartAsync();
        await Agent.WaitForConditionAsync(project, "Suspended", "True", kind: "ComposeProject");
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("volume", "inspect", $"{project}_data")).Exit);

        // up makes a fresh volume and the containers again.
        using var again = Client(Operator);
        Assert.Equal(HttpStatusCode.Accepted, (await again.PostAsync($"/api/v1/composeprojects/{project}/up", null)).StatusCode);
        await Containers.RunningAsync(Instance, project, 1);
        Assert.Equal(0, (await DockerCli.TryRunAsync("volume", "inspect", $"{project}_data")).Exit);
        Assert.DoesNotContain(project, Suspended());
    }

    private string Suspended()
    {
        var file = Path.Combine(Agent.StateDir, "suspended.json");
        return File.Exists(file) ? File.ReadAllText(file) : "";
    }
}
