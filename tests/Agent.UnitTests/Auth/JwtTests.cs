using System.Text;
using Agent.Auth;

namespace Agent.UnitTests.Auth;

public sealed class JwtTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("a-signing-key-of-enough-length-0123456789");
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_signed_token_yields_its_role() =>
        Assert.Equal("operator", Jwt.ValidateRole(Jwt.Create("operator", Key, Now.AddMinutes(5)), Key, Now));

    [Fact]
    public void Expired_tokens_wrong_keys_tampered_payloads_and_unknown_roles_yield_nothing()
    {
        Assert.Null(Jwt.ValidateRole(Jwt.Create("admin", Key, Now.AddMinutes(-1)), Key, Now));
        Assert.Null(Jwt.ValidateRole(Jwt.Create("admin", Key, Now.AddMinutes(5)), Encoding.UTF8.GetBytes("another-key-entirely-0123456789"), Now));
        var parts = Jwt.Create("viewer", Key, Now.AddMinutes(5)).Split('.');
        var admin = Jwt.Create("admin", Key, Now.AddMinutes(5)).Split('.');
        Assert.Null(Jwt.ValidateRole($"{parts[0]}.{admin[1]}.{parts[2]}", Key, Now));
        Assert.Null(Jwt.ValidateRole(Jwt.Create("root", Key, Now.AddMinutes(5)), Key, Now));
        Assert.Null(Jwt.ValidateRole("not.a.jwt", Key, Now));
    }

    [Fact]
    public void A_token_without_exp_or_living_longer_than_the_maximum_is_refused()
    {
        var now = Now.ToUnixTimeSeconds();
        Assert.Null(Jwt.ValidateRole(Jwt.CreateWithPayload("{\"role\":\"admin\"}", Key), Key, Now));
        Assert.Null(Jwt.ValidateRole(Jwt.Create("admin", Key, Now.AddDays(2)), Key, Now));
        Assert.Equal("admin", Jwt.ValidateRole(Jwt.Create("admin", Key, Now.AddDays(2)), Key, Now, maxLifetime: TimeSpan.FromDays(3)));
        Assert.Null(Jwt.ValidateRole(Jwt.CreateWithPayload($"{{\"role\":\"admin\",\"iat\":{now - 7200},\"exp\":{now + 60}}}", Key), Key, Now, maxLifetime: TimeSpan.FromHours(1)));
        Assert.Equal("viewer", Jwt.ValidateRole(Jwt.CreateWithPayload($"{{\"role\":\"viewer\",\"iat\":{now - 600},\"exp\":{now + 60}}}", Key), Key, Now, maxLifetime: TimeSpan.FromHours(1)));
    }

    [Fact]
    public void Alg_none_is_refused()
    {
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Null(Jwt.ValidateRole($"{B64("{\"alg\":\"none\"}")}.{B64("{\"role\":\"admin\"}")}.", Key, Now));
    }

    [Theory]
    [InlineData("{\"role\":\"viewer\",\"role\":\"admin\",\"exp\":EXP}")]
    [InlineData("{\"role\":\"admin\",\"role\":\"viewer\",\"exp\":EXP}")]
    [InlineData("{\"role\":\"viewer\",\"Role\":\"admin\",\"exp\":EXP}")]
    [InlineData("{\"role\":\"admin\",\"exp\":EXP,\"exp\":EXP}")]
    [InlineData("{\"role\":\"admin\",\"groups\":\"web\",\"groups\":\"*\",\"exp\":EXP}")]
    [InlineData("[\"role\",\"admin\"]")]
    public void A_claim_given_twice_is_refused_whichever_value_comes_last(string claims)
    {
        var payload = claims.Replace("EXP", Now.AddMinutes(5).ToUnixTimeSeconds().ToString());
        Assert.Null(Jwt.Validate(Jwt.CreateWithPayload(payload, Key), Key, Now));
        // The same token with each claim once is valid: only the repetition refuses it.
        Assert.Equal("viewer", Jwt.ValidateRole(Jwt.CreateWithPayload($"{{\"role\":\"viewer\",\"exp\":{Now.AddMinutes(5).ToUnixTimeSeconds()}}}", Key), Key, Now));
    }

    [Theory]
    [InlineData("\"Groups\":\"web\"")]
    [InlineData("\"group\":\"web\"")]
    [InlineData("\"PHASES\":[\"core\"]")]
    [InlineData("\"phase\":\"core\"")]
    [InlineData("\"groups\":\"web,\"")]
    [InlineData("\"groups\":[\"web\",\"\"]")]
    [InlineData("\"groups \":\"web\"")]
    [InlineData("\" groups\":\"web\"")]
    [InlineData("\"groups\\u200b\":\"web\"")]
    [InlineData("\"groups\\u0000\":\"web\"")]
    [InlineData("\"\uff47roups\":\"web\"")]
    [InlineData("\"group\u017f\":\"web\"")]
    [InlineData("\"groupz\":\"web\"")]
    [InlineData("\"groups_\":\"web\"")]
    [InlineData("\"grps\":\"web\"")]
    [InlineData("\"phasez\":[\"core\"]")]
    public void A_scope_claim_spelt_otherwise_or_with_an_empty_value_refuses_the_token_rather_than_widen_it(string claim)
    {
        // probe-63 M1: "Groups" or "group" was no scope claim at all, so the token acted on every group.
        var exp = Now.AddMinutes(5).ToUnixTimeSeconds();
        Assert.Null(Jwt.Validate(Jwt.CreateWithPayload($"{{\"role\":\"operator\",{claim},\"exp\":{exp}}}", Key), Key, Now));
        var scoped = Jwt.Validate(Jwt.CreateWithPayload($"{{\"role\":\"operator\",\"groups\":\"web\",\"scope\":\"openid\",\"exp\":{exp}}}", Key), Key, Now);
        Assert.Equal(["web"], scoped!.Scope.Groups!); // an OAuth scope claim is no agent scope and refuses nothing
    }

    [Fact]
    public void A_token_that_expires_before_it_was_issued_is_refused()
    {
        var now = Now.ToUnixTimeSeconds();
        Assert.Null(Jwt.Validate(Jwt.CreateWithPayload($"{{\"role\":\"admin\",\"iat\":{now + 3000},\"exp\":{now + 600}}}", Key), Key, Now));
        Assert.NotNull(Jwt.Validate(Jwt.CreateWithPayload($"{{\"role\":\"admin\",\"iat\":{now - 10},\"exp\":{now + 600}}}", Key), Key, Now));
    }

    [Fact]
    public void A_header_field_given_twice_is_refused()
    {
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var valid = Jwt.Create("admin", Key, Now.AddMinutes(5)).Split('.');
        var header = B64("{\"alg\":\"none\",\"alg\":\"HS256\",\"typ\":\"JWT\"}");
        var signature = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(Key, Encoding.ASCII.GetBytes(header + "." + valid[1])))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Null(Jwt.ValidateRole($"{header}.{valid[1]}.{signature}", Key, Now));
    }

    [Theory]
    [InlineData("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"crit\":[\"exp\"]}")]
    [InlineData("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"crit\":[\"b64\"],\"b64\":false}")]
    [InlineData("{\"alg\":\"HS256\",\"crit\":[]}")]
    [InlineData("{\"alg\":\"HS256\",\"crit\":\"x\"}")]
    public void A_correctly_signed_token_whose_header_has_crit_is_refused(string headerJson)
    {
        // RFC 7515 4.1.11: the agent understands no JWS extension, so it must refuse a token naming any as critical.
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var payload = B64($"{{\"role\":\"admin\",\"exp\":{Now.AddMinutes(5).ToUnixTimeSeconds()}}}");
        string Signed(string header) => $"{header}.{payload}." + Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(Key, Encoding.ASCII.GetBytes(header + "." + payload)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Null(Jwt.Validate(Signed(B64(headerJson)), Key, Now));
        // The same token without crit is valid: only crit refuses it.
        Assert.Equal("admin", Jwt.ValidateRole(Signed(B64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}")), Key, Now));
    }

    [Theory]
    [InlineData("viewer", new[] { "viewer", "operator", "admin" })]
    [InlineData("operator", new[] { "operator", "admin" })]
    [InlineData("admin", new[] { "admin" })]
    public void Roles_include_the_ones_below(string required, string[] satisfying) =>
        Assert.Equal(satisfying, Roles.AtLeast(required));
}
