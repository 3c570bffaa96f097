using Agent.Core.Security;

namespace Agent.UnitTests.Security;

public sealed class NetworkRulesTests
{
    private static IReadOnlyList<Violation> Check(string? driver = null, Dictionary<string, string>? options = null, string? subnet = null, string? gateway = null) =>
        NetworkRules.Problems(driver, options ?? [], subnet, gateway);

    [Fact]
    public void A_plain_bridge_with_mtu_and_a_subnet_passes() =>
        Assert.Empty(Check("bridge", new() { ["com.docker.network.driver.mtu"] = "1400" }, "10.210.0.0/24", "10.210.0.1"));

    [Theory]
    [InlineData("host")]
    [InlineData("macvlan")]
    [InlineData("overlay")]
    public void Drivers_that_reach_beyond_the_bridge_are_refused(string driver) =>
        Assert.Equal("driver", Assert.Single(Check(driver)).Field);

    [Fact]
    public void A_driver_name_with_whitespace_is_refused_saying_so() =>
        Assert.Equal("network driver \"bridge \" contains whitespace or control characters: give the name alone, like \"bridge\"",
            Assert.Single(Check("bridge ")).Message);

    [Fact]
    public void Taking_over_an_existing_bridge_or_publishing_everywhere_is_refused()
    {
        var problems = Check(options: new() { ["com.docker.network.bridge.name"] = "docker0", ["com.docker.network.bridge.host_binding_ipv4"] = "0.0.0.0" });
        Assert.Equal(["options.com.docker.network.bridge.host_binding_ipv4", "options.com.docker.network.bridge.name"], problems.Select(p => p.Field));
    }

    [Theory]
    [InlineData("com.docker.network.bridge.enable_icc", "maybe")]
    [InlineData("com.docker.network.bridge.enable_ip_masquerade", "yes")]
    [InlineData("com.docker.network.driver.mtu", "70000")]
    [InlineData("com.docker.network.driver.mtu", "-1")]
    [InlineData("com.docker.network.driver.mtu", "15OO")]
    public void Allowed_options_with_values_the_engine_refuses_or_a_link_cannot_have_are_named(string key, string value) =>
        Assert.Equal($"options.{key}", Assert.Single(Check(options: new() { [key] = value })).Field);

    [Fact]
    public void A_bad_subnet_or_a_gateway_outside_it_is_named()
    {
        Assert.Equal("subnet", Assert.Single(Check(subnet: "10.0.0.0/99")).Field);
        Assert.Equal("gateway", Assert.Single(Check(subnet: "10.210.0.0/24", gateway: "10.9.9.9")).Field);
    }

    [Theory]
    [InlineData("10.219.007.0/24", null, "subnet")] // leading zero: the engine's parser refuses it (was its 500, a 502 here)
    [InlineData("0x0a.219.7.0/24", null, "subnet")]
    [InlineData("10.219.7/24", null, "subnet")]
    [InlineData("10.219.7.0/31", null, "subnet")] // no address left for the gateway
    [InlineData("10.219.7.0/32", null, "subnet")]
    [InlineData("10.219.7.0/24", "10.219.7.0", "gateway")] // the network address
    [InlineData("10.219.7.0/24", "10.219.7.255", "gateway")] // the broadcast address
    [InlineData("10.219.7.0/24", "10.219.7.01", "gateway")]
    public void A_subnet_or_gateway_the_engine_would_refuse_is_named_before_it_sees_it(string subnet, string? gateway, string field) =>
        Assert.Equal(field, Assert.Single([.. Check(subnet: subnet, gateway: gateway) is { Count: > 0 } syntax ? syntax : NetworkRules.RoomProblems(subnet, gateway)]).Field);

    [Theory]
    [InlineData("10.219.7.0/30", "10.219.7.2")]
    [InlineData("10.0.0.0/8", "10.0.0.1")]
    [InlineData("fd00:1::/64", "fd00:1::1")]
    [InlineData("fd00:1::/127", null)] // the engine takes it
    [InlineData("FD00:0001::/64", null)]
    public void Subnets_and_gateways_the_engine_takes_pass(string subnet, string? gateway)
    {
        Assert.Empty(Check(subnet: subnet, gateway: gateway));
        Assert.Empty(NetworkRules.RoomProblems(subnet, gateway));
    }

    [Theory]
    [InlineData("127.0.0.0/8")]
    [InlineData("127.5.0.0/24")]
    [InlineData("169.254.169.0/24")]
    [InlineData("224.1.0.0/16")]
    [InlineData("0.0.0.0/0")]
    [InlineData("96.0.0.0/3")]
    [InlineData("::1/128")]
    [InlineData("fe80::/64")]
    [InlineData("ff02::/16")]
    [InlineData("::/0")]
    public void Subnets_in_or_around_what_the_host_reserves_are_refused(string subnet)
    {
        var problem = Assert.Single(Check(subnet: subnet));
        Assert.Equal("subnet", problem.Field);
        Assert.Contains("which the host itself uses", problem.Message);
    }

    [Theory]
    [InlineData("10.210.0.0/24")]
    [InlineData("192.168.77.0/24")]
    [InlineData("172.30.0.0/16")]
    [InlineData("fd00:1::/64")]
    [InlineData("2001:db8::/64")]
    public void Private_and_global_ranges_pass(string subnet) => Assert.Empty(Check(subnet: subnet));

    [Fact]
    public void A_single_reserved_address_is_refused_as_well() =>
        Assert.NotNull(NetworkRules.ReservedProblem("169.254.169.254"));
}
