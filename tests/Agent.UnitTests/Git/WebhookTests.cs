using System.Security.Cryptography;
using System.Text;
using Agent.Core.Git;

namespace Agent.UnitTests.Git;

public sealed class WebhookTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("s3cret-hook");
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"ref":"refs/heads/main","after":"abc"}""");
    private static string Mac(byte[] secret) => Convert.ToHexStringLower(HMACSHA256.HashData(secret, Body));

    private static string? Verify(string header, string value, out string error) =>
        Webhooks.Verify(h => string.Equals(h, header, StringComparison.OrdinalIgnoreCase) ? value : null, Body, Secret, out error);

    [Fact]
    public void GitHub_Gitea_and_GitLab_signatures_are_accepted() {
        Assert.Equal("github", Verify(Webhooks.GitHubHeader, "sha256=" + Mac(Secret), out _));
        Assert.Equal("gitea", Verify(Webhooks.GiteaHeader, Mac(Secret), out _));
        Assert.Equal("gitlab", Verify(Webhooks.GitLabHeader, "s3cret-hook", out _));
    }

    [Theory]
    [InlineData(Webhooks.GitHubHeader, "sha256=00")]
    [InlineData(Webhooks.GitHubHeader, "sha1=abc")]
    [InlineData(Webhooks.GiteaHeader, "not-hex")]
    [InlineData(Webhooks.GitLabHeader, "s3cret-hoo")]
    [InlineData("X-Other", "x")]
    public void A_wrong_or_missing_signature_is_refused(string header, string value)
    {
        Assert.Null(Verify(header, value, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void A_signature_made_with_another_secret_is_refused() =>
        Assert.Null(Verify(Webhooks.GitHubHeader, "sha256=" + Mac(Encoding.UTF8.GetBytes("other")), out _));

    [Fact]
    public void The_pushed_ref_is_read_from_the_body()
    {
        Assert.Equal("refs/heads/main", Webhooks.PushRef(Body));
        Assert.Null(Webhooks.PushRef(Encoding.UTF8.GetBytes("""{"zen":"ping"}""")));
        Assert.Null(Webhooks.PushRef(Encoding.UTF8.GetBytes("not json")));
    }
}
