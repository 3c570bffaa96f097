using System.Net.Http.Headers;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Cli;

/// <summary>The docker-like verbs over the imperative API (`agent volume`, `network`, `image`, `files`, `cp`, `top`,
/// `system`, `proxy`) run as a program against a running agent; every effect checked through the docker CLI.</summary>
public sealed class ResourceVerbTests(ClientFixture fx) : IClassFixture<ClientFixture>
{
    private string Web => $"{fx.Group}-web-1";

    private async Task<string> Ok(params string[] args)
    {
        var (exit, stdout, stderr) = await AgentCli.RunAsync(fx.Env(), args);
        Assert.True(exit == 0, $"agent {string.Join(' ', args)} exited {exit}\n{stdout}\n{stderr}");
        return stdout;
    }

    [Fact]
    public async Task Volume_and_network_verbs_create_list_connect_and_remove_what_docker_sees()
    {
        var volume = fx.Instance.Name("cli-vol");
        var network = fx.Instance.Name("cli-net");
        try
        {
            await Ok("volume", "create", volume, "--label", "team=a");
            Assert.Equal("a", await DockerCli.RunAsync("volume", "inspect", "--format", "{{.Labels.team}}", volume));
            Assert.Contains(volume, await Ok("volume", "ls"));
            Assert.Equal(volume, JsonDocument.Parse(await Ok("volume", "inspect", volume)).RootElement.GetProperty("name").GetString());
            await Ok("volume", "rm", volume);
            Assert.NotEqual(0, (await DockerCli.TryRunAsync("volume", "inspect", volume)).Exit);

            var id = (await Ok("network", "create", network, "--subnet", $"10.214.{Random.Shared.Next(1, 250)}.0/24")).Trim();
            Assert.Equal(id, await DockerCli.RunAsync("network", "inspect", "--format", "{{.Id}}", network));
            await Ok("network", "connect", network, Web, "--alias", "cli-alias");
            Assert.Contains("cli-alias", await DockerCli.InspectAsync(Web, $"{{{{(index .NetworkSettings.Networks \"{network}\").Aliases}}}}"));
            var listed = (await Ok("network", "ls")).Split('\n').Single(l => l.StartsWith(network + " ", StringComparison.Ordinal));
            Assert.Contains(Web, listed);
            await Ok("network", "disconnect", network, Web);
            await Ok("network", "rm", network);
            Assert.NotEqual(0, (await DockerCli.TryRunAsync("network", "inspect", network)).Exit);
        }
        finally
        {
            await DockerCli.TryRunAsync("network", "disconnect", "-f", network, Web);
            await DockerCli.TryRunAsync("network", "rm", network);
            await DockerCli.TryRunAsync("volume", "rm", "-f", volume);
        }
    }

    [Fact]
    public async Task Image_verbs_tag_inspect_list_and_remove()
    {
        var tag = fx.Instance.Name("cli-image:1");
        await Ok("image", "tag", TestEngine.Image, tag);
        var id = await DockerCli.InspectAsync(tag, "{{.Id}}");
        Assert.Equal(id, JsonDocument.Parse(await Ok("image", "inspect", tag)).RootElement.GetProperty("id").GetString());
        Assert.Contains(tag, await Ok("image", "ls"));
        Assert.Contains("SIZE", await Ok("image", "history", tag));
        await Ok("image", "rm", tag);
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("image", "inspect", tag)).Exit);
        Assert.Equal(id, await DockerCli.InspectAsync(TestEngine.Image, "{{.Id}}"));

        var (exit, _, stderr) = await AgentCli.RunAsync(fx.Env(), "image", "pull", "agent-test.invalid/none:1");
        Assert.Equal(1, exit);
        Assert.Contains("agent-test.invalid/none", stderr);
    }

    [Fact]
    public async Task Cp_files_and_top_write_read_and_show_what_is_in_the_container()
    {
        var local = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(local, "copied by agent cp\n");
            await Ok("cp", local, $"{Web}:/tmp/cli.txt", "--mode", "0640");
            Assert.Equal("copied by agent cp", await DockerCli.RunAsync("exec", Web, "cat", "/tmp/cli.txt"));
            Assert.Equal("640", await DockerCli.RunAsync("exec", Web, "stat", "-c", "%a", "/tmp/cli.txt"));
            Assert.Equal("copied by agent cp\n", await Ok("files", "cat", Web, "/tmp/cli.txt"));
            var row = (await Ok("files", "ls", Web, "/tmp")).Split('\n').Single(l => l.EndsWith(" cli.txt", StringComparison.Ordinal));
            Assert.Matches(@"^0640\s+19\s", row);
        }
        finally
        {
            File.Delete(local);
        }
        var top = await Ok("top", Web);
        Assert.Contains("httpd", top);
    }

    [Fact]
    public async Task System_verbs_and_proxy_answer_and_the_proxy_url_reaches_the_container()
    {
        var df = await Ok("system", "df");
        Assert.Matches(@"^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE", df);
        Assert.Contains("Images", df);
        Assert.True(JsonDocument.Parse(await Ok("system", "usage")).RootElement.GetProperty("memory").GetProperty("totalBytes").GetInt64() > 0);
        Assert.Contains(Web, await Ok("system", "top", "--sort", "memory"));

        var proxy = (await Ok("proxy", Web)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var port = await DockerCli.InspectAsync(Web, "{{(index (index .NetworkSettings.Ports \"8080/tcp\") 0).HostPort}}");
        Assert.Contains($":{port}", proxy[1]);
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ClientFixture.AdminToken);
        Assert.Equal("ok\n", await http.GetStringAsync(proxy[0]));
    }
}
