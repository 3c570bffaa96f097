using Agent.Core.Model;

namespace Agent.UnitTests.Jobs;

public sealed class CronScheduleTests
{
    private static readonly TimeZoneInfo Berlin = CronSchedule.Zone("Europe/Berlin")!;

    private static CronSchedule Parse(string text) => CronSchedule.TryParse(text, out var error) ?? throw new InvalidOperationException(error);

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text + "Z", System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("*/5 * * * *", "2026-01-01T00:03:00", "2026-01-01T00:05:00")]
    [InlineData("*/10 * * * * *", "2026-01-01T00:00:03", "2026-01-01T00:00:10")]
    [InlineData("@hourly", "2026-01-01T00:03:00", "2026-01-01T01:00:00")]
    [InlineData("@daily", "2026-01-01T00:03:00", "2026-01-02T00:00:00")]
    [InlineData("@weekly", "2026-01-01T00:03:00", "2026-01-04T00:00:00")]
    [InlineData("@monthly", "2026-01-01T00:03:00", "2026-02-01T00:00:00")]
    [InlineData("@yearly", "2026-01-01T00:03:00", "2027-01-01T00:00:00")]
    [InlineData("@every 30s", "2026-01-01T00:00:31", "2026-01-01T00:01:00")]
    [InlineData("@every 1m30s", "1970-01-01T00:00:00", "1970-01-01T00:01:30")]
    public void Five_six_fields_macros_and_every_give_the_next_time_in_utc(string schedule, string after, string expected) =>
        Assert.Equal(Utc(expected), Parse(schedule).Next(Utc(after), TimeZoneInfo.Utc));

    [Theory]
    [InlineData("* * * *", "has 4 field(s)")]
    [InlineData("* * * * * * *", "has 7 field(s)")]
    [InlineData("61 * * * *", "not a valid cron expression: its minute field (0-59) is \"61\"")]
    [InlineData("0 24 * * *", "its hour field (0-23) is \"24\"")]
    [InlineData("0 0 * 13 *", "its month field (1-12, JAN-DEC) is \"13\"")]
    [InlineData("0 0 * * MONDAY", "its day of week field (0-7, SUN-SAT, L, #) is \"MONDAY\"")]
    [InlineData("60 0 0 * * *", "its second field (0-59) is \"60\"")]
    [InlineData("5-1 * * * *", "the range \"5-1\" begins (5) beyond its end (1)")]
    [InlineData("0 0 * * FRI-MON", "the range \"FRI-MON\" begins (FRI) beyond its end (MON)")]
    [InlineData("*/0 * * * *", "step 0 in \"*/0\"")]
    [InlineData("CRON_TZ=UTC 0 * * * *", "set timeZone instead")]
    [InlineData("@every 500ms", "whole number of seconds")]
    [InlineData("@every soon", "whole number of seconds")]
    [InlineData("@fortnightly", "not a known macro")]
    [InlineData("0 0 30 2 *", "never fires: no date matches it")]
    [InlineData("0 0 31 4,6,9,11 *", "never fires")]
    public void Malformed_schedules_are_refused_with_a_reason(string schedule, string reason)
    {
        Assert.Null(CronSchedule.TryParse(schedule, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void A_time_in_the_spring_gap_runs_at_the_end_of_the_gap()
    {
        // Europe/Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that night.
        var next = Parse("30 2 * * *").Next(Utc("2026-03-28T12:00:00"), Berlin);
        Assert.Equal(Utc("2026-03-29T01:00:00"), next);
        Assert.Equal(TimeSpan.FromHours(2), next!.Value.Offset);
        Assert.Equal(Utc("2026-03-30T00:30:00"), Parse("30 2 * * *").Next(next.Value, Berlin));
    }

    [Fact]
    public void A_fixed_time_in_the_autumn_overlap_runs_once_and_an_interval_runs_in_both_hours()
    {
        // Europe/Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:00-03:00 happens twice.
        var (daily, dailyCount) = Parse("30 2 * * *").Between(Utc("2026-10-24T12:00:00"), Utc("2026-10-25T12:00:00"), Berlin, limit: 5);
        Assert.Equal(1, dailyCount);
        Assert.Equal(Utc("2026-10-25T00:30:00"), daily[0]);
        var (_, halfHourly) = Parse("*/30 * * * *").Between(Utc("2026-10-24T23:59:00"), Utc("2026-10-25T02:00:00"), Berlin, limit: 10);
        Assert.Equal(5, halfHourly); // 02:00, 02:30 CEST, 02:00, 02:30 CET, 03:00 CET
    }

    [Fact]
    public void Month_ends_run_only_where_the_day_exists_and_L_is_the_last_day()
    {
        Assert.Equal(Utc("2026-03-31T00:00:00"), Parse("0 0 31 * *").Next(Utc("2026-01-31T00:00:00"), TimeZoneInfo.Utc));
        Assert.Equal(Utc("2026-02-28T00:00:00"), Parse("0 0 L * *").Next(Utc("2026-01-31T00:00:00"), TimeZoneInfo.Utc));
        Assert.Equal(Utc("2028-02-29T00:00:00"), Parse("0 0 L 2 *").Next(Utc("2027-03-01T00:00:00"), TimeZoneInfo.Utc));
    }

    [Fact]
    public void A_leap_day_schedule_waits_for_the_next_leap_year()
    {
        Assert.Equal(Utc("2028-02-29T00:00:00"), Parse("0 0 29 2 *").Next(Utc("2026-03-01T00:00:00"), TimeZoneInfo.Utc));
        var (_, count) = Parse("0 0 29 2 *").Between(Utc("2024-03-01T00:00:00"), Utc("2032-03-01T00:00:00"), TimeZoneInfo.Utc);
        Assert.Equal(2, count);
    }

    [Fact]
    public void Between_counts_every_time_and_keeps_only_the_latest()
    {
        var (latest, count) = Parse("*/1 * * * * *").Between(Utc("2026-01-01T00:00:00"), Utc("2026-01-01T01:00:00"), TimeZoneInfo.Utc, limit: 1);
        Assert.Equal(3600, count);
        Assert.Equal(Utc("2026-01-01T01:00:00"), Assert.Single(latest));
        var (every, everyCount) = Parse("@every 10s").Between(Utc("2026-01-01T00:00:05"), Utc("2026-01-01T00:01:00"), TimeZoneInfo.Utc, limit: 2);
        Assert.Equal(6, everyCount);
        Assert.Equal([Utc("2026-01-01T00:00:50"), Utc("2026-01-01T00:01:00")], every);
    }
}
