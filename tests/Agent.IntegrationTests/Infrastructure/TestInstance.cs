using Agent.Core.Model;
using Agent.Engine;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>
/// One test class's own agent instance: a unique instance id, and on dispose (also after a failure)
/// removal of every container, network and volume that carries its label, and of the images it tagged or built.
/// </summary>
public sealed class TestInstance : IAsyncLifetime
{
    public string Id { get; } = "t" + Guid.NewGuid().ToString("N")[..10];
    public AgentLabels Labels { get; }
    public IContainerEngine Engine { get; private set; } = null!;

    public TestInstance() => Labels = new AgentLabels(Id);

    public string InstanceLabel => $"{Labels.Instance}={Id}";

    /// <summary>A name unique to this instance, for containers, groups, networks and volumes.</summary>
    public string Name(string suffix) => $"{Id}-{suffix}";

    public async Task InitializeAsync() => Engine = await TestEngine.GetAsync();

    public async Task DisposeAsync()
    {
        foreach (var id in await DockerCli.ContainerIdsAsync(InstanceLabel))
            await DockerCli.TryRunAsync("rm", "-f", "-v", id);
        var networks = await DockerCli.RunAsync("network", "ls", "-q", "--filter", $"label={InstanceLabel}");
        foreach (var id in networks.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            await DockerCli.TryRunAsync("network", "rm", id);
        var volumes = await DockerCli.RunAsync("volume", "ls", "-q", "--filter", $"label={InstanceLabel}");
        foreach (var name in volumes.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            await DockerCli.TryRunAsync("volume", "rm", "-f", name);
        await RemoveImagesAsync();
    }

    /// <summary>Every tag that names this instance (<c>ID-app:1</c>, <c>localhost:PORT/ID/app:1</c>), removed tag by tag
    /// so that a tag of a shared image (busybox) goes and the image stays; then images carrying its label.</summary>
    private async Task RemoveImagesAsync()
    {
        var tags = await DockerCli.RunAsync("images", "--format", "{{.Repository}}:{{.Tag}}");
        foreach (var tag in tags.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(t => t.Contains(Id, StringComparison.Ordinal)))
            await DockerCli.TryRunAsync("rmi", "-f", tag);
        var labelled = await DockerCli.RunAsync("images", "-q", "--filter", $"label={InstanceLabel}");
        foreach (var id in labelled.Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct())
            await DockerCli.TryRunAsync("rmi", "-f", id);
    }
}
