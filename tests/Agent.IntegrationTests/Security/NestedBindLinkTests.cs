using Agent.Admission;
using Agent.Core.Model;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Security;

/// <summary>
/// probe-15f F9: a service binds ./ndata at /data and ./ndata/cache at /cache; its container replaces /data/cache by a
/// link to another folder of the manifests. The next recreate (here an env edit) must not mount the link's target: the
/// create is refused (BindSourceMoved), the running container is kept, and the docker CLI shows no container of the
/// group with the target mounted.
/// </summary>
public sealed class NestedBindLinkTests : SecurityScenario
{
    private static string Spec(string bump) => Manifest.Sleeper("n",
        $"      env: {{ BUMP: \"{bump}\" }}\n      volumes: [\"./ndata:/data\", \"./ndata/cache:/cache\"]\n");

    [Fact]
    public async Task A_nested_bind_its_container_swapped_for_a_link_is_never_mounted_by_a_recreate()
    {
        var group = Instance.Name("nlink");
        Directory.CreateDirectory(Path.Combine(Agent.Manifests, "ndata", "cache"));
        Directory.CreateDirectory(Path.Combine(Agent.Manifests, "sec"));
        File.WriteAllText(Path.Combine(Agent.Manifests, "sec", "db.env"), "DB_PASSWORD=secret\n");
        Agent.Write($"{group}.yaml", Manifest.Group(group, Spec("1")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(group);
        var container = Assert.Single(await Containers.OfAsync(Instance, group));

        // The container owns /data: it swaps the nested bind's folder for a link to ../sec (another group's secrets).
        await DockerCli.RunAsync("exec", container.Name, "sh", "-c", "mv /data/cache /data/cache.old && ln -s ../sec /data/cache");
        Agent.Write($"{group}.yaml", Manifest.Group(group, Spec("2")));

        var warning = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, group))?.Events
                .LastOrDefault(e => e.Reason == BindMountGuard.Reason)), e => e is not null, TimeSpan.FromSeconds(60), "a BindSourceMoved warning");
        Assert.Contains($"goes through {Agent.Manifests}/ndata/cache, a symlink inside {Agent.Manifests}/ndata", warning!.Message);

        var rows = await Containers.OfAsync(Instance, group);
        Assert.Equal(container.Id, Assert.Single(rows).Id); // the old one is kept running; no new one was made
        foreach (var row in rows)
            Assert.DoesNotContain($"{Agent.Manifests}/sec", await DockerCli.InspectAsync(row.Id, "{{range .Mounts}}{{.Source}} {{end}}"));
        Assert.Equal(1, (await DockerCli.TryRunAsync("exec", container.Name, "test", "-e", "/cache/db.env")).Exit);
    }
}
