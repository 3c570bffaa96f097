using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Security;

/// <summary>
/// A relative bind folder that is gone after a container was created with it (moved away for a moment, deleted by
/// mistake) is not made again empty, as it was for the first create: a database would start anew in it, and the folder
/// moved back would nest inside the new one. The replica is not created and the group names the folder; put back, the
/// replica comes back with what it holds. Across an agent restart (the record is in the state dir). The docker CLI is
/// the oracle for what runs and what it mounts.
/// </summary>
public sealed class BindFolderGoneTests : SecurityScenario
{
    [Fact]
    public async Task A_bind_folder_moved_away_is_not_made_again_empty_and_the_replica_comes_back_with_it_once_it_is_back()
    {
        var group = Instance.Name("bindgone");
        var key = new ObjectKey(ServiceGroup.KindName, group);
        var data = Path.Combine(Agent.Manifests, "data");
        Agent.Write($"{group}.yaml", Manifest.Group(group, Service("db", "      volumes: [\"./data:/var/lib/db\"]\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(group);
        Assert.True(Directory.Exists(data)); // made for the first create, as Compose does
        await File.WriteAllTextAsync(Path.Combine(data, "PG_VERSION"), "16");

        await Agent.StopAsync();
        Directory.Move(data, data + ".away");
        await DockerCli.RunAsync("rm", "-f", $"{group}-db-1");
        await Agent.StartAsync();

        var refused = await Agent.WaitForConditionAsync(group, ConditionTypes.Degraded, "True", "ApplyFailed", TimeSpan.FromSeconds(60));
        Assert.Contains($"the bind folder {data} is gone: containers of {key} were created with it, so it is not made again empty",
            refused.Condition(ConditionTypes.Degraded)!.Message);
        Assert.Contains($"mkdir {data}", refused.Condition(ConditionTypes.Degraded)!.Message);
        // Retried meanwhile (the failed apply backs off and tries again): still nothing made, nothing created.
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.False(Directory.Exists(data), "the folder was made again empty");
        Assert.Empty(await Containers.OfAsync(Instance, group));

        Directory.Move(data + ".away", data);
        await Agent.WaitReadyAsync(group, TimeSpan.FromSeconds(120));
        Assert.Equal("16", (await DockerCli.RunAsync("exec", $"{group}-db-1", "cat", "/var/lib/db/PG_VERSION")).Trim());
        Assert.False(Directory.Exists(Path.Combine(data, "data.away")));
    }

    [Fact]
    public async Task A_deleted_group_forgets_its_folders_so_a_new_manifest_starts_like_a_first_create()
    {
        var group = Instance.Name("bindnew");
        var data = Path.Combine(Agent.Manifests, "fresh");
        var manifest = Manifest.Group(group, Service("db", "      volumes: [\"./fresh:/var/lib/db\"]\n"));
        Agent.Write($"{group}.yaml", manifest);
        var keeper = Instance.Name("keeper"); // so the deletion is not a mass prune, which is held
        Agent.Write($"{keeper}.yaml", Manifest.Group(keeper, Service("s")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(group);
        await Agent.WaitReadyAsync(keeper);

        Agent.Delete($"{group}.yaml");
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, group)).Count == 0, TimeSpan.FromSeconds(60), "the deleted group pruned");
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, group)) is null), TimeSpan.FromSeconds(30), "the group gone from the status");
        Directory.Delete(data, recursive: true);

        Agent.Write($"{group}.yaml", manifest);
        await Agent.WaitReadyAsync(group, TimeSpan.FromSeconds(60));
        Assert.True(Directory.Exists(data));
    }
}
