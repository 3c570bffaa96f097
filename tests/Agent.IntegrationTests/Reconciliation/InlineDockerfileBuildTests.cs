using Agent.Core.Model;
using Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>A ServiceGroup service built from <c>dockerfileInline</c> without a <c>context</c> is built from the
/// Dockerfile alone: an edit of another manifest in the folder rebuilds and recreates nothing.</summary>
public sealed class InlineDockerfileBuildTests : AgentScenario
{
    [Fact]
    public async Task An_edit_of_an_unrelated_manifest_neither_rebuilds_nor_recreates_a_service_built_from_an_inline_Dockerfile()
    {
        var g = Instance.Name("inline");
        var h = Instance.Name("unrelated");
        Agent.Write("g.yaml", Group(g, "    - name: app\n      build: { dockerfileInline: \"FROM busybox:1.35\\nRUN echo built > /built\\nCMD [\\\"sleep\\\", \\\"3600\\\"]\\n\" }\n      stopSignal: SIGKILL\n"));
        Agent.Write("h.yaml", Group(h, Sleeper("s")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(120));
        await Agent.WaitReadyAsync(h, TimeSpan.FromSeconds(60));
        var built = $"{g}-app-1";
        Assert.Equal("built", await DockerCli.RunAsync("exec", built, "cat", "/built"));
        var containerId = await DockerCli.InspectAsync(built, "{{.Id}}");
        var imageId = await DockerCli.InspectAsync(built, "{{.Image}}");
        var sleeperId = await DockerCli.InspectAsync($"{h}-s-1", "{{.Id}}");

        // The other group's manifest changes (its container is recreated: the edit was read and applied).
        Agent.Write("h.yaml", Group(h, Sleeper("s").Replace("\"3600\"", "\"3601\"")));
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", "--format", "{{.Id}} {{.State.Running}}", $"{h}-s-1")).Stdout.Trim() is var s
                                               && s.EndsWith(" true") && !s.StartsWith(sleeperId),
            TimeSpan.FromSeconds(60), $"{h}-s-1 recreated");
        await Agent.Services.GetRequiredService<global::Agent.Reconciliation.Reconciler>().ReconcileAsync(new ObjectKey("ServiceGroup", g), CancellationToken.None);

        Assert.Equal(containerId, await DockerCli.InspectAsync(built, "{{.Id}}"));
        Assert.Equal(imageId, await DockerCli.InspectAsync(built, "{{.Image}}"));
        Assert.Equal(imageId, await DockerCli.RunAsync("image", "inspect", "--format", "{{.Id}}", $"{g}-app"));
    }
}
