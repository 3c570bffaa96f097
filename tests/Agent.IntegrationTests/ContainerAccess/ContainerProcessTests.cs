using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.ContainerAccess;

/// <summary>top and changes against `docker top` and `docker diff`.</summary>
[Collection(ContainerAccessCollection.Name)]
public sealed class ContainerProcessTests(ContainerAccessFixture fx)
{
    [Fact]
    public async Task Top_lists_the_main_process_like_docker_top()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        var top = await op.GetFromJsonAsync<JsonElement>($"/api/v1/containers/{fx.Box}/top");
        var titles = top.GetProperty("titles").EnumerateArray().Select(t => t.GetString()!).ToList();
        var command = titles.IndexOf("CMD");
        Assert.True(command >= 0, string.Join(",", titles));
        var rows = top.GetProperty("processes").EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetString()!).ToList()).ToList();
        Assert.Contains(rows, r => r[command] == "sleep 3600");
        Assert.Contains("sleep 3600", await DockerCli.RunAsync("top", fx.Box));

        var custom = await op.GetFromJsonAsync<JsonElement>($"/api/v1/containers/{fx.Box}/top?psArgs={Uri.EscapeDataString("-o pid,comm")}");
        Assert.Equal(["PID", "COMMAND"], custom.GetProperty("titles").EnumerateArray().Select(t => t.GetString()!));
        var refused = await op.GetAsync($"/api/v1/containers/{fx.Box}/top?psArgs={Uri.EscapeDataString("-ef; cat /etc/shadow")}");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        // Options ps takes but whose output has no PID column (the engine's 500, probe-62): the request's fault, a 400.
        var noPid = await op.GetAsync($"/api/v1/containers/{fx.Box}/top?psArgs={Uri.EscapeDataString("-o args")}");
        var noPidBody = await noPid.Content.ReadAsStringAsync();
        Assert.True(noPid.StatusCode == HttpStatusCode.BadRequest, $"{(int)noPid.StatusCode} {noPidBody}");
        Assert.Contains("psArgs", noPidBody);
        using var viewer = fx.Client(ContainerAccessFixture.ViewerToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync($"/api/v1/containers/{fx.Box}/top")).StatusCode);
    }

    [Fact]
    public async Task Changes_list_a_written_file_like_docker_diff()
    {
        using var op = fx.Client(ContainerAccessFixture.OperatorToken);
        var path = $"/tmp/changed-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.Created, (await op.PutAsync($"/api/v1/containers/{fx.Box}/files?path={path}", new StringContent("x"))).StatusCode);
        using var viewer = fx.Client(ContainerAccessFixture.ViewerToken);
        var changes = await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/containers/{fx.Box}/changes");
        var change = changes.EnumerateArray().Single(c => c.GetProperty("path").GetString() == path);
        Assert.Equal("added", change.GetProperty("kind").GetString());
        Assert.Equal("A", change.GetProperty("code").GetString());
        Assert.Contains($"A {path}", await DockerCli.RunAsync("diff", fx.Box));
    }
}
