using System.Globalization;

namespace Agent.Cli.Client;

/// <summary>Ages as kubectl prints them: 45s, 3m20s, 25m, 5h10m, 3d4h, 12d.</summary>
public static class Ages
{
    public static string Since(DateTimeOffset? time, DateTimeOffset now) => time is { } t ? Format(now - t) : "";

    public static string Format(TimeSpan d)
    {
        if (d < TimeSpan.Zero) d = TimeSpan.Zero;
        string I(double v) => ((long)v).ToString(CultureInfo.InvariantCulture);
        if (d.TotalSeconds < 120) return I(d.TotalSeconds) + "s";
        if (d.TotalMinutes < 10) return d.Seconds == 0 ? I(d.TotalMinutes) + "m" : $"{I(d.TotalMinutes)}m{d.Seconds}s";
        if (d.TotalHours < 3) return I(d.TotalMinutes) + "m";
        if (d.TotalHours < 8) return d.Minutes == 0 ? I(d.TotalHours) + "h" : $"{I(d.TotalHours)}h{d.Minutes}m";
        if (d.TotalHours < 48) return I(d.TotalHours) + "h";
        if (d.TotalDays < 8) return d.Hours == 0 ? I(d.TotalDays) + "d" : $"{I(d.TotalDays)}d{d.Hours}h";
        return I(d.TotalDays) + "d";
    }
}
