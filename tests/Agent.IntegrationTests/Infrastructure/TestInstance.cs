using Agent.Core.Model;
using Agent.Engine;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>
/// One test class's own agent instance: a unique instance id, and on dispose (also after a failure)
/// removal of every container, network and volume that carries its label, and of the images it tagged or built.
/// </summary>
public sealed class TestInstance : IAsyncLifetime
{
    public string Id { get; } = NewId();
    public AgentLabels Labels { get; }
    public IContainerEngine Engine { get; private set; } = null!;

    public TestInstance() => Labels = new AgentLabels(Id);

    /// <summary>
    /// A fresh "t" + 10 hex digits id. eng/test.sh names a file in AGENT_TEST_INSTANCES and checks afterwards that
    /// no container of the ids written there is left: only this run's, so another run on the same engine is no leftover.
    /// </summary>
    private static string NewId()
    {
        var id = "t" + Guid.NewGuid().ToString("N")[..10];
        if (Environment.GetEnvironmentVariable("AGENT_TEST_INSTANCES") is { Length: > 0 } log)
            lock (typeof(TestInstance)) File.AppendAllText(log, id + "\n");
        return id;
    }

    public string InstanceLabel => $"{Labels.Instance}={Id}";

    /// <summary>A name unique to this instance, for containers, groups, networks and volumes.</summary>
    public string Name(string suffix) => $"{Id}-{suffix}";

    public async Task InitializeAsync() => Engine = await TestEngine.GetAsync();

    public async Task DisposeAsync()
    {
        await RemoveContainersAsync();
        var networks = await DockerCli.RunAsync("network", "ls", "-q", "--filter", $"label={InstanceLabel}");
        foreach (var id in networks.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            await DockerCli.TryRunAsync("network", "rm", id);
        var volumes = await DockerCli.RunAsync("volume", "ls", "-q", "--filter", $"label={InstanceLabel}");
        foreach (var name in volumes.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            await DockerCli.TryRunAsync("volume", "rm", "-f", name);
        await RemoveImagesAsync();
    }

    /// <summary>Every container of this instance, removed with its anonymous volumes.</summary>
    public async Task RemoveContainersAsync()
    {
        foreach (var id in await DockerCli.ContainerIdsAsync(InstanceLabel))
            await DockerCli.TryRunAsync("rm", "-f", "-v", id);
    }

    /// <summary>Every tag or digest reference that names this instance (<c>ID-app:1</c>, <c>localhost:PORT/ID/app:1</c>), removed one by one
    /// so that a tag of a shared image (busybox) goes and the image stays; then images carrying its label or built by it.</summary>
    private async Task RemoveImagesAsync()
    {
        // A pushed image whose tag moved on is left with only its digest (REPO@sha256:...): removed by that reference.
        var references = await DockerCli.RunAsync("images", "--digests", "--format", "{{.Repository}} {{.Tag}} {{.Digest}}");
        foreach (var row in references.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(r => r.Split(' ')).Where(r => r.Length == 3 && r[0].Contains(Id, StringComparison.Ordinal)))
            await DockerCli.TryRunAsync("rmi", "-f", row[1] != "<none>" ? $"{row[0]}:{row[1]}" : $"{row[0]}@{row[2]}");
        foreach (var label in new[] { InstanceLabel, $"{Labels.BuiltBy}={Id}" })
        {
            var labelled = await DockerCli.RunAsync("images", "-q", "--filter", $"label={label}");
            foreach (var id in labelled.Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct())
                await DockerCli.TryRunAsync("rmi", "-f", id);
        }
    }
}
