using System.Net;
using Agent.Admission;
using Agent.Core.Model;
using Agent.Core.Security;

namespace Agent.UnitTests.Security;

public sealed class HostRouteRulesTests
{
    // As this host has it: a default route through eth0, eth0's own subnet, the engine's bridges, a resolver beyond the gateway.
    private static readonly HostNetworkFacts Host = new(
    [
        new HostRoute(IPNetwork.Parse("0.0.0.0/0"), "eth0", IPAddress.Parse("192.0.2.1")),
        new HostRoute(IPNetwork.Parse("192.0.2.0/24"), "eth0", null),
        new HostRoute(IPNetwork.Parse("10.240.0.0/20"), "docker0", null),
        new HostRoute(IPNetwork.Parse("10.240.32.0/20"), "br-a6d1f4160ed2", null),
        new HostRoute(IPNetwork.Parse("fd00::/64"), "eth0", null),
        new HostRoute(IPNetwork.Parse("fe80::/64"), "eth0", null),
    ], [IPAddress.Parse("10.255.255.53")]);

    [Theory]
    [InlineData("10.255.255.0/24", "10.255.255.53, the host's DNS resolver")]
    [InlineData("10.255.0.0/16", "10.255.255.53, the host's DNS resolver")]
    [InlineData("192.0.2.1", "192.0.2.1, a gateway of the host (dev eth0)")]
    [InlineData("192.0.0.0/16", "192.0.2.1, a gateway of the host")]
    [InlineData("192.0.2.128/25", "overlaps 192.0.2.0/24, which the host reaches through dev eth0")]
    [InlineData("fd00::/48", "overlaps fd00::/64")]
    public void A_range_the_host_routes_or_resolves_through_is_refused(string subnet, string why) =>
        Assert.Contains(why, HostRouteRules.Problem(subnet, Host));

    [Theory]
    [InlineData("10.210.0.0/24")]   // reached only through the default route: any private range is
    [InlineData("10.240.16.0/20")]  // beside the engine's own bridges (the engine judges overlaps with its networks)
    [InlineData("10.240.0.0/20")]
    [InlineData("fd01::/64")]
    public void A_range_the_host_does_not_use_passes(string subnet) =>
        Assert.Null(HostRouteRules.Problem(subnet, Host));

    [Fact]
    public void The_hosts_routes_and_resolvers_are_read_from_proc_and_resolv_conf()
    {
        var dir = Directory.CreateTempSubdirectory("agent-hostnet-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "route"),
                "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
                "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
                "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
                "docker0\t0000F00A\t00000000\t0001\t0\t0\t0\t00F0FFFF\t0\t0\t0\n");
            File.WriteAllText(Path.Combine(dir.FullName, "ipv6_route"),
                "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n");
            File.WriteAllText(Path.Combine(dir.FullName, "resolv.conf"), "# comment\nnameserver 10.255.255.53\nsearch example\n");
            var reader = new HostNetworks(dir.FullName, Path.Combine(dir.FullName, "resolv.conf"));
            var facts = reader.Read();
            Assert.Equal(["0.0.0.0/0 eth0 192.0.2.1", "192.0.2.0/24 eth0 ", "10.240.0.0/20 docker0 ", "fd00::/64 eth0 "],
                facts.Routes.Select(r => $"{r.Destination} {r.Interface} {r.Gateway}"));
            Assert.Equal([IPAddress.Parse("10.255.255.53")], facts.Nameservers);

            var compose = new NetworkSpec("p_default") { Ipam = new IpamSpec(null, [new IpamPool("10.210.0.0/24", null, null, new Dictionary<string, string>()), new IpamPool("10.255.255.0/24", null, null, new Dictionary<string, string>())], new Dictionary<string, string>()) };
            var refused = reader.Problem(compose);
            Assert.Equal("ipam.config[1].subnet", refused!.Field);
            Assert.Null(reader.Problem(new NetworkSpec("p_default")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
