using System.Net;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.AdminSurface.AdminSurfaceFixture;

namespace Agent.IntegrationTests.AdminSurface;

/// <summary>/networks on the real engine, checked with the docker CLI.</summary>
[Collection(AdminSurfaceCollection.Name)]
public sealed class NetworkTests(AdminSurfaceFixture fx)
{
    // An explicit subnet keeps the test off the engine's address pools, which run out when many tests share an engine.
    private static string Subnet() => $"10.215.{Random.Shared.Next(1, 250)}.0/24"; // 10.213 is PrivateEngine's host bridges


    private static async Task<string> NetworksOfAsync(string container) =>
        await DockerCli.InspectAsync(container, "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}");

    [Fact]
    public async Task A_replica_is_not_disconnected_from_its_own_groups_network()
    {
        using var admin = fx.Client(AdminToken);
        var web = await fx.ContainerIdAsync(fx.App, "web");
        var refused = await ReadAsync(await admin.DeleteAsync($"/api/v1/networks/{fx.App}_default/containers/{web}"), HttpStatusCode.Conflict);
        Assert.Contains("the agent would recreate the replica", refused.GetProperty("detail").GetString());
        Assert.Contains($"{fx.App}_default", await NetworksOfAsync(web));
    }

    [Fact]
    public async Task Connect_and_disconnect_show_in_docker_inspect_and_a_network_in_use_is_not_removed()
    {
        using var admin = fx.Client(AdminToken);
        var name = fx.Instance.Name("net");
        var web = await fx.ContainerIdAsync(fx.App, "web");
        try
        {
            await ReadAsync(await admin.PostAsync("/api/v1/networks", Json($"{{\"name\":\"{name}\",\"subnet\":\"{Subnet()}\",\"internal\":true}}")), HttpStatusCode.Created);
            Assert.Equal($"{fx.Instance.Id} true", (await DockerCli.RunAsync("network", "inspect", "--format", $"{{{{index .Labels \"{fx.Instance.Labels.Instance}\"}}}} {{{{.Internal}}}}", name)).Trim());

            await ReadAsync(await admin.PostAsync($"/api/v1/networks/{name}/containers/{web}?alias=bad%20alias", null), HttpStatusCode.BadRequest);
            Assert.DoesNotContain(name, await NetworksOfAsync(web));
            // A scoped token needs the network in scope too, not only its container (web is in phase application).
            using var applicationAdmin = fx.Client(ApplicationAdmin);
            var outside = await ReadAsync(await applicationAdmin.PostAsync($"/api/v1/networks/{fx.Core}_default/containers/{web}", null), HttpStatusCode.Forbidden);
            Assert.Contains($"ServiceGroup/{fx.Core} (phase core)", outside.GetProperty("detail").GetString());
            await ReadAsync(await applicationAdmin.PostAsync($"/api/v1/networks/{name}/containers/{web}", null), HttpStatusCode.Forbidden);
            Assert.DoesNotContain($"{fx.Core}_default", await NetworksOfAsync(web));

            await ReadAsync(await admin.PostAsync($"/api/v1/networks/{name}/containers/{web}?alias=cache&alias=cache.local", null), HttpStatusCode.OK);
            Assert.Contains(name, await NetworksOfAsync(web));
            var aliases = await DockerCli.InspectAsync(web, $"{{{{(index .NetworkSettings.Networks \"{name}\").Aliases}}}}");
            Assert.Contains("cache", aliases);
            Assert.Contains("cache.local", aliases);
            var shown = await ReadAsync(await admin.GetAsync($"/api/v1/networks/{name}"), HttpStatusCode.OK);
            Assert.Contains(shown.GetProperty("network").GetProperty("containers").EnumerateArray(), c => c.GetProperty("containerId").GetString() == web);

            var inUse = await ReadAsync(await admin.DeleteAsync($"/api/v1/networks/{name}"), HttpStatusCode.Conflict);
            Assert.Contains($"{fx.App}-web-1", inUse.GetProperty("detail").GetString());
            Assert.True(await DockerCli.ExistsAsync("network", name));

            await ReadAsync(await admin.DeleteAsync($"/api/v1/networks/{name}/containers/{web}"), HttpStatusCode.OK);
            Assert.DoesNotContain(name, await NetworksOfAsync(web));
            await ReadAsync(await admin.DeleteAsync($"/api/v1/networks/{name}"), HttpStatusCode.OK);
            Assert.False(await DockerCli.ExistsAsync("network", name));
        }
        finally
        {
            await DockerCli.TryRunAsync("network", "disconnect", "-f", name, web);
            await DockerCli.TryRunAsync("network", "rm", name);
        }
    }

