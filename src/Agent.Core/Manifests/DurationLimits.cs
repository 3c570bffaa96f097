namespace Agent.Core.Manifests;

/// <summary>
/// The longest duration each kind of field takes (probe-15j M4: 99999999h overflowed the time arithmetic at every step:
/// an update stuck with its -next container, Jobs that never ran). Every manifest and request duration is read with one
/// of these as its bound, so a value past it is an error at its field.
/// </summary>
public static class DurationLimits
{
    /// <summary>The engine's own fields (healthcheck interval, timeout, startPeriod) are int64 nanoseconds: about 292 years.</summary>
    public static readonly TimeSpan Engine = TimeSpan.FromHours(2562047);

    /// <summary>The agent's timers (healthTimeout, stopGracePeriod, activeDeadline, ttlAfterFinished, @every, git interval and
    /// timeout, a run's waitFor timeout): int32 seconds like Kubernetes' activeDeadlineSeconds and ttlSecondsAfterFinished, about 68 years.</summary>
    public static readonly TimeSpan Agent = TimeSpan.FromSeconds(int.MaxValue);

    /// <summary>The error for a duration past <paramref name="max"/>.</summary>
    public static string TooLong(string text, TimeSpan max) =>
        $"{YamlCursor.Quote(text)} is longer than the longest this field takes, {Describe(max)}";

    public static string Describe(TimeSpan max) =>
        max == Engine ? "2562047h (the engine's limit: int64 nanoseconds)"
        : max == Agent ? "2147483647s (596523h, about 68 years)"
        : Durations.Format(max);
}
