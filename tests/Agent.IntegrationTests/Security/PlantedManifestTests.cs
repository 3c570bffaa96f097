using System.Net;
using Agent.IntegrationTests.Infrastructure;
using Agent.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.IntegrationTests.Security;

/// <summary>
/// probe-15c G15: a compose stack's usual <c>./data:/data</c> is a folder inside the manifests folder that its container
/// (and anyone who may write files into it: PUT /files, exec) can write. Manifests written there are not applied; the
/// docker CLI is the oracle for what runs.
/// </summary>
public sealed class PlantedManifestTests : SecurityScenario
{
    [Fact]
    public async Task Manifests_written_into_a_read_write_bind_folder_by_the_files_api_or_the_container_are_not_applied_and_name_the_bind()
    {
        var project = Instance.Name("rwbind");
        var planted = Instance.Name("planted");
        var stack = Instance.Name("plantedstack");
        Agent.Write($"{project}/compose.yaml", $"services:\n  web:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n" +
            "    stop_signal: SIGKILL\n    volumes: [\"./data:/data\"]\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var web = (await Containers.RunningAsync(Instance, project, 1)).Single();

        using var admin = Admin();
        var put = await admin.PutAsync($"/api/v1/containers/{project}-web-1/files?path={Uri.EscapeDataString("/data/planted.yaml")}",
            new StringContent(Manifest.Group(planted, Manifest.Sleeper("x"))));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await DockerCli.RunAsync("exec", web.Id, "sh", "-c",
            $"mkdir -p /data/{stack} && printf 'services:\\n  y:\\n    image: {TestEngine.Image}\\n    command: [sleep, \"3600\"]\\n' > /data/{stack}/compose.yaml");

        var store = Agent.Services.GetRequiredService<ManifestStore>();
        foreach (var file in new[] { $"{project}/data/planted.yaml", $"{project}/data/{stack}/compose.yaml" })
        {
            var error = await Eventually.ReturnsAsync(() => Task.FromResult(store.Errors.FirstOrDefault(e => e.File == file)), e => e is not null,
                TimeSpan.FromSeconds(60), $"an error on {file}");
            Assert.Contains($"not read: it lies inside ./{project}/data, bound read-write by ComposeProject/{project}", error!.Message);
        }

        foreach (var name in new[] { planted, stack })
            Assert.Equal("", (await DockerCli.RunAsync("ps", "-aq", "--filter", $"label=agent.object={name}")).Trim());
        Assert.Equal([web.Id], (await Containers.OfAsync(Instance, project)).Where(r => r.State == "running").Select(r => r.Id));
    }
}