    [Fact]
    public async Task Foreign_networks_and_containers_are_invisible_and_untouchable()
    {
        using var admin = fx.Client(AdminToken);
        var foreign = fx.Instance.Name("foreign-net");
        var stranger = fx.Instance.Name("stranger");
        var ours = fx.Instance.Name("ours-net");
        var web = await fx.ContainerIdAsync(fx.App, "web");
        try
        {
            await DockerCli.RunAsync("network", "create", "--subnet", Subnet(), foreign);
            await DockerCli.RunAsync("create", "--name", stranger, TestEngine.Image, "true");
            await ReadAsync(await admin.PostAsync("/api/v1/networks", Json($"{{\"name\":\"{ours}\",\"subnet\":\"{Subnet()}\"}}")), HttpStatusCode.Created);

            await ReadAsync(await admin.GetAsync($"/api/v1/networks/{foreign}"), HttpStatusCode.NotFound);
            await ReadAsync(await admin.PostAsync($"/api/v1/networks/{foreign}/containers/{web}", null), HttpStatusCode.NotFound);
            await ReadAsync(await admin.PostAsync($"/api/v1/networks/{ours}/containers/{stranger}", null), HttpStatusCode.NotFound);
            Assert.DoesNotContain(foreign, await NetworksOfAsync(web));
            Assert.DoesNotContain(ours, await NetworksOfAsync(stranger));

            var list = await ReadAsync(await admin.GetAsync("/api/v1/networks"), HttpStatusCode.OK);
            var names = list.EnumerateArray().Select(n => n.GetProperty("network").GetProperty("name").GetString()).ToList();
            Assert.Contains(ours, names);
            Assert.DoesNotContain(foreign, names);

            var pruned = await ReadAsync(await admin.PostAsync("/api/v1/networks/prune", null), HttpStatusCode.OK);
            Assert.Contains(ours, pruned.GetProperty("removed").EnumerateArray().Select(n => n.GetString()));
            Assert.False(await DockerCli.ExistsAsync("network", ours));
            Assert.True(await DockerCli.ExistsAsync("network", foreign));
            Assert.Contains(pruned.GetProperty("kept").EnumerateArray(), k => k.GetProperty("reason").GetString() == $"owned by ServiceGroup/{fx.App}");
        }
        finally
        {
            await DockerCli.TryRunAsync("rm", "-f", stranger);
            await DockerCli.TryRunAsync("network", "rm", foreign);
            await DockerCli.TryRunAsync("network", "rm", ours);
        }
    }

    [Fact]
    public async Task A_name_a_group_gives_its_networks_is_refused()
    {
        using var admin = fx.Client(AdminToken);
        var name = $"{fx.App}_back"; // GROUP_NAME: the group's own networks' form, as GROUP_default
        var refused = await ReadAsync(await admin.PostAsync("/api/v1/networks", Json($"{{\"name\":\"{name}\",\"subnet\":\"{Subnet()}\"}}")), HttpStatusCode.Conflict);
        Assert.Equal($"ServiceGroup/{fx.App}", refused.GetProperty("owner").GetString());
        Assert.Contains($"without the prefix {fx.App}_", refused.GetProperty("detail").GetString());
        Assert.False(await DockerCli.ExistsAsync("network", name));
    }

