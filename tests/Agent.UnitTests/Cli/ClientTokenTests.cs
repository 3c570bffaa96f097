using Agent.Cli.Client;
using Agent.Hosting;

namespace Agent.UnitTests.Cli;

/// <summary>The token the CLI sends when AGENT_TOKEN is not set: one from the tokens file, read as the server reads it.</summary>
public sealed class ClientTokenTests : IDisposable
{
    private readonly string file = Path.Combine(Directory.CreateTempSubdirectory("agent-tokens-").FullName, "tokens");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);

    private string? Resolve(string text)
    {
        File.WriteAllText(file, text);
        Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AGENT_TOKEN")), "AGENT_TOKEN is set in the test's environment");
        return AgentClient.ResolveToken(new AgentOptions { Auth = { TokensFile = file } });
    }

    [Fact]
    public void An_unscoped_token_is_preferred_over_a_stronger_scoped_one_and_scopes_are_never_sent()
    {
        Assert.Equal("operator-token-0123456789",
            Resolve("# team tokens\noperator:operator-token-0123456789\nadmin:scoped-admin-token-01234 groups=web\n"));
    }

    [Fact]
    public void When_every_token_is_scoped_the_strongest_is_sent_without_its_scopes()
    {
        Assert.Equal("scoped-admin-token-01234",
            Resolve("viewer:scoped-viewer-token-0123 phases=core\nadmin:scoped-admin-token-01234   groups=web,db\n"));
    }

    [Fact]
    public void The_strongest_unscoped_role_wins()
    {
        Assert.Equal("admin-token-0123456789ab", Resolve("viewer:viewer-token-0123456789\nadmin:admin-token-0123456789ab\noperator:op-token-0123456789ab\n"));
    }
}
