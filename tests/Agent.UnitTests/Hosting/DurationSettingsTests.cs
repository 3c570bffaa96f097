using Agent.Cli;
using Agent.Core.Manifests;
using Agent.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Agent.UnitTests.Hosting;

/// <summary>One duration syntax for the CLI, settings and API queries; comma lists in list settings.</summary>
public sealed class DurationSettingsTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("90s", 90_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("00:05:00", 300_000)]
    [InlineData("30", 30_000)]
    [InlineData(" 2m ", 120_000)]
    public void Durations_take_the_manifest_syntax_seconds_and_clock_form(string text, int milliseconds)
    {
        Assert.True(Durations.TryParse(text, out var d));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), d);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("5 minutes")]
    [InlineData("-5s")]
    [InlineData("99999999999999999999")]
    public void Anything_else_is_not_a_duration(string text) => Assert.False(Durations.TryParse(text, out _));

    [Fact]
    public void Settings_bind_manifest_durations_and_comma_lists()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agent:ResyncInterval"] = "90s",
            ["Agent:UnhealthyGrace"] = "1h30m",
            ["Agent:LivenessStall"] = "00:02:00",
            ["Agent:Auth:RateLimitWindow"] = "500ms",
            ["Agent:Security:AllowedImages:0"] = "busybox:*, nginx:1.27",
            ["Agent:Auth:CorsOrigins:0"] = "http://a.example,http://b.example",
        }).Build();
        var services = new ServiceCollection().AddAgent(configuration).BuildServiceProvider();
        var options = services.GetRequiredService<IOptions<AgentOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(90), options.ResyncInterval);
        Assert.Equal(TimeSpan.FromMinutes(90), options.UnhealthyGrace);
        Assert.Equal(TimeSpan.FromMinutes(2), options.LivenessStall);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.Auth.RateLimitWindow);
        Assert.Equal(["busybox:*", "nginx:1.27"], options.Security.AllowedImages);
        Assert.Equal(["http://a.example", "http://b.example"], options.Auth.CorsOrigins);
    }

    [Theory]
    [InlineData("busybox:*,nginx:1.27", new[] { "busybox:*", "nginx:1.27" })]
    [InlineData("busybox:*", new[] { "busybox:*" })]
    [InlineData(" busybox:* , nginx:1.27 ", new[] { "busybox:*", "nginx:1.27" })]
    public void A_list_setting_takes_one_comma_list_value_as_an_environment_variable_gives_it(string value, string[] expected)
    {
        // AGENT_Agent__Security__AllowedImages=busybox:*,nginx:1.27 arrives as one value at the list's own key.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agent:Security:AllowedImages"] = value,
            ["Agent:Security:AllowedLogDrivers"] = "local",
            ["Agent:Auth:CorsOrigins"] = "http://a.example,http://b.example",
        }).Build();
        var daemon = new ServiceCollection().AddAgent(configuration).BuildServiceProvider().GetRequiredService<IOptions<AgentOptions>>().Value;
        Assert.Equal(expected, daemon.Security.AllowedImages);
        Assert.Equal(["local"], daemon.Security.AllowedLogDrivers); // replaces the default list, as the value says
        Assert.Equal(["http://a.example", "http://b.example"], daemon.Auth.CorsOrigins);
        Assert.Equal(expected, daemon.Policy().Options.AllowedImages);

        var section = configuration.GetSection(AgentOptions.Section);
        var client = new AgentOptions();
        section.Bind(client);
        Assert.Equal(expected, CommaLists.Split(client, section).Security.AllowedImages);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" , ")]
    public void A_list_setting_that_holds_no_entry_stops_startup_instead_of_allowing_everything(string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agent:Security:AllowedImages"] = value,
        }).Build();
        var services = new ServiceCollection().AddAgent(configuration).BuildServiceProvider();
        var error = Assert.Throws<SettingsException>(() => services.GetRequiredService<IOptions<AgentOptions>>().Value);
        Assert.Contains("Agent:Security:AllowedImages", error.Message);
    }

    [Fact]
    public void A_bad_duration_on_the_command_line_names_the_option_and_the_syntax()
    {
        var parse = AgentCommandLine.Create().Parse(["apply", "manifests", "--once", "--timeout", "soon"]);
        Assert.NotEmpty(parse.Errors);
        Assert.Contains("--timeout \"soon\" is not a duration", parse.Errors[0].Message);
        Assert.Contains("1h30m", parse.Errors[0].Message);
        var ok = AgentCommandLine.Create().Parse(["apply", "manifests", "--once", "--timeout", "5m"]);
        Assert.Empty(ok.Errors);
    }
}
