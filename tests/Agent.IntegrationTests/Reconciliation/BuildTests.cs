using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>build: on the real engine, for a compose project and a ServiceGroup alike (one code path): the container
/// runs the built image, an unchanged resync builds nothing and changes nothing, an edit in the context rebuilds and
/// recreates only that service, and a broken Dockerfile says why while the running container stays.</summary>
public sealed class BuildTests : AgentScenario
{
    private const string Dockerfile = "FROM busybox:1.35\nCOPY msg.txt /msg.txt\nCMD [\"sleep\", \"3600\"]\n";

    [Fact]
    public async Task A_compose_service_with_build_runs_its_image_and_is_rebuilt_only_when_its_context_changes()
    {
        var project = Instance.Name("cbuild");
        Agent.Write($"{project}/app/Dockerfile", Dockerfile);
        Agent.Write($"{project}/app/msg.txt", "one\n");
        Agent.Write($"{project}/compose.yaml", "services:\n  web:\n    build: ./app\n    stop_signal: SIGKILL\n" +
            $"  other:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project, TimeSpan.FromSeconds(120));

        // Named as docker compose v2 names it; docker-compose sees the container.
        var file = Path.Combine(Agent.Manifests, project, "compose.yaml");
        Assert.Equal(await DockerCli.InspectAsync($"{project}-web-1", "{{.Id}}"),
            (await DockerCompose.RunAsync(project, file, "ps", "-q", "web")).Trim());
        await ProveLifecycleAsync(new ObjectKey("ComposeProject", project), $"{project}/app", $"{project}-web", $"{project}-web-1", $"{project}-other-1");
    }

    [Fact]
    public async Task A_ServiceGroup_service_with_build_runs_its_image_and_is_rebuilt_only_when_its_context_changes()
    {
        var g = Instance.Name("gbuild");
        Agent.Write("app/Dockerfile", Dockerfile);
        Agent.Write("app/msg.txt", "one\n");
        Agent.Write("g.yaml", Group(g, "    - name: app\n      build: ./app\n      stopSignal: SIGKILL\n" + Sleeper("other")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(120));
        await ProveLifecycleAsync(new ObjectKey("ServiceGroup", g), "app", $"{g}-app", $"{g}-app-1", $"{g}-other-1");
    }

    private async Task ProveLifecycleAsync(ObjectKey key, string context, string image, string built, string other)
    {
        Assert.Equal("one", await DockerCli.RunAsync("exec", built, "cat", "/msg.txt"));
        Assert.Equal(await DockerCli.RunAsync("image", "inspect", "--format", "{{.Id}}", image), await DockerCli.InspectAsync(built, "{{.Image}}"));
        Assert.NotEqual("", await DockerCli.RunAsync("image", "inspect", "--format", "{{index .Config.Labels \"agent.build-hash\"}}", image));
        var builtId = await DockerCli.InspectAsync(built, "{{.Id}}");
        var firstImage = await DockerCli.InspectAsync(built, "{{.Image}}");
        var otherId = await DockerCli.InspectAsync(other, "{{.Id}}");

        // Unchanged: a resync builds nothing and changes nothing (not even a tag: a cached rebuild would show one).
        var since = await BuildEvents.StartWindowAsync();
        await Agent.Services.GetRequiredService<global::Agent.Reconciliation.Reconciler>().ReconcileAsync(key, CancellationToken.None);
        Assert.Equal("", await BuildEvents.SinceAsync(since, Instance, image));

        // A file of the context changes (nothing else is touched): only the built service is rebuilt and recreated.
        Agent.Write($"{context}/msg.txt", "two, longer\n");
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", "--format", "{{.Id}} {{.State.Running}}", built)).Stdout.Trim() is var s
                                               && s.EndsWith(" true") && !s.StartsWith(builtId),
            TimeSpan.FromSeconds(120), $"{built} rebuilt and recreated");
        Assert.Equal(otherId, await DockerCli.InspectAsync(other, "{{.Id}}"));
        Assert.Equal("two, longer", await DockerCli.RunAsync("exec", built, "cat", "/msg.txt"));
        var rebuiltId = await DockerCli.InspectAsync(built, "{{.Id}}");
        // The image it ran before is not left dangling once no container uses it.
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("image", "inspect", firstImage)).Exit != 0,
            TimeSpan.FromSeconds(30), $"previous image {firstImage} removed");

        // A broken Dockerfile: the condition names the builder's error; the running container stays as it is.
        Agent.Write($"{context}/Dockerfile", Dockerfile.Replace("COPY msg.txt /msg.txt", "COPY msg.txt /msg.txt\nRUN echo failing && exit 7"));
        var status = await Agent.WaitForConditionAsync(key.Name, ConditionTypes.Degraded, "True", "ApplyFailed", TimeSpan.FromSeconds(120), key.Kind);
        Assert.Contains("returned a non-zero code: 7", status.Condition(ConditionTypes.Degraded)!.Message);
        // probe-63: it named no line, only "(after: Removing intermediate container ...)".
        Assert.Contains("Dockerfile line 3 (RUN echo failing && exit 7): ", status.Condition(ConditionTypes.Degraded)!.Message);
        Assert.DoesNotContain("intermediate container", status.Condition(ConditionTypes.Degraded)!.Message);
        Assert.Contains(status.Events, e => e.Message.Contains("returned a non-zero code: 7"));
        Assert.Equal($"{rebuiltId} true", await DockerCli.InspectAsync(built, "{{.Id}} {{.State.Running}}"));
        Assert.Equal("two, longer", await DockerCli.RunAsync("exec", built, "cat", "/msg.txt"));
    }
}
