using Agent.Engine;

namespace Agent.UnitTests.Engine;

/// <summary>A prune's until filter reads as Docker reads it: a Go duration before now, a Unix timestamp, an RFC 3339 time.</summary>
public sealed class PruneUntilTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("24h", 24 * 3600)]
    [InlineData("90m", 90 * 60)]
    [InlineData("1h30m", 90 * 60)]
    [InlineData("1.5h", 90 * 60)]
    [InlineData("45s", 45)]
    [InlineData("1500ms", 1.5)]
    public void A_duration_counts_back_from_now(string value, double seconds) =>
        Assert.Equal(Now - TimeSpan.FromSeconds(seconds), PruneUntil.Cutoff(value, Now));

    [Fact]
    public void A_unix_timestamp_and_an_rfc_3339_time_name_that_moment()
    {
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), PruneUntil.Cutoff("1700000000", Now));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_500), PruneUntil.Cutoff("1700000000.5", Now));
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), PruneUntil.Cutoff("2026-01-02T03:04:05Z", Now));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("24x")]
    [InlineData("-5h")]
    [InlineData("")]
    [InlineData("99999999999999999999")]
    public void Anything_else_names_no_time(string value) => Assert.Null(PruneUntil.Cutoff(value, Now));
}