    [Fact]
    public async Task A_network_reaching_beyond_its_bridge_is_refused()
    {
        using var admin = fx.Client(AdminToken);
        var name = fx.Instance.Name("hostnet");
        var refused = await ReadAsync(await admin.PostAsync("/api/v1/networks",
            Json($"{{\"name\":\"{name}\",\"driver\":\"macvlan\",\"options\":{{\"com.docker.network.bridge.name\":\"docker0\"}}}}")), HttpStatusCode.BadRequest);
        var detail = refused.GetProperty("detail").GetString()!;
        Assert.Contains("driver:", detail);
        Assert.Contains("options.com.docker.network.bridge.name", detail);
        Assert.False(await DockerCli.ExistsAsync("network", name));
        Assert.Contains("labels.AGENT.managed: \"AGENT.managed\": labels starting with \"agent.\"", (await ReadAsync(await admin.PostAsync("/api/v1/networks",
            Json($"{{\"name\":\"{name}\",\"labels\":{{\"AGENT.managed\":\"true\"}}}}")), HttpStatusCode.BadRequest)).GetProperty("detail").GetString());
        Assert.False(await DockerCli.ExistsAsync("network", name));

        // probe-15b F2: a bridge on loopback or link-local adds the host an interface there (a second 127.0.0.1/8 beside lo).
        foreach (var subnet in new[] { "127.0.0.0/8", "169.254.169.0/24", "fe80::/64" })
        {
            var reserved = await ReadAsync(await admin.PostAsync("/api/v1/networks", Json($"{{\"name\":\"{name}\",\"subnet\":\"{subnet}\"}}")), HttpStatusCode.BadRequest);
            Assert.Contains("subnet:", reserved.GetProperty("detail").GetString()!);
            Assert.False(await DockerCli.ExistsAsync("network", name));
        }

        // Forms .NET reads and the engine refuses (its 500 was a 502 here): a 400 naming the field, before the engine.
        foreach (var (fields, field) in new[] { ("\"subnet\":\"10.215.007.0/24\"", "subnet:"), ("\"subnet\":\"10.215.7.0/31\"", "subnet:"),
                     ("\"subnet\":\"10.215.7.0/24\",\"gateway\":\"10.215.7.255\"", "gateway:") })
        {
            var invalid = await ReadAsync(await admin.PostAsync("/api/v1/networks", Json($"{{\"name\":\"{name}\",{fields}}}")), HttpStatusCode.BadRequest);
            Assert.StartsWith(field, invalid.GetProperty("detail").GetString()!);
            Assert.False(await DockerCli.ExistsAsync("network", name));
        }
    }

    [Fact]
    public async Task A_subnet_around_the_hosts_gateway_or_one_of_its_routes_is_refused_before_the_engine_makes_it()
    {
        using var admin = fx.Client(AdminToken);
        var name = fx.Instance.Name("routes");
        // The host's own routing table, read here apart from the agent's reader: the default gateway, and a route that is
        // not the engine's bridge (the network the gateway is on).
        var routes = File.ReadAllLines("/proc/net/route").Skip(1).Select(l => l.Split('\t', StringSplitOptions.TrimEntries)).ToList();
        var gateway = routes.Where(f => f[1] == "00000000").Select(f => new IPAddress(Convert.ToUInt32(f[2], 16))).First();
        var subnets = new List<string> { $"{gateway}/32" };
        subnets.AddRange(routes.Where(f => f[1] != "00000000" && f[0] != "docker0" && !f[0].StartsWith("br-", StringComparison.Ordinal))
            .Select(f => $"{new IPAddress(Convert.ToUInt32(f[1], 16))}/{System.Numerics.BitOperations.PopCount(Convert.ToUInt32(f[7], 16))}").Take(1));
        foreach (var subnet in subnets)
        {
            var refused = await ReadAsync(await admin.PostAsync("/api/v1/networks", Json($"{{\"name\":\"{name}\",\"subnet\":\"{subnet}\"}}")), HttpStatusCode.BadRequest);
            var detail = refused.GetProperty("detail").GetString()!;
            Assert.Contains("subnet:", detail);
            Assert.Contains("the host", detail);
            Assert.False(await DockerCli.ExistsAsync("network", name));
        }
    }
}
