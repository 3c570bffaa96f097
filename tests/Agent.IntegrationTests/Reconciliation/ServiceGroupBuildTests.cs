using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>A ServiceGroup service with build: built from its context on the real engine, rebuilt only when the context
/// changes, and a broken Dockerfile leaves what runs alone.</summary>
public sealed class ServiceGroupBuildTests : AgentScenario
{
    private const string Dockerfile = "FROM busybox:1.35\nCOPY msg.txt /msg.txt\nCMD [\"sleep\", \"3600\"]\n";

    [Fact]
    public async Task A_built_service_runs_its_image_is_rebuilt_only_when_its_context_changes_and_a_broken_Dockerfile_keeps_it_running()
    {
        var g = Instance.Name("build");
        var image = $"{g}-app";
        Agent.Write("app/Dockerfile", Dockerfile);
        Agent.Write("app/msg.txt", "one\n");
        Agent.Write("g.yaml", Group(g, "    - name: app\n      build: ./app\n      stopSignal: SIGKILL\n" + Sleeper("other")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(120));

        var before = await Containers.RunningAsync(Instance, g, 2);
        Assert.Equal("one", await DockerCli.RunAsync("exec", $"{g}-app-1", "cat", "/msg.txt"));
        Assert.Equal(await DockerCli.RunAsync("image", "inspect", "--format", "{{.Id}}", image), await DockerCli.InspectAsync($"{g}-app-1", "{{.Image}}"));
        Assert.NotEqual("", await DockerCli.RunAsync("image", "inspect", "--format", "{{index .Config.Labels \"agent.build-hash\"}}", image));

        // Unchanged: a resync builds nothing and changes nothing.
        var since = await BuildEvents.StartWindowAsync();
        await Agent.Services.GetRequiredService<global::Agent.Reconciliation.Reconciler>().ReconcileAsync(new("ServiceGroup", g), CancellationToken.None);
        Assert.Equal("", await BuildEvents.SinceAsync(since, Instance, image));

        // A file of the context changes: only the built service is rebuilt and recreated.
        Agent.Write("app/msg.txt", "two, longer\n");
        var after = await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, g),
            r => r.Count == 2 && r.All(x => x.State == "running") && r.Single(x => x.Name == $"{g}-app-1").Id != before.Single(x => x.Name == $"{g}-app-1").Id,
            TimeSpan.FromSeconds(120), "app rebuilt and recreated");
        Assert.Equal(before.Single(r => r.Name == $"{g}-other-1").Id, after.Single(r => r.Name == $"{g}-other-1").Id);
        Assert.Equal("two, longer", await DockerCli.RunAsync("exec", $"{g}-app-1", "cat", "/msg.txt"));

        // A broken Dockerfile: the condition names the builder's error; the running container stays.
        Agent.Write("app/Dockerfile", Dockerfile.Replace("COPY msg.txt /msg.txt", "COPY msg.txt /msg.txt\nRUN echo failing && exit 7"));
        var status = await Agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "True", "ApplyFailed", TimeSpan.FromSeconds(120));
        Assert.Contains("returned a non-zero code: 7", status.Condition(ConditionTypes.Degraded)!.Message);
        Assert.Equal(after.Single(r => r.Name == $"{g}-app-1").Id, await DockerCli.InspectAsync($"{g}-app-1", "{{.Id}}"));
        Assert.Equal("true", await DockerCli.InspectAsync($"{g}-app-1", "{{.State.Running}}"));
        Assert.Equal("two, longer", await DockerCli.RunAsync("exec", $"{g}-app-1", "cat", "/msg.txt"));
    }
}
