using Agent.Http;

namespace Agent.UnitTests.Http;

/// <summary>probe-17 F6: a viewer read `|1 NPM_TOKEN=EnvSecret-p17-QQQ /bin/sh -c ...` through GET /images/{ref}/history.</summary>
public sealed class HistoryRedactionTests
{
    [Theory]
    [InlineData("|1 NPM_TOKEN=EnvSecret-QQQ /bin/sh -c echo built >/dev/null", "|1 NPM_TOKEN=<redacted> /bin/sh -c echo built >/dev/null")]
    [InlineData("|2 A=x=y VERSION=1 /bin/sh -c make", "|2 A=<redacted> VERSION=<redacted> /bin/sh -c make")]
    [InlineData("|1 A= /bin/sh -c true", "|1 A=<redacted> /bin/sh -c true")]
    [InlineData("|1 A=/bin/sh -c QQQ /bin/sh -c make", "|1 <redacted> (build args and command)")]
    [InlineData("|1 TOKEN=QQQ /bin/sh -c sh -c '/bin/sh -c x'", "|1 <redacted> (build args and command)")]
    // A value with a space, or an exec-form RUN: the words cannot be told apart, so all of it goes.
    [InlineData("|1 TOKEN=two words /bin/sh -c true", "|1 <redacted> (build args and command)")]
    [InlineData("|1 TOKEN=abc echo hi", "|1 <redacted> (build args and command)")]
    // Steps without build args are unchanged.
    [InlineData("/bin/sh -c #(nop)  ARG NPM_TOKEN", "/bin/sh -c #(nop)  ARG NPM_TOKEN")]
    [InlineData("/bin/sh -c echo |1 x", "/bin/sh -c echo |1 x")]
    [InlineData("", "")]
    // An ENV step (a build arg copied into the environment: ARG TOKEN, ENV T=$TOKEN) shows names only.
    [InlineData("/bin/sh -c #(nop)  ENV T=TOKEN-QQQ", "/bin/sh -c #(nop)  ENV T=<redacted>")]
    [InlineData("/bin/sh -c #(nop)  ENV A=1 TOKEN=QQQ two", "/bin/sh -c #(nop)  ENV A=<redacted> TOKEN=<redacted>")]
    [InlineData("/bin/sh -c #(nop)  ENV TOKEN QQQ and more", "/bin/sh -c #(nop)  ENV TOKEN <redacted>")]
    public void Build_arg_values_in_created_by_are_redacted(string createdBy, string shown)
    {
        Assert.Equal(shown, HistoryRedaction.CreatedBy(createdBy));
        if (createdBy.Contains("TOKEN", StringComparison.Ordinal))
            Assert.DoesNotContain("QQQ", HistoryRedaction.CreatedBy(createdBy));
    }
}
