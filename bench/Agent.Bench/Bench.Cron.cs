using System.Globalization;
using Agent.Engine;

namespace Agent.Bench;

/// <summary>CronJob lateness: a 6-field every-second schedule, schedule time (label) to the container's StartedAt (engine).</summary>
public sealed partial class Bench
{
    public async Task CronLatenessAsync(int seconds)
    {
        Report.Line($"cronjob every second for {seconds} s ...");
        var dir = Folder();
        var name = $"{run}-tick";
        await File.WriteAllTextAsync(Path.Combine(dir, "tick.yaml"),
            $"apiVersion: agent/v1\nkind: CronJob\nmetadata:\n  name: {name}\nspec:\n  schedule: \"* * * * * *\"\n  successfulJobsHistoryLimit: {seconds + 10}\n" +
            $"  jobTemplate:\n    container:\n      image: {Image}\n      command: [\"true\"]\n");
        var instance = $"{run}-cron";
        var app = await StartAgentAsync(dir, instance, []);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds + 3));
            var lateness = new List<double>();
            foreach (var c in await engine.ListContainersAsync(LabelSelector.Of($"agent.instance={instance}", "agent.job-run"), default))
            {
                var details = await engine.InspectContainerAsync(c.Id, default);
                if (details?.StartedAt is not { } started || !c.Labels.TryGetValue("agent.job-scheduled", out var text)) continue;
                var scheduled = DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                lateness.Add((started - scheduled).TotalMilliseconds);
            }
            lateness.Sort();
            if (lateness.Count == 0) throw new InvalidOperationException("no run started");
            var scenario = $"cronjob \"* * * * * *\", {seconds} s";
            results.Add(new Row(scenario, "runs started", lateness.Count.ToString(CultureInfo.InvariantCulture), $"{seconds} schedule times"));
            results.Add(new Row(scenario, "lateness p50 (schedule -> StartedAt)", Ms(lateness[lateness.Count / 2])));
            results.Add(new Row(scenario, "lateness p99", Ms(lateness[(int)Math.Ceiling(lateness.Count * 0.99) - 1]), $"max {Ms(lateness[^1])}"));
        }
        finally
        {
            await app.StopAsync();
            await CleanAsync(instance);
        }
    }
}
