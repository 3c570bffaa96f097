namespace Agent.Core;

/// <summary>
/// Time plus a duration that stops at the ends of the range instead of throwing (defence in depth behind
/// <see cref="Manifests.DurationLimits"/>: no path that adds a configured duration to a time can throw or wrap),
/// and delays clamped to what .NET timers take (about 49.7 days).
/// </summary>
public static class SaturatingTime
{
    /// <summary>The longest delay a timer, Task.Delay or CancelAfter takes (uint.MaxValue - 1 milliseconds).</summary>
    public static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1.0);

    public static DateTimeOffset Plus(this DateTimeOffset time, TimeSpan duration)
    {
        // Both the UTC and the clock time must stay in range.
        var latest = DateTimeOffset.MaxValue.UtcTicks - Math.Max(time.UtcTicks, time.Ticks);
        var earliest = DateTimeOffset.MinValue.UtcTicks - Math.Min(time.UtcTicks, time.Ticks);
        if (duration.Ticks > latest) return DateTimeOffset.MaxValue;
        if (duration.Ticks < earliest) return DateTimeOffset.MinValue;
        return time + duration;
    }

    public static DateTime Plus(this DateTime time, TimeSpan duration)
    {
        if (duration.Ticks > DateTime.MaxValue.Ticks - time.Ticks) return DateTime.MaxValue;
        if (duration.Ticks < DateTime.MinValue.Ticks - time.Ticks) return DateTime.MinValue;
        return time + duration;
    }

    public static TimeSpan Plus(this TimeSpan a, TimeSpan b)
    {
        if (b > TimeSpan.Zero && a.Ticks > TimeSpan.MaxValue.Ticks - b.Ticks) return TimeSpan.MaxValue;
        if (b < TimeSpan.Zero && a.Ticks < TimeSpan.MinValue.Ticks - b.Ticks) return TimeSpan.MinValue;
        return a + b;
    }

    /// <summary>A delay a timer takes: negative is 0, longer than <see cref="LongestTimer"/> is that (the caller looks again then).</summary>
    public static TimeSpan TimerDelay(TimeSpan delay) =>
        delay < TimeSpan.Zero ? TimeSpan.Zero : delay > LongestTimer ? LongestTimer : delay;
}
