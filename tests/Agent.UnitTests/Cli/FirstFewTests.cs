using Agent.Cli.Client;

namespace Agent.UnitTests.Cli;

/// <summary>probe-42 F5: `agent network ls` printed all 150 container names in one cell and padded every row to it.</summary>
public sealed class FirstFewTests
{
    [Fact]
    public void A_short_list_is_printed_whole() => Assert.Equal("a,b,c", ResourceViews.FirstFew(["a", "b", "c"]));

    [Fact]
    public void A_long_list_shows_its_first_names_and_how_many_more()
    {
        var names = Enumerable.Range(1, 150).Select(i => $"g-s-{i}");
        Assert.Equal("g-s-1,g-s-2,g-s-3 + 147 more...", ResourceViews.FirstFew(names));
    }

    [Fact]
    public void None_is_an_empty_cell() => Assert.Equal("", ResourceViews.FirstFew([]));
}
