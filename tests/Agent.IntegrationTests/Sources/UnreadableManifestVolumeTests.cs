using System.Net;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Sources;

/// <summary>A volume prune never takes the data of an object whose manifest cannot be read, also after an agent restart,
/// when the agent no longer knows what that manifest declared (probe-15i H3), and a run never takes the names of its
/// replicas. The docker CLI says what is left.</summary>
public sealed class UnreadableManifestVolumeTests : SourceScenario
{
    [Fact]
    public async Task After_a_restart_an_object_whose_manifest_is_a_dangling_link_keeps_its_volume_and_its_replica_names()
    {
        var g = Instance.Name("dangle");
        var volume = $"{g}_data";
        Agent.Write("g/g.yaml", Group(g, Sleeper("s", "      volumes: [\"data:/data\"]\n"), "  volumes:\n    data: {}\n"));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        await Agent.StopAsync();

        // The containers are gone (as after a compose down) and the manifest is now a link to nowhere.
        foreach (var id in (await DockerCli.RunAsync("ps", "-aq", "--filter", $"label={Instance.InstanceLabel}")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            await DockerCli.RunAsync("rm", "-f", id);
        Agent.Delete("g/g.yaml");
        File.CreateSymbolicLink(Path.Combine(Agent.Manifests, "g", "g.yaml"), "/nonexistent/g.yaml");
        await Agent.StartAsync();
        await Agent.WaitForConditionAsync(g, Core.Status.ConditionTypes.Ready, "False");

        using var admin = Agent.Client(Agent.GeneratedAdminToken);
        using var prune = await admin.PostAsync("/api/v1/volumes/prune", null);
        var pruned = JsonDocument.Parse(await prune.Content.ReadAsStringAsync()).RootElement;
        Assert.True(prune.StatusCode == HttpStatusCode.OK, pruned.ToString());
        Assert.DoesNotContain(volume, pruned.GetProperty("removed").EnumerateArray().Select(v => v.GetString()));
        var kept = pruned.GetProperty("kept").EnumerateArray().Single(k => k.GetProperty("name").GetString() == volume);
        Assert.Contains("cannot be read", kept.GetProperty("reason").GetString());

        using var remove = await admin.DeleteAsync($"/api/v1/volumes/{volume}");
        Assert.Equal(HttpStatusCode.Conflict, remove.StatusCode);
        Assert.Equal(volume, await DockerCli.RunAsync("volume", "ls", "-q", "--filter", $"name=^{volume}$"));

        foreach (var (route, name) in new[] { ("run", $"{g}-s-1"), ("containers", $"{g}-other-2-next") })
        {
            using var run = await admin.PostAsync($"/api/v1/{route}", new StringContent(
                $"{{\"service\":{{\"name\":\"{name}\",\"image\":\"{TestEngine.Image}\",\"command\":[\"sleep\",\"30\"]}}}}", System.Text.Encoding.UTF8, "application/json"));
            var problem = JsonDocument.Parse(await run.Content.ReadAsStringAsync()).RootElement;
            Assert.True(run.StatusCode == HttpStatusCode.Conflict, problem.ToString());
            Assert.Equal($"ServiceGroup/{g}", problem.GetProperty("heldBy").GetString());
            Assert.Contains("cannot be read", problem.GetProperty("detail").GetString());
            Assert.Equal("", await DockerCli.RunAsync("ps", "-aq", "--filter", $"name=^{name}$"));
        }
    }

    [Fact]
    public async Task After_a_restart_an_object_held_without_its_spec_shows_its_age_and_replicas_from_its_containers()
    {
        var g = Instance.Name("heldage");
        Agent.Write("g/g.yaml", Group(g, Sleeper("s") + Sleeper("t")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        await Agent.StopAsync();
        await Task.Delay(1500); // the restart's own clock is seconds past the containers' creation

        Agent.Delete("g/g.yaml");
        File.CreateSymbolicLink(Path.Combine(Agent.Manifests, "g", "g.yaml"), "/nonexistent/g.yaml");
        await Agent.StartAsync();
        await Agent.WaitForConditionAsync(g, Core.Status.ConditionTypes.Ready, "False");

        var ids = (await DockerCli.RunAsync("ps", "-aq", "--filter", $"label={Instance.InstanceLabel}")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var oldest = (await Task.WhenAll(ids.Select(id => DockerCli.InspectAsync(id, "{{.Created}}")))).Select(DateTimeOffset.Parse).Min();
        var held = Agent.Status.Get(new Core.Model.ObjectKey(Core.Model.ServiceGroup.KindName, g))!;
        Assert.Equal(global::Agent.Sources.DesiredEntry.ManifestUnreadable, held.Condition(Core.Status.ConditionTypes.Ready)!.Reason);
        Assert.True(held.Since is { } since && Math.Abs((since - oldest).TotalSeconds) < 1, $"since {held.Since:O}, oldest container {oldest:O}");
        Assert.Equal(["s 1/1", "t 1/1"], held.Services.Select(x => $"{x.Name} {x.ReadyReplicas}/{x.DesiredReplicas}"));
    }
}
