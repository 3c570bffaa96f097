using Agent.Core.Git;

namespace Agent.UnitTests.Git;

public sealed class StateDirRetryTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 20, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(900_000, 900_000, 10, false)] // nothing changed: the interval does not fetch again
    [InlineData(900_000, 1_500_000, 10, false)] // less than 1 MiB more
    [InlineData(900_000, 900_000 + StateDirRetry.MoreRoom, 10, true)] // room was made
    [InlineData(900_000, 100, 3600, true)] // an hour passed
    public void A_revision_that_did_not_fit_is_fetched_again_only_with_more_room_or_after_an_hour(long freeThen, long freeNow, int secondsLater, bool due) =>
        Assert.Equal(due, StateDirRetry.IsDue(freeThen, freeNow, At, At.AddSeconds(secondsLater)));
}
