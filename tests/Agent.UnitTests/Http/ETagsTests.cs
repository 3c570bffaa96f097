using Agent.Http;
using Microsoft.Extensions.Primitives;

namespace Agent.UnitTests.Http;

public sealed class ETagsTests
{
    private const string Tag = "\"0a1b2c\"";

    [Theory]
    [InlineData("\"0a1b2c\"")]
    [InlineData("W/\"0a1b2c\"")]
    [InlineData("\"other\", \"0a1b2c\"")]
    [InlineData("*")]
    public void If_none_match_matches_the_tag_weakly_in_a_list_or_star(string header) =>
        Assert.True(ETags.Match(new StringValues(header), Tag));

    [Theory]
    [InlineData("")]
    [InlineData("\"0a1b2d\"")]
    [InlineData("0a1b2c")]
    [InlineData("\"0a1b2c")]
    public void Another_or_malformed_tag_does_not_match(string header) =>
        Assert.False(ETags.Match(new StringValues(header), Tag));

    [Fact]
    public void No_header_does_not_match() => Assert.False(ETags.Match(StringValues.Empty, Tag));
}
