using System.Net;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.AdminSurface.AdminSurfaceFixture;

namespace Agent.IntegrationTests.AdminSurface;

/// <summary>POST /run may not take a name a group gives its containers, and an oversized request is a 413.</summary>
[Collection(AdminSurfaceCollection.Name)]
public sealed class RunNameTests(AdminSurfaceFixture fx)
{
    [Fact]
    public async Task A_run_without_restart_is_not_restarted_as_docker_run_and_one_that_asks_for_it_is()
    {
        // probe-19 B: {"service":{"image":...}} took a manifest service's default (restart: always): its sh exited and
        // the engine restarted it for ever.
        using var admin = fx.Client(AdminToken);
        var name = fx.Instance.Name("oneshot");
        var id = (await ReadAsync(await admin.PostAsync("/api/v1/run", Json($"{{\"service\":{{\"name\":\"{name}\",\"image\":\"{TestEngine.Image}\"}}}}")),
            HttpStatusCode.Created)).GetProperty("id").GetString()!;
        Assert.Equal("no", await DockerCli.InspectAsync(id, "{{.HostConfig.RestartPolicy.Name}}"));
        await Eventually.TrueAsync(async () => await DockerCli.InspectAsync(id, "{{.State.Status}}") == "exited", TimeSpan.FromSeconds(60), $"{name} exited");
        var until = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < until) // it stays so: nothing restarts it, neither the engine nor the agent
        {
            Assert.Equal("exited 0", await DockerCli.InspectAsync(id, "{{.State.Status}} {{.RestartCount}}"));
            await Task.Delay(1000);
        }

        var kept = fx.Instance.Name("kept");
        var keptId = (await ReadAsync(await admin.PostAsync("/api/v1/run",
            Json($"{{\"service\":{{\"name\":\"{kept}\",\"image\":\"{TestEngine.Image}\",\"command\":[\"sleep\",\"3600\"],\"stopSignal\":\"SIGKILL\",\"restart\":\"always\"}}}}")),
            HttpStatusCode.Created)).GetProperty("id").GetString()!;
        Assert.Equal("always", await DockerCli.InspectAsync(keptId, "{{.HostConfig.RestartPolicy.Name}}"));
    }

    [Fact]
    public async Task A_run_named_like_a_groups_container_is_refused_and_nothing_is_created()
    {
        using var admin = fx.Client(AdminToken);
        // Its second web replica, and the temporary names of an update of the first (probe-15f F12), also by a create.
        foreach (var (route, squatter) in new[] { ("run", $"{fx.App}-web-2"), ("run", $"{fx.App}-web-1-next"), ("containers", $"{fx.App}-web-1-prev") })
        {
            var refused = await ReadAsync(await admin.PostAsync($"/api/v1/{route}",
                Json($"{{\"service\":{{\"name\":\"{squatter}\",\"image\":\"{TestEngine.Image}\",\"command\":[\"sleep\",\"60\"]}}}}")), HttpStatusCode.Conflict);
            Assert.Contains($"ServiceGroup/{fx.App} (service web)", refused.GetProperty("detail").GetString());
            Assert.NotEqual(0, (await DockerCli.TryRunAsync("inspect", squatter)).Exit);
        }

        // The engine's own rule (two characters at least) is the agent's: a 400 naming the field, never the engine's 400 relayed.
        var shortName = await ReadAsync(await admin.PostAsync("/api/v1/run",
            Json($"{{\"service\":{{\"name\":\"w\",\"image\":\"{TestEngine.Image}\",\"command\":[\"sleep\",\"60\"]}}}}")), HttpStatusCode.BadRequest);
        Assert.Equal("service.name", shortName.GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.DoesNotContain(await Containers.OfAsync(fx.Instance), r => r.Name == "w");

        var padding = new string('x', 70 * 1024);
        await ReadAsync(await admin.PostAsync("/api/v1/run",
            Json($"{{\"service\":{{\"name\":\"{fx.Instance.Name("big")}\",\"image\":\"{TestEngine.Image}\",\"env\":{{\"PAD\":\"{padding}\"}}}}}}")), HttpStatusCode.RequestEntityTooLarge);
    }

    /// <summary>probe-62: the engine's 409 was relayed with the full id of a container the API otherwise never shows.</summary>
    [Fact]
    public async Task A_run_under_the_name_of_someone_elses_container_is_a_409_that_does_not_reveal_it()
    {
        using var admin = fx.Client(AdminToken);
        var foreign = fx.Instance.Name("someone-elses");
        try
        {
            var foreignId = (await DockerCli.RunAsync("create", "--name", foreign, TestEngine.Image, "true")).Trim();
            var refused = await ReadAsync(await admin.PostAsync("/api/v1/run",
                Json($"{{\"service\":{{\"name\":\"{foreign}\",\"image\":\"{TestEngine.Image}\",\"command\":[\"sleep\",\"60\"]}}}}")), HttpStatusCode.Conflict);
            var detail = refused.GetProperty("detail").GetString()!;
            Assert.Contains($"The name {foreign} is already in use", detail);
            Assert.DoesNotContain(foreignId[..12], detail);
            Assert.Equal("created", await DockerCli.InspectAsync(foreign, "{{.State.Status}}")); // untouched
        }
        finally
        {
            await DockerCli.TryRunAsync("rm", "-f", foreign);
        }
    }

    /// <summary>probe-62: a run's name went through a manifest service's rule (lowercase, digits, '-'): `P62_Up` was a 400,
    /// while docker run --name takes it.</summary>
    [Fact]
    public async Task A_run_takes_a_name_docker_run_takes_and_the_api_finds_it_by_it()
    {
        using var admin = fx.Client(AdminToken);
        var name = fx.Instance.Name("Up_V2.b");
        var id = (await ReadAsync(await admin.PostAsync("/api/v1/run",
            Json($"{{\"service\":{{\"name\":\"{name}\",\"image\":\"{TestEngine.Image}\",\"command\":[\"sleep\",\"60\"],\"stopSignal\":\"SIGKILL\"}}}}")),
            HttpStatusCode.Created)).GetProperty("id").GetString()!;
        Assert.Equal("/" + name, await DockerCli.InspectAsync(id, "{{.Name}}"));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/v1/containers/{name}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/api/v1/containers/{name}?force=true")).StatusCode);
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", id)).Exit != 0, TimeSpan.FromSeconds(30), $"{name} removed");
    }
}
