using Agent.Core.Model;
using Agent.Engine;
using Agent.Http.Proxy;
using Microsoft.AspNetCore.Http;

namespace Agent.UnitTests.ContainerAccess;

public sealed class ProxyUpstreamTests
{
    private static ContainerDetails Container(ContainerState state, IReadOnlyList<PublishedPort> ports, Dictionary<string, string>? networks = null) =>
        new("abc123", "g-web-1", "busybox", "sha256:1", state, HealthState.None, null, false, 0, DateTimeOffset.UnixEpoch, null, null, null,
            new Dictionary<string, string>(), [], [], networks ?? new Dictionary<string, string> { ["g"] = "172.18.0.5" }, ports);

    [Fact]
    public void A_published_port_is_reached_on_loopback()
    {
        var (upstream, _, _) = ProxyUpstream.Choose(Container(ContainerState.Running,
            [new PublishedPort(8080, "tcp", "::", 32001), new PublishedPort(8080, "tcp", "0.0.0.0", 32001)]), null);
        Assert.Equal("http://127.0.0.1:32001/", upstream!.Url.ToString());
        Assert.Equal(ProxyUpstream.ViaPublished, upstream.Via);
    }

    [Fact]
    public void A_port_published_on_one_address_is_reached_there() =>
        Assert.Equal("http://10.1.2.3:32002/", ProxyUpstream.Choose(Container(ContainerState.Running, [new PublishedPort(80, "tcp", "10.1.2.3", 32002)]), 80).Upstream!.Url.ToString());

    [Fact]
    public void An_unpublished_port_is_reached_on_the_containers_network_address()
    {
        var (upstream, _, _) = ProxyUpstream.Choose(Container(ContainerState.Running, [new PublishedPort(8080, "tcp", "127.0.0.1", 32001)]), 9000);
        Assert.Equal("http://172.18.0.5:9000/", upstream!.Url.ToString());
        Assert.Equal(("network", "g"), (upstream.Via, upstream.Network));
    }

    [Theory]
    [InlineData(ContainerState.Exited, null, 409, "not running")]
    [InlineData(ContainerState.Running, null, 400, "several TCP ports (80, 443)")]
    [InlineData(ContainerState.Running, 70000, 400, "1 to 65535")]
    public void No_upstream_says_why(ContainerState state, int? port, int status, string reason)
    {
        var (upstream, code, problem) = ProxyUpstream.Choose(Container(state, [new PublishedPort(80, "tcp", null, 1), new PublishedPort(443, "tcp", null, 2), new PublishedPort(53, "udp", null, 3)]), port);
        Assert.Null(upstream);
        Assert.Equal(status, code);
        Assert.Contains(reason, problem);
    }

    [Fact]
    public void A_container_without_ports_needs_one_named()
    {
        var (_, code, problem) = ProxyUpstream.Choose(Container(ContainerState.Running, []), null);
        Assert.Equal((400, true), (code, problem.Contains("?port=N")));
    }

    [Fact]
    public void A_container_on_the_hosts_network_has_no_upstream_so_the_host_is_never_reached()
    {
        var (upstream, code, problem) = ProxyUpstream.Choose(Container(ContainerState.Running, [], new Dictionary<string, string> { ["host"] = "" }), 22);
        Assert.Null(upstream);
        Assert.Equal(409, code);
        Assert.Contains("network mode host", problem);
    }

    [Theory]
    [InlineData("?port=8080", "")]
    [InlineData("?x=1&port=8080&y=2", "?x=1&y=2")]
    [InlineData("?port", "")]
    [InlineData("?ports=1&export=2", "?ports=1&export=2")]
    [InlineData("?a=%20b", "?a=%20b")]
    [InlineData("?x=1&PORT=9092", "?x=1")]
    [InlineData("?Port=1&%70ort=2&%50ORT&y=2", "?y=2")]
    public void The_agents_port_parameter_is_not_passed_on(string query, string expected) =>
        Assert.Equal(expected, ProxyTransformer.WithoutPort(new QueryString(query)).Value ?? "");
}
