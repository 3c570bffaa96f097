using Agent.Core.Git;

namespace Agent.UnitTests.Git;

/// <summary>ref.semver ranges as Flux takes them (Masterminds/npm syntax): which tag is the highest in range.</summary>
public sealed class SemverRangeTests
{
    private static readonly string[] Tags =
        ["v0.9.0", "v1.0.0", "v1.2.0", "v1.2.7", "1.3.0", "v1.10.1", "v2.0.0-rc.1", "v2.0.0", "v2.1.0", "v3.0.0-beta.2", "latest", "v1.2", "release-4"];

    [Theory]
    [InlineData(">=1.0.0 <2.0.0", "v1.10.1")]
    [InlineData(">=1.0.0, <2.0.0", "v1.10.1")]
    [InlineData(">= 1.0.0 < 1.3.0", "v1.2.7")]
    [InlineData("~1.2.0", "v1.2.7")]
    [InlineData("~1.2", "v1.2.7")]
    [InlineData("~1", "v1.10.1")]
    [InlineData("^1.2.0", "v1.10.1")]
    [InlineData("^0.9", "v0.9.0")]
    [InlineData("1.2.x", "v1.2.7")]
    [InlineData("1.x", "v1.10.1")]
    [InlineData("1", "v1.10.1")]
    [InlineData("*", "v2.1.0")]
    [InlineData(">1.2", "v2.1.0")]
    [InlineData("<=1.2", "v1.2.7")]
    [InlineData("<1.2", "v1.0.0")]
    [InlineData("=1.2.0", "v1.2.0")]
    [InlineData("1.2.0 - 1.3", "1.3.0")]
    [InlineData("1.0 - 1.2.3", "v1.2.0")]
    [InlineData(">=1.0.0 !=1.10.1 <2.0.0", "1.3.0")]
    [InlineData("<1.0.0 || >=2.0.0 <2.1.0", "v2.0.0")]
    [InlineData(">=2.0.0-rc.1 <2.0.0", "v2.0.0-rc.1")]
    [InlineData(">=3.0.0-alpha", "v3.0.0-beta.2")]
    [InlineData(">=2.2.0", null)]
    public void The_highest_tag_in_the_range_is_picked(string range, string? expected)
    {
        var parsed = SemverRange.Parse(range, out var error);
        Assert.True(parsed is not null, error);
        Assert.Equal(expected, parsed.Highest(Tags));
    }

    [Fact]
    public void A_pre_release_is_picked_only_when_the_range_names_one_of_the_same_version() =>
        Assert.Equal("v2.1.0", SemverRange.Parse(">=2.0.0-rc.1", out _)!.Highest(["v2.1.0", "v2.2.0-rc.1"]));

    [Theory]
    [InlineData("v1.2.3-rc.1", "v1.2.3-rc.2")]
    [InlineData("1.2.3-alpha", "1.2.3-alpha.1")]
    [InlineData("1.2.3-alpha.2", "1.2.3-alpha.10")]
    [InlineData("1.2.3-1", "1.2.3-alpha")]
    [InlineData("1.2.3-rc.1", "1.2.3")]
    [InlineData("1.2.3", "1.10.0")]
    public void Versions_order_as_semver_says(string lower, string higher) =>
        Assert.True(SemVersion.Parse(lower)!.CompareTo(SemVersion.Parse(higher)) < 0);

    [Theory]
    [InlineData("latest")]
    [InlineData("v1.2")]
    [InlineData("01.2.3")]
    [InlineData("1.2.3-")]
    public void Tags_that_are_not_versions_are_skipped(string tag) => Assert.Null(SemVersion.Parse(tag));

    [Theory]
    [InlineData("banana")]
    [InlineData(">=1.0.0 ||")]
    [InlineData("1.2.3.4")]
    [InlineData("!=1.2")]
    [InlineData(">*")]
    public void A_bad_range_is_an_error(string range)
    {
        Assert.Null(SemverRange.Parse(range, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
