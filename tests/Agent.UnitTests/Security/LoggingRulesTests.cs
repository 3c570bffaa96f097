using Agent.Core.Model;
using Agent.Core.Security;

namespace Agent.UnitTests.Security;

/// <summary>Class 4: log drivers from an allow-list, option keys per driver.</summary>
public sealed class LoggingRulesTests
{
    private static IReadOnlyList<string> Fields(string driver, Dictionary<string, string> options, SecurityOptions? policy = null) =>
        new SecurityPolicy(policy ?? new SecurityOptions())
            .Check(new ContainerSpec { Image = "busybox:1.35", Logging = new LoggingSpec(driver, options) }, AdmissionContext.Offline)
            .Select(v => v.Field).ToList();

    [Theory]
    [InlineData("syslog", "syslog-address", "tcp://127.0.0.1:2375")]        // the issue: syslog into the engine's TCP port
    [InlineData("fluentd", "fluentd-address", "169.254.169.254:80")]        // the issue: fluentd to link-local metadata
    [InlineData("gelf", "gelf-address", "udp://10.0.0.1:12201")]
    [InlineData("splunk", "splunk-url", "https://x")]
    [InlineData("awslogs", "awslogs-group", "x")]
    [InlineData("JSON-FILE", "max-size", "1m")]                              // names are exact, like the engine's
    [InlineData("journald", "tag", "x")]
    public void Drivers_outside_the_allowlist_are_refused(string driver, string key, string value) =>
        Assert.Equal(["logging.driver"], Fields(driver, new() { [key] = value }));

    [Theory]
    [InlineData("json-file", "max-size", "10m")]
    [InlineData("json-file", "max-file", "3")]
    [InlineData("local", "compress", "true")]
    [InlineData("none", null, null)]
    public void Default_drivers_with_their_own_options_pass(string driver, string? key, string? value) =>
        Assert.Empty(Fields(driver, key is null ? [] : new() { [key] = value! }));

    [Theory]
    [InlineData("json-file", "syslog-address")]
    [InlineData("json-file", "fluentd-address")]
    [InlineData("local", "tag")]
    [InlineData("local", "labels")]
    [InlineData("none", "max-size")]
    [InlineData("json-file", "Max-Size")]
    public void Options_of_another_driver_are_refused(string driver, string key) =>
        Assert.Equal([$"logging.options.{key}"], Fields(driver, new() { [key] = "x" }));

    [Fact]
    public void Configuration_can_allow_a_driver_which_then_takes_its_own_keys_only()
    {
        var policy = new SecurityOptions { AllowedLogDrivers = ["json-file", "syslog"] };
        Assert.Empty(Fields("syslog", new() { ["syslog-address"] = "udp://logs.local:514", ["tag"] = "web" }, policy));
        Assert.Equal(["logging.options.fluentd-address"], Fields("syslog", new() { ["fluentd-address"] = "x" }, policy));
        Assert.Equal(["logging.driver"], Fields("local", [], policy)); // the list replaces the default
    }
}
