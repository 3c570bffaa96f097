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
    public void Taking_over_an_existing_bridge_or_publishing_everywhere_is_refused()
    {
        var problems = Check(options: new() { ["com.docker.network.bridge.name"] = "docker0", ["com.docker.network.bridge.host_binding_ipv4"] = "0.0.0.0" });
        Assert.Equal(["options.com.docker.network.bridge.host_binding_ipv4", "options.com.docker.network.bridge.name"], problems.Select(p => p.Field));
    }

    [Fact]
    public void A_bad_subnet_or_a_gateway_outside_it_is_named()
    {
        Assert.Equal("subnet", Assert.Single(Check(subnet: "10.0.0.0/99")).Field);
        Assert.Equal("gateway", Assert.Single(Check(subnet: "10.210.0.0/24", gateway: "10.9.9.9")).Field);
    }
}
