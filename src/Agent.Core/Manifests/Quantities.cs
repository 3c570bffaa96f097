using System.Globalization;
using System.Text.RegularExpressions;

namespace Agent.Core.Manifests;

/// <summary>Durations (Go style: 500ms, 10s, 1m30s, 2h) and sizes (Docker: 512k, 128m, 1g; Kubernetes: 128Mi, 2Gi, 1G).</summary>
public static partial class Quantities
{
    [GeneratedRegex(@"^(?:(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns))+$")]
    private static partial Regex DurationShape();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")]
    private static partial Regex DurationPart();

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$")]
    private static partial Regex SizeShape();

    /// <summary>A duration, or false: not one, or longer than TimeSpan holds (<see cref="IsDurationShape"/> tells which).</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (text == "0") return true;
        if (!DurationShape().IsMatch(text)) return false;
        double ticks = 0;
        foreach (Match part in DurationPart().Matches(text))
        {
            var value = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            ticks += part.Groups[2].Value switch
            {
                "h" => value * TimeSpan.TicksPerHour,
                "m" => value * TimeSpan.TicksPerMinute,
                "s" => value * TimeSpan.TicksPerSecond,
                "ms" => value * TimeSpan.TicksPerMillisecond,
                "us" or "µs" => value * 10,
                _ => value / 100,
            };
        }
        if (ticks > TimeSpan.MaxValue.Ticks) return false;
        duration = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    /// <summary>Written as a duration (500ms, 1h30m), whatever its length.</summary>
    public static bool IsDurationShape(string text) => DurationShape().IsMatch(text);

    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        var match = SizeShape().Match(text.Trim());
        if (!match.Success) return false;
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        double? factor = match.Groups[2].Value switch
        {
            "" or "b" or "B" => 1,
            "k" or "kb" or "KB" or "Ki" or "KiB" => 1L << 10,
            "m" or "mb" or "MB" or "Mi" or "MiB" => 1L << 20,
            "g" or "gb" or "GB" or "Gi" or "GiB" => 1L << 30,
            "t" or "tb" or "TB" or "Ti" or "TiB" => 1L << 40,
            "K" => 1e3,
            "M" => 1e6,
            "G" => 1e9,
            "T" => 1e12,
            _ => null,
        };
        if (factor is null || value * factor > long.MaxValue) return false;
        bytes = (long)(value * factor.Value);
        return true;
    }

    /// <summary>CPUs as a number (0.5) or Kubernetes millicores ("500m"), in nano-CPUs.</summary>
    public static bool TryParseCpus(string text, out long nanoCpus)
    {
        nanoCpus = 0;
        double cpus;
        if (text.EndsWith('m') && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var milli)) cpus = milli / 1000;
        else if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out cpus)) return false;
        if (cpus <= 0 || cpus > 1024) return false;
        nanoCpus = (long)Math.Round(cpus * 1e9);
        return true;
    }
}
