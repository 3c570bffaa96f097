using System.Globalization;

namespace Agent.Usage;

/// <summary>The host's /proc files, parsed (pure: text in, numbers out).</summary>
public static class ProcFiles
{
    /// <summary>The aggregate "cpu" line of /proc/stat: busy and total jiffies (idle and iowait are not busy).</summary>
    public readonly record struct CpuTimes(ulong Busy, ulong Total)
    {
        /// <summary>Percent of all CPUs busy between two readings (0 to 100), or null when no time passed.</summary>
        public static double? PercentBetween(CpuTimes earlier, CpuTimes later) =>
            later.Total > earlier.Total ? Math.Round(100.0 * (later.Busy - earlier.Busy) / (later.Total - earlier.Total), 1) : null;
    }

    public static CpuTimes? ParseStat(string stat)
    {
        var line = stat.Split('\n').FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        if (line is null) return null;
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(f => ulong.TryParse(f, CultureInfo.InvariantCulture, out var n) ? n : 0).ToArray();
        if (fields.Length < 4) return null;
        // user nice system idle iowait irq softirq steal (guest time is already in user)
        var total = fields.Take(8).Aggregate(0UL, (a, b) => a + b);
        var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0);
        return new CpuTimes(total - idle, total);
    }

    public sealed record Memory(long TotalBytes, long AvailableBytes, long FreeBytes, long SwapTotalBytes, long SwapFreeBytes)
    {
        public long UsedBytes => TotalBytes - AvailableBytes;
    }

    public static Memory? ParseMeminfo(string meminfo)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in meminfo.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var parts = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var n))
                values[line[..colon]] = parts.Length > 1 && parts[1] == "kB" ? n * 1024 : n;
        }
        if (!values.TryGetValue("MemTotal", out var total)) return null;
        var free = values.GetValueOrDefault("MemFree");
        // Kernels before 3.14 have no MemAvailable: free + page cache is the usual estimate.
        var available = values.TryGetValue("MemAvailable", out var a) ? a : free + values.GetValueOrDefault("Cached") + values.GetValueOrDefault("Buffers");
        return new Memory(total, available, free, values.GetValueOrDefault("SwapTotal"), values.GetValueOrDefault("SwapFree"));
    }

    public sealed record Load(double One, double Five, double Fifteen, int Running, int Threads);

    public static Load? ParseLoadavg(string loadavg)
    {
        var parts = loadavg.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 4) return null;
        var ok = double.TryParse(parts[0], CultureInfo.InvariantCulture, out var one) & double.TryParse(parts[1], CultureInfo.InvariantCulture, out var five)
                 & double.TryParse(parts[2], CultureInfo.InvariantCulture, out var fifteen);
        var slash = parts[3].Split('/');
        int.TryParse(slash[0], CultureInfo.InvariantCulture, out var running);
        int.TryParse(slash.Length > 1 ? slash[1] : "0", CultureInfo.InvariantCulture, out var threads);
        return ok ? new Load(one, five, fifteen, running, threads) : null;
    }
}
