using Agent.Core.Jobs;
using Agent.Core.Model;

namespace Agent.UnitTests.Jobs;

/// <summary>CronJob specs for the jobs decisions' tests: a schedule and the fields a decision reads.</summary>
internal static class CronSpecs
{
    public static CronJobSpec Cron(string schedule = "*/30 * * * * *", ConcurrencyPolicy policy = ConcurrencyPolicy.Allow, TimeSpan? startingDeadline = null,
        string zone = "UTC", bool suspend = false) => new()
    {
        Schedule = CronSchedule.TryParse(schedule, out var error) ?? throw new ArgumentException(error, nameof(schedule)),
        TimeZone = zone,
        ConcurrencyPolicy = policy,
        StartingDeadline = startingDeadline,
        Suspend = suspend,
        JobTemplate = new JobTemplate { Container = new ContainerSpec { Image = "busybox:1.35" } },
    };
}
