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

    [Theory]
    [InlineData("refs/heads/main", true)]
    [InlineData("refs/heads/dev", false)]
    [InlineData("refs/tags/v1.0.0", false)]
    public void A_branch_moves_only_with_a_push_to_itself(string pushed, bool moves) =>
        Assert.Equal(moves, new Agent.Core.Model.GitRef(Branch: "main").MovesWith(pushed));

    [Theory]
    [InlineData("refs/tags/v1.4.2", true)]
    [InlineData("refs/tags/1.0.0", true)]
    [InlineData("refs/tags/v2.0.0", false)]   // out of the range
    [InlineData("refs/tags/latest", false)]   // not a version
    [InlineData("refs/heads/main", false)]    // a branch never moves a semver ref
    public void A_semver_range_moves_only_with_a_push_of_a_tag_in_the_range(string pushed, bool moves) =>
        Assert.Equal(moves, new Agent.Core.Model.GitRef(Semver: ">=1.0.0 <2.0.0").MovesWith(pushed));
}
