using Agent.Core.Security;

namespace Agent.UnitTests.Security;

/// <summary>Docker's reference grammar: what the engine refuses is named before it is asked.</summary>
public sealed class ImageReferenceSyntaxTests
{
    [Theory]
    [InlineData("busybox")]
    [InlineData("busybox:1.35")]
    [InlineData("library/busybox:latest")]
    [InlineData("docker.io/library/busybox")]
    [InlineData("localhost:5000/ns/app:1.0")]
    [InlineData("Ghcr.IO/org/app:V_1.2-rc")]
    [InlineData("Upper/app")]
    [InlineData("ns/a.b_c__d---e")]
    [InlineData("app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Accepted(string reference) => Assert.Null(ImageReferenceSyntax.Problem(reference));

    [Theory]
    [InlineData("p37yUPPER:1", "repository name must be lowercase")]
    [InlineData("ns/App", "repository name must be lowercase")]
    [InlineData("localhost:5000/Team/app", "repository name must be lowercase")]
    [InlineData("app_", "is not lowercase letters and digits")]
    [InlineData("a...b", "is not lowercase letters and digits")]
    [InlineData("app:.1", "its tag")]
    [InlineData("app@sha256:abc", "its digest")]
    [InlineData("-host.io/app", "its registry")]
    public void Refused(string reference, string why) => Assert.Contains(why, ImageReferenceSyntax.Problem(reference));
}
