using Agent.Core.Model;

namespace Agent.Core.Security;

/// <summary>
/// Resource limits that hand a process more than its container: RLIMIT_RTPRIO lets an unprivileged process take a
/// real-time priority (SCHED_FIFO 99 starves the host's CPUs; no capability is needed), and RLIMIT_NICE above 20 lets it
/// raise its priority above every normal process. The other limits only bound the container's own processes
/// (memlock pages are charged to the container's memory limit).
/// </summary>
public static class UlimitRules
{
    /// <summary>RLIMIT_NICE's ceiling is 20 - limit: 20 lets a process return to nice 0, more lets it go below.</summary>
    public const long NiceCeiling = 20;

    public static void Check(List<Violation> v, IReadOnlyList<UlimitSpec>? ulimits, SecurityOptions options)
    {
        foreach (var limit in ulimits ?? [])
        {
            var name = limit.Name.Trim().ToLowerInvariant();
            if (options.AllowedUlimits.Contains(name, StringComparer.OrdinalIgnoreCase)) continue;
            var highest = Highest(limit);
            if (name == "rtprio" && highest != 0)
                v.Add(new($"ulimits.{limit.Name}", $"ulimit rtprio {Describe(highest)} is not allowed: it lets the container's processes take a " +
                    "real-time priority and starve the host's CPUs (only 0; allow it with Agent:Security:AllowedUlimits)"));
            else if (name == "nice" && (highest < 0 || highest > NiceCeiling))
                v.Add(new($"ulimits.{limit.Name}", $"ulimit nice {Describe(highest)} is not allowed: above {NiceCeiling} it lets the container's processes " +
                    "run at a higher priority than the host's (at most 20; allow it with Agent:Security:AllowedUlimits)"));
        }
    }

    /// <summary>The larger of soft and hard, -1 (unlimited) being the largest.</summary>
    private static long Highest(UlimitSpec limit) =>
        limit.Soft < 0 || limit.Hard < 0 ? -1 : Math.Max(limit.Soft, limit.Hard);

    private static string Describe(long value) => value < 0 ? "unlimited" : value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
