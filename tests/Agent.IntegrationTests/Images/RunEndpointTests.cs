using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Images;

/// <summary>POST /run with autoRemove, a generated name and an agent network; POST /containers (create) then start.</summary>
public sealed class RunEndpointTests(ImageFixture fx) : IClassFixture<ImageFixture>
{
    private async Task<string> AgentNetworkAsync()
    {
        var group = fx.Instance.Name("netowner");
        fx.Agent.Write("netowner.yaml", Manifest.Group(group, Manifest.Sleeper("app")));
        await fx.Agent.WaitReadyAsync(group);
        var names = await DockerCli.RunAsync("network", "ls", "--format", "{{.Name}}", "--filter", $"label={fx.Instance.InstanceLabel}");
        return names.Split('\n', StringSplitOptions.RemoveEmptyEntries).First();
    }

    [Fact]
    public async Task A_run_without_a_name_gets_one_and_autoRemove_and_network_reach_the_engine()
    {
        using var client = fx.Client();
        var network = await AgentNetworkAsync();
        using var response = await client.PostAsJsonAsync("/api/v1/run", new
        {
            service = new { image = TestEngine.Image, command = new[] { "sleep", "3600" }, stopSignal = "SIGKILL", tmpfs = new[] { "/scratch:size=8m,ro" } },
            autoRemove = true,
            network,
        });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        var id = body.GetProperty("id").GetString()!;
        Assert.Matches("^run-[0-9a-f]{8}$", body.GetProperty("name").GetString());
        Assert.Equal("/" + body.GetProperty("name").GetString(), await DockerCli.InspectAsync(id, "{{.Name}}"));
        Assert.Equal("true", await DockerCli.InspectAsync(id, "{{.HostConfig.AutoRemove}}"));
        Assert.Equal("no", await DockerCli.InspectAsync(id, "{{.HostConfig.RestartPolicy.Name}}"));
        Assert.Contains(network, await DockerCli.InspectAsync(id, "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}"));
        Assert.Equal("/scratch=ro,size=8388608", await DockerCli.InspectAsync(id, "{{range $k, $v := .HostConfig.Tmpfs}}{{$k}}={{$v}}{{end}}"));

        using (var stop = await client.PostAsync($"/api/v1/containers/{id}/stop", null))
            Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", id)).Exit != 0, TimeSpan.FromSeconds(30), "the engine removed the stopped container");
    }

    [Fact]
    public async Task A_network_that_is_not_the_agents_is_refused_naming_the_ones_it_has()
    {
        using var client = fx.Client();
        var network = await AgentNetworkAsync();
        using var response = await client.PostAsJsonAsync("/api/v1/run", new { service = new { image = TestEngine.Image }, network = "bridge" });
        var detail = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"bridge\" is not one of this agent's networks", detail);
        Assert.Contains(network, detail);
        using var restart = await client.PostAsJsonAsync("/api/v1/run", new { service = new { image = TestEngine.Image, restart = "always" }, autoRemove = true });
        Assert.Contains("autoRemove", await restart.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_created_container_is_not_started_until_start_is_called_and_the_policy_applies()
    {
        using var client = fx.Client();
        var name = fx.Instance.Name("created");
        using var response = await client.PostAsJsonAsync("/api/v1/containers", new
        {
            service = new { name, image = TestEngine.Image, command = new[] { "sleep", "3600" }, stopSignal = "SIGKILL" },
        });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        Assert.Equal("created", body.GetProperty("state").GetString());
        var id = body.GetProperty("id").GetString()!;
        Assert.Equal("created", await DockerCli.InspectAsync(id, "{{.State.Status}}"));

        using (var exec = await client.PostAsJsonAsync($"/api/v1/containers/{id}/exec", new { command = new[] { "true" } }))
        {
            Assert.Equal(HttpStatusCode.Conflict, exec.StatusCode);
            Assert.Contains("is created, not running", await exec.Content.ReadAsStringAsync());
        }
        using (var start = await client.PostAsync($"/api/v1/containers/{id}/start", null))
            Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        Assert.Equal("running", await DockerCli.InspectAsync(id, "{{.State.Status}}"));

        using var privileged = await client.PostAsJsonAsync("/api/v1/containers", new { service = new { name = fx.Instance.Name("priv"), image = TestEngine.Image, privileged = true } });
        Assert.Equal(HttpStatusCode.BadRequest, privileged.StatusCode);
        Assert.Contains("service.privileged", await privileged.Content.ReadAsStringAsync());
        Assert.False((await DockerCli.TryRunAsync("inspect", fx.Instance.Name("priv"))).Exit == 0);
        using var waitFor = await client.PostAsJsonAsync("/api/v1/containers", new
        {
            service = new { name = fx.Instance.Name("w"), image = TestEngine.Image, ports = new[] { "8080" } },
            waitFor = new { port = 8080 },
        });
        Assert.Equal(HttpStatusCode.BadRequest, waitFor.StatusCode);
    }

    [Fact]
    public async Task WaitFor_takes_a_redirect_as_the_answer_and_never_follows_it_to_the_hosts_loopback()
    {
        using var hostOnly = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        hostOnly.Start();
        var port = ((IPEndPoint)hostOnly.LocalEndpoint).Port;
        var reply = $"HTTP/1.0 302 Found\\r\\nLocation: http://127.0.0.1:{port}/redirected\\r\\nContent-Length: 0\\r\\n\\r\\n";
        using var client = fx.Client();
        using var response = await client.PostAsJsonAsync("/api/v1/run", new
        {
            service = new
            {
                name = fx.Instance.Name("redirect"), image = TestEngine.Image, ports = new[] { "8080" }, stopSignal = "SIGKILL",
                command = new[] { "sh", "-c", $"while true; do printf '{reply}' | nc -l -p 8080; done" },
            },
            autoRemove = true,
            waitFor = new { path = "/", port = 8080, timeout = "30s" },
        });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        Assert.True(body.GetProperty("ready").GetBoolean());
        using var pending = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => (await hostOnly.AcceptTcpClientAsync(pending.Token)).Dispose());
        await DockerCli.TryRunAsync("rm", "-f", body.GetProperty("id").GetString()!);
    }
}
