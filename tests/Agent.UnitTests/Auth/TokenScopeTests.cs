using System.Text;
using Agent.Auth;
using Agent.Core.Model;

namespace Agent.UnitTests.Auth;

public sealed class TokenScopeTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("a-signing-key-of-enough-length-0123456789");
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static TokenScope Parse(params string[] settings)
    {
        var scope = TokenScope.Parse(settings, out var error);
        Assert.Null(error);
        return scope;
    }

    [Fact]
    public void A_phase_scope_allows_objects_of_its_phases_only()
    {
        var scope = Parse("phases=application,support");
        Assert.True(scope.Allows(new ScopedObject("ServiceGroup", "web", Phase.Application)));
        Assert.False(scope.Allows(new ScopedObject("ServiceGroup", "db", Phase.Core)));
        Assert.False(scope.Allows(new ScopedObject("CronJob", "backup", null)));
        Assert.False(scope.Allows(null));
    }

    [Fact]
    public void Phases_and_groups_together_must_both_match()
    {
        var scope = Parse("phases=application", "groups=web");
        Assert.True(scope.Allows(new ScopedObject("ServiceGroup", "web", Phase.Application)));
        Assert.False(scope.Allows(new ScopedObject("ServiceGroup", "api", Phase.Application)));
        Assert.False(scope.Allows(new ScopedObject("ServiceGroup", "web", Phase.Core)));
        Assert.Equal("phases=application groups=web", scope.ToString());
    }

    [Fact]
    public void A_group_scope_covers_jobs_by_name_and_no_scope_covers_everything()
    {
        Assert.True(Parse("groups=backup").Allows(new ScopedObject("CronJob", "backup", null)));
        Assert.True(TokenScope.Unrestricted.Allows(null));
    }

    [Theory]
    [InlineData("phases=prod", "prod is not a phase")]
    [InlineData("namespaces=a", "\"namespaces\" is not a scope")]
    [InlineData("groups=", "at least one value")]
    [InlineData("groups=web,", "an empty value between commas")]
    [InlineData("phases=core,,support", "an empty value between commas")]
    [InlineData("groups=web,NOPE!", "groups: \"NOPE!\" is not an object name")]
    [InlineData("groups=Web", "groups: \"Web\" is not an object name")]
    [InlineData("groups=-web", "is not an object name")]
    public void A_bad_scope_names_what_is_wrong(string setting, string expected)
    {
        TokenScope.Parse([setting], out var error);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void A_tokens_file_line_repeating_a_scope_stops_the_agent_naming_the_line_and_the_key()
    {
        var dir = Directory.CreateTempSubdirectory("agent-tokens-");
        try
        {
            var file = Path.Combine(dir.FullName, "tokens");
            File.WriteAllText(file, "admin:0123456789abcdef0123\noperator:0123456789abcdef4567 groups=web groups=shop\n");
            var options = Microsoft.Extensions.Options.Options.Create(new Agent.Hosting.AgentOptions { StateDir = dir.FullName, Auth = new() { TokensFile = file } });
            var e = Assert.Throws<InvalidOperationException>(() => new TokenStore(options, Microsoft.Extensions.Logging.Abstractions.NullLogger<TokenStore>.Instance));
            Assert.Equal($"{file}:2: groups is given twice on the line: list every value once (groups=a,b)", e.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Jwt_scope_claims_become_the_credentials_scope()
    {
        var token = Jwt.CreateWithPayload($"{{\"role\":\"operator\",\"exp\":{Now.AddMinutes(5).ToUnixTimeSeconds()},\"phases\":[\"application\"],\"groups\":\"web,api\"}}", Key);
        var credential = Jwt.Validate(token, Key, Now);
        Assert.NotNull(credential);
        Assert.Equal("operator", credential.Role);
        Assert.Equal("phases=application groups=api,web", credential.Scope.ToString());
    }

    [Fact]
    public void A_jwt_with_an_invalid_scope_claim_is_refused()
    {
        var token = Jwt.CreateWithPayload($"{{\"role\":\"operator\",\"exp\":{Now.AddMinutes(5).ToUnixTimeSeconds()},\"phases\":[\"prod\"]}}", Key);
        Assert.Null(Jwt.Validate(token, Key, Now));
    }

    [Theory]
    [InlineData("\"groups\":\"NOPE!\"")]
    [InlineData("\"groups\":[\"web\",\"NOPE!\"]")]
    [InlineData("\"groups\":[\"web\",7]")]
    [InlineData("\"groups\":{\"web\":true}")]
    [InlineData("\"groups\":\"\"")]
    [InlineData("\"phases\":\"core\",\"groups\":\"Web\"")]
    public void A_jwt_whose_groups_claim_is_not_object_names_is_refused(string claim)
    {
        var token = Jwt.CreateWithPayload($"{{\"role\":\"operator\",\"exp\":{Now.AddMinutes(5).ToUnixTimeSeconds()},{claim}}}", Key);
        Assert.Null(Jwt.Validate(token, Key, Now));
        Assert.NotNull(Jwt.Validate(Jwt.CreateWithPayload($"{{\"role\":\"operator\",\"exp\":{Now.AddMinutes(5).ToUnixTimeSeconds()},\"groups\":[\"web\",\"shop-2\"]}}", Key), Key, Now));
    }
}
