using System.Globalization;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Jobs;

/// <summary>A job container as the docker CLI sees it: the independent oracle for the runner.</summary>
public sealed record JobContainer(string Id, string Name, string Run, int Attempt, DateTimeOffset? Scheduled, string Status,
    int ExitCode, DateTimeOffset? Started, DateTimeOffset? Finished, int RestartCount, DateTimeOffset? Created);

public static class JobContainers
{
    public static async Task<IReadOnlyList<JobContainer>> ListAsync(TestInstance instance, string name)
    {
        var ids = await DockerCli.ContainerIdsAsync(instance.InstanceLabel, $"agent.object={name}", "agent.job-run");
        var result = new List<JobContainer>();
        foreach (var id in ids)
        {
            var (exit, text, _) = await DockerCli.TryRunAsync("inspect", "--format",
                "{{.Name}}|{{index .Config.Labels \"agent.job-run\"}}|{{index .Config.Labels \"agent.job-attempt\"}}|{{index .Config.Labels \"agent.job-scheduled\"}}|{{.State.Status}}|{{.State.ExitCode}}|{{.State.StartedAt}}|{{.State.FinishedAt}}|{{.RestartCount}}|{{.Created}}", id);
            if (exit != 0) continue; // removed in between (history limits at work)
            var f = text.Trim().Split('|');
            result.Add(new JobContainer(id, f[0].TrimStart('/'), f[1], int.Parse(f[2], CultureInfo.InvariantCulture), Time(f[3]), f[4],
                int.Parse(f[5], CultureInfo.InvariantCulture), Time(f[6]), Time(f[7]), int.Parse(f[8], CultureInfo.InvariantCulture), Time(f[9])));
        }
        return result.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
    }

    private static DateTimeOffset? Time(string text) =>
        text.Length > 0 && !text.StartsWith("0001", StringComparison.Ordinal)
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t : null;

    public static string CronJob(string name, string schedule, string command, string extraSpec = "", string extraTemplate = "") =>
        $"apiVersion: agent/v1\nkind: CronJob\nmetadata:\n  name: {name}\nspec:\n  schedule: \"{schedule}\"\n{extraSpec}  jobTemplate:\n{extraTemplate}    container:\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"{command}\"]\n      stopSignal: SIGKILL\n";

    public static string Job(string name, string command, string extraSpec = "") =>
        $"apiVersion: agent/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n{extraSpec}  container:\n    image: {TestEngine.Image}\n    command: [\"sh\", \"-c\", \"{command}\"]\n    stopSignal: SIGKILL\n";
}
