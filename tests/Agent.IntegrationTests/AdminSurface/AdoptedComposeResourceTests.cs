using System.Net;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.AdminSurface.AdminSurfaceFixture;

namespace Agent.IntegrationTests.AdminSurface;

/// <summary>The volume and network `docker compose` made for a project the agent adopted are the agent's: listed,
/// inspected and guarded under /volumes and /networks like its own, judged by the project's scope; a compose-made volume
/// of a project the agent does not have stays invisible. The docker CLI is the oracle.</summary>
[Collection(AdminSurfaceCollection.Name)]
public sealed class AdoptedComposeResourceTests(AdminSurfaceFixture fx)
{
    [Fact]
    public async Task Adopted_compose_volume_and_network_are_listed_as_the_projects_and_a_strangers_stay_invisible()
    {
        using var viewer = fx.Client(ViewerToken);
        var volumes = await ReadAsync(await viewer.GetAsync("/api/v1/volumes"), HttpStatusCode.OK);
        var names = volumes.EnumerateArray().Select(v => v.GetProperty("name").GetString()).ToList();
        Assert.DoesNotContain(fx.ComposeStranger, names);
        var volume = volumes.EnumerateArray().Single(v => v.GetProperty("name").GetString() == fx.AdoptedVolume);
        Assert.Equal($"ComposeProject/{fx.Adopted}", volume.GetProperty("owner").GetString());
        Assert.Equal($"ComposeProject/{fx.Adopted}", volume.GetProperty("declaredBy").GetString());
        var db = await DockerCli.InspectAsync($"{fx.Adopted}-db-1", "{{.Id}}");
        Assert.Equal(db, volume.GetProperty("usedBy")[0].GetProperty("id").GetString());
        Assert.Equal(fx.AdoptedVolume, await DockerCli.InspectAsync($"{fx.Adopted}-db-1", "{{range .Mounts}}{{.Name}}{{end}}"));
        Assert.Equal("", await DockerCli.RunAsync("volume", "inspect", "--format", $"{{{{index .Labels \"{fx.Instance.Labels.Managed}\"}}}}", fx.AdoptedVolume));
        await ReadAsync(await viewer.GetAsync($"/api/v1/volumes/{fx.AdoptedVolume}"), HttpStatusCode.OK);
        await ReadAsync(await viewer.GetAsync($"/api/v1/volumes/{fx.ComposeStranger}"), HttpStatusCode.NotFound);
        var df = (await ReadAsync(await viewer.GetAsync("/api/v1/system/df"), HttpStatusCode.OK)).GetProperty("volumes").GetProperty("items").EnumerateArray()
            .Select(v => v.GetProperty("name").GetString()).ToList();
        Assert.Contains(fx.AdoptedVolume, df); // counted in the agent's volume totals
        Assert.DoesNotContain(fx.ComposeStranger, df);

        var networks = await ReadAsync(await viewer.GetAsync("/api/v1/networks"), HttpStatusCode.OK);
        var network = networks.EnumerateArray().Single(n => n.GetProperty("network").GetProperty("name").GetString() == fx.AdoptedNetwork);
        Assert.Equal($"ComposeProject/{fx.Adopted}", network.GetProperty("declaredBy").GetString());
        Assert.Equal(await DockerCli.RunAsync("network", "inspect", "--format", "{{.Id}}", fx.AdoptedNetwork), network.GetProperty("network").GetProperty("id").GetString());
        Assert.Contains(network.GetProperty("network").GetProperty("containers").EnumerateArray(), c => c.GetProperty("containerId").GetString() == db);
    }

    [Fact]
    public async Task Adopted_objects_are_guarded_like_the_agents_own_and_judged_by_the_projects_scope()
    {
        using var admin = fx.Client(AdminToken);
        var inUse = await ReadAsync(await admin.DeleteAsync($"/api/v1/volumes/{fx.AdoptedVolume}?force=true"), HttpStatusCode.Conflict);
        Assert.Contains($"{fx.Adopted}-db-1", inUse.GetProperty("detail").GetString());
        var attached = await ReadAsync(await admin.DeleteAsync($"/api/v1/networks/{fx.AdoptedNetwork}"), HttpStatusCode.Conflict);
        Assert.Contains($"{fx.Adopted}-db-1", attached.GetProperty("detail").GetString());
        await ReadAsync(await admin.DeleteAsync($"/api/v1/volumes/{fx.ComposeStranger}"), HttpStatusCode.NotFound);

        using var applicationAdmin = fx.Client(ApplicationAdmin); // the project is in phase core
        var refused = await ReadAsync(await applicationAdmin.DeleteAsync($"/api/v1/volumes/{fx.AdoptedVolume}"), HttpStatusCode.Forbidden);
        Assert.Contains($"ComposeProject/{fx.Adopted}", refused.GetProperty("detail").GetString());

        var pruned = await ReadAsync(await admin.PostAsync("/api/v1/volumes/prune", null), HttpStatusCode.OK);
        Assert.DoesNotContain(fx.AdoptedVolume, pruned.GetProperty("removed").EnumerateArray().Select(v => v.GetString()));
        foreach (var volume in new[] { fx.AdoptedVolume, fx.ComposeStranger })
            Assert.Equal(0, (await DockerCli.TryRunAsync("volume", "inspect", volume)).Exit);
        Assert.Equal(0, (await DockerCli.TryRunAsync("network", "inspect", fx.AdoptedNetwork)).Exit);
    }
}
