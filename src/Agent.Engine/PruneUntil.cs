using System.Globalization;
using System.Text.RegularExpressions;

namespace Agent.Engine;

/// <summary>A prune's until filter as Docker reads it: a Go duration before now (24h, 90m, 1h30m, 1.5h), a Unix
/// timestamp (seconds, optionally with a fraction), or an RFC 3339 time; images created before it are pruned.</summary>
public static partial class PruneUntil
{
    /// <summary>The time the value names, or null when it names none.</summary>
    public static DateTimeOffset? Cutoff(string value, DateTimeOffset now)
    {
        if (Duration().IsMatch(value))
        {
            var total = TimeSpan.Zero;
            foreach (Match part in Part().Matches(value))
            {
                var amount = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
                total += part.Groups[2].Value switch
                {
                    "h" => TimeSpan.FromHours(amount),
                    "m" => TimeSpan.FromMinutes(amount),
                    "s" => TimeSpan.FromSeconds(amount),
                    "ms" => TimeSpan.FromMilliseconds(amount),
                    _ => TimeSpan.FromMicroseconds(part.Groups[2].Value == "ns" ? amount / 1000 : amount),
                };
            }
            return now - total;
        }
        if (decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds < 253402300800m)
            return DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
    }

    [GeneratedRegex(@"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")]
    private static partial Regex Duration();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")]
    private static partial Regex Part();
}
