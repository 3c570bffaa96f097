using Agent.Cli.Client;
using Agent.Hosting;

namespace Agent.UnitTests.Hosting;

public sealed class InstanceIdentityTests : IDisposable
{
    private readonly string stateDir = Path.Combine(Path.GetTempPath(), "agent-instance-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void A_configured_instance_is_remembered_in_a_new_state_dir_so_client_commands_given_only_the_state_dir_agree()
    {
        Assert.Equal("edge-1", InstanceIdentity.Resolve(new AgentOptions { StateDir = stateDir, Instance = "edge-1" }));
        Assert.Equal("edge-1", InstanceIdentity.Resolve(new AgentOptions { StateDir = stateDir }));
    }

    [Fact]
    public void A_configured_instance_never_replaces_the_one_a_state_dir_holds()
    {
        var first = InstanceIdentity.Resolve(new AgentOptions { StateDir = stateDir });
        Assert.Equal("other", InstanceIdentity.Resolve(new AgentOptions { StateDir = stateDir, Instance = "other" }));
        Assert.Equal(first, InstanceIdentity.Resolve(new AgentOptions { StateDir = stateDir }));
    }

    [Theory]
    [InlineData("admin-token\nviewer-token")]
    [InlineData("a b")]
    [InlineData("tok\0en")]
    public void A_token_with_a_line_break_space_or_control_character_is_refused_with_what_to_change(string value)
    {
        var error = Assert.Throws<AgentApiException>(() => AgentClient.CheckedToken(value));
        Assert.Contains("set it to a single token", error.Message);
    }

    [Fact]
    public void A_token_with_surrounding_whitespace_is_trimmed() => Assert.Equal("abc", AgentClient.CheckedToken("  abc\n"));

    public void Dispose()
    {
        if (Directory.Exists(stateDir)) Directory.Delete(stateDir, recursive: true);
    }
}
