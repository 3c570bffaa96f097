using System.Globalization;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Jobs.JobContainers;

namespace Agent.IntegrationTests.Jobs;

/// <summary>Job metrics on a real scrape: runs by result, duration histogram in seconds, missed runs, next run time; promtool is silent on them.</summary>
[Collection(AloneCollection.Name)]
public sealed class JobMetricsTests() : AgentScenario
{
    private static double Sum(string scrape, string prefix, params string[] labels) =>
        scrape.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal) && labels.All(x => l.Contains(x, StringComparison.Ordinal)))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    [Fact]
    public async Task Runs_durations_missed_runs_and_the_next_run_time_are_exported()
    {
        var name = Instance.Name("metrics");
        Agent.Write("m.yaml", CronJob(name, "* * * * * *", "sleep 1.5", "  concurrencyPolicy: Forbid\n"));
        await Agent.StartAsync();
        using var client = Agent.Client();
        var scrape = await Eventually.ReturnsAsync(() => client.GetStringAsync("/metrics"),
            text => Sum(text, "agent_job_runs_total", "kind=\"CronJob\"", "result=\"succeeded\"", $"name=\"{name}\"") >= 2
                    && Sum(text, "agent_cronjob_missed_total", "reason=\"forbidden\"", $"cronjob=\"{name}\"") >= 1,
            TimeSpan.FromSeconds(120), "two runs and a skipped time counted");

        Assert.True(Sum(scrape, "agent_job_duration_seconds_bucket", "kind=\"CronJob\"", "le=\"10\"") >= 2,
            string.Join("\n", scrape.Split('\n').Where(l => l.StartsWith("agent_job_duration", StringComparison.Ordinal))));
        Assert.Contains("agent_job_duration_seconds_bucket{", scrape);
        Assert.Contains("le=\"3600\"", scrape);
        Assert.True(Sum(scrape, "agent_cronjob_start_lateness_seconds_count") >= 2);
        var next = Sum(scrape, "agent_cronjob_next_run_seconds", $"cronjob=\"{name}\"");
        Assert.InRange(next, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 2, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);

        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, scrape);
        var (_, stdout, stderr) = await ExternalTool.ShellAsync($"promtool check metrics < {file}");
        File.Delete(file);
        var ours = (stdout + stderr).Split('\n').Where(l => l.StartsWith("agent_", StringComparison.Ordinal)).ToList();
        Assert.True(ours.Count == 0, "promtool on our metrics: " + string.Join("; ", ours));
    }
}
