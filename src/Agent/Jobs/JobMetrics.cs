using System.Diagnostics.Metrics;

namespace Agent.Jobs;

/// <summary>Instruments of the job runner. Labels: kind, result, reason; cronjob names come from the manifests (bounded).</summary>
public static class JobMetrics
{
    public const string MeterName = "Agent.Jobs";
    public const string GaugeMeterName = MeterName + ".Gauges";
    private static readonly Meter Meter = new(MeterName);

    /// <summary>Bucket boundaries in seconds for run durations, from a quick command to an hour-long backup.</summary>
    public static readonly double[] DurationBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600];

    /// <summary>Bucket boundaries in seconds for start lateness.</summary>
    public static readonly double[] LatenessBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    public static readonly Counter<long> Runs = Meter.CreateCounter<long>(
        "agent.job.runs", "{run}", "Finished job runs, by kind (CronJob, Job, ApiJob), result (succeeded, failed) and reason.");

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "agent.job.duration", "s", "Duration of finished job runs, from start to end, by kind and result.");

    public static readonly Counter<long> Missed = Meter.CreateCounter<long>(
        "agent.cronjob.missed", "{run}", "Schedule times that did not run, by reason: missed (outage or startingDeadline) or forbidden (concurrencyPolicy Forbid).");

    public static readonly Histogram<double> Lateness = Meter.CreateHistogram<double>(
        "agent.cronjob.start.lateness", "s", "Time from a schedule time to its container's start.");
}
