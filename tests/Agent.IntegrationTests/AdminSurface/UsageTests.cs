using System.Net;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.AdminSurface.AdminSurfaceFixture;

namespace Agent.IntegrationTests.AdminSurface;

/// <summary>/system/usage, /system/df and /system/top against the docker CLI and the host's own tools.</summary>
[Collection(AdminSurfaceCollection.Name)]
public sealed class UsageTests(AdminSurfaceFixture fx)
{
    [Fact]
    public async Task Host_usage_reports_cpu_memory_load_and_the_data_roots_disk()
    {
        using var viewer = fx.Client(ViewerToken);
        var usage = await ReadAsync(await viewer.GetAsync("/api/v1/system/usage"), HttpStatusCode.OK);
        var cpu = usage.GetProperty("cpu").GetProperty("percent").GetDouble();
        Assert.InRange(cpu, 0, 100);
        Assert.Equal(long.Parse(await DockerCli.RunAsync("info", "--format", "{{.MemTotal}}")), usage.GetProperty("memory").GetProperty("totalBytes").GetInt64());
        Assert.InRange(usage.GetProperty("memory").GetProperty("availableBytes").GetInt64(), 1, usage.GetProperty("memory").GetProperty("totalBytes").GetInt64());
        Assert.True(usage.GetProperty("load").GetProperty("one").GetDouble() >= 0);

        var root = (await DockerCli.RunAsync("info", "--format", "{{.DockerRootDir}}")).Trim();
        var disk = usage.GetProperty("dataRoot");
        Assert.Equal(root, disk.GetProperty("path").GetString());
        Assert.True(disk.GetProperty("visible").GetBoolean());
        var df = (await ExternalTool.RunAsync("df", ["-B1", "--output=size", root])).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Trim();
        Assert.Equal(long.Parse(df), disk.GetProperty("totalBytes").GetInt64());

        // A second call measures since the first (at least a second later) or over its own short window.
        var again = await ReadAsync(await viewer.GetAsync("/api/v1/system/usage"), HttpStatusCode.OK);
        Assert.True(again.GetProperty("cpu").GetProperty("windowSeconds").GetDouble() > 0);
    }

    [Fact]
    public async Task Disk_usage_lists_images_and_the_agents_containers_and_volumes_with_sizes()
    {
        using var viewer = fx.Client(ViewerToken);
        var df = await ReadAsync(await viewer.GetAsync("/api/v1/system/df"), HttpStatusCode.OK);
        var imageId = (await DockerCli.RunAsync("image", "inspect", "--format", "{{.Id}}", TestEngine.Image)).Trim();
        Assert.Contains(df.GetProperty("images").GetProperty("items").EnumerateArray(), i => i.GetProperty("id").GetString() == imageId && i.GetProperty("size").GetInt64() > 0);
        var ours = await DockerCli.ContainerIdsAsync(fx.Instance.InstanceLabel);
        Assert.Equal(ours.Order(), df.GetProperty("containers").GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetString()!).Order());
        var volume = df.GetProperty("volumes").GetProperty("items").EnumerateArray().Single(v => v.GetProperty("name").GetString() == fx.CoreVolume);
        Assert.True(volume.GetProperty("size").GetInt64() >= 0);
        Assert.Equal(1, volume.GetProperty("refCount").GetInt64());
        Assert.True(df.GetProperty("buildCache").GetProperty("count").GetInt32() >= 0);
        Assert.True(df.GetProperty("engine").GetProperty("containers").GetInt32() >= ours.Count);
    }

    [Fact]
    public async Task Top_sorts_the_agents_running_containers_and_refuses_bad_values()
    {
        using var viewer = fx.Client(ViewerToken);
        var top = (await ReadAsync(await viewer.GetAsync("/api/v1/system/top?sort=memory&limit=2"), HttpStatusCode.OK)).EnumerateArray().ToList();
        Assert.Equal(2, top.Count);
        Assert.True(top[0].GetProperty("memoryBytes").GetUInt64() >= top[1].GetProperty("memoryBytes").GetUInt64());
        var ours = await DockerCli.ContainerIdsAsync(fx.Instance.InstanceLabel);
        Assert.All(top, t => Assert.Contains(t.GetProperty("id").GetString(), ours));
        var all = await ReadAsync(await viewer.GetAsync("/api/v1/system/top"), HttpStatusCode.OK);
        Assert.Equal(ours.Count, all.GetArrayLength());
        await ReadAsync(await viewer.GetAsync("/api/v1/system/top?sort=disk"), HttpStatusCode.BadRequest);
        await ReadAsync(await viewer.GetAsync("/api/v1/system/top?limit=0"), HttpStatusCode.BadRequest);
    }
}
