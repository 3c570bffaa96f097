using System.Globalization;
using System.Text.RegularExpressions;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>Reads numbers out of a Prometheus text scrape (/metrics).</summary>
public static partial class PrometheusText
{
    /// <summary>The sum of a metric's series whose labels contain <paramref name="filter"/> ("" for all).</summary>
    public static double Sum(string scrape, string metric, string filter = "") =>
        scrape.Split('\n')
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && l.Contains(filter, StringComparison.Ordinal))
            .Sum(l => double.Parse(Value().Match(l).Groups[1].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"\}\s+(\S+)")]
    private static partial Regex Value();
}
