using System.Globalization;

namespace Agent.Core.Manifests;

/// <summary>The one duration syntax of every setting, option and query value: the manifests' (500ms, 90s, 5m, 1h30m),
/// plain seconds (30) where a number is given, and .NET's 00:05:00 for settings written before; at most
/// <see cref="DurationLimits.Agent"/>, like every timer of the agent.</summary>
public static class Durations
{
    public const string Hint = "use a number with a unit (500ms, 90s, 5m, 1h30m)";

    public static bool TryParse(string? text, out TimeSpan duration) => TryParseAnyLength(text, out duration) && duration <= DurationLimits.Agent;

    private static bool TryParseAnyLength(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        if (Quantities.TryParseDuration(text, out duration)) return duration >= TimeSpan.Zero;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= (long)TimeSpan.MaxValue.TotalSeconds)
        {
            duration = TimeSpan.FromSeconds(seconds);
            return true;
        }
        return text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
    }

    /// <summary>The shortest manifest-style text for a duration: 1h30m, 90s, 500ms.</summary>
    public static string Format(TimeSpan d)
    {
        if (d == TimeSpan.Zero) return "0s";
        var parts = new List<string>();
        if (d.Days > 0 || d.Hours > 0) parts.Add($"{(int)d.TotalHours}h");
        if (d.Minutes > 0) parts.Add($"{d.Minutes}m");
        if (d.Seconds > 0) parts.Add($"{d.Seconds}s");
        if (d.Milliseconds > 0) parts.Add($"{d.Milliseconds}ms");
        return string.Concat(parts);
    }
}
