using System.Globalization;
using Agent.Core.Jobs;
using Agent.IntegrationTests.Infrastructure;
using Agent.Jobs;
using Microsoft.Extensions.DependencyInjection;
using static Agent.IntegrationTests.Jobs.JobContainers;

namespace Agent.IntegrationTests.Jobs;

/// <summary>
/// A run the agent declared failed never runs later (probe-15l H2): a create that the agent gave up on (a hung engine,
/// a start the engine refused) but that left a container behind is removed, at once and at the next start, never
/// started. The containers of a late create are made with the docker CLI, labelled as the agent labels them; what ran
/// is read from a file the containers would append to.
/// </summary>
public sealed class NeverStartedTests() : AgentScenario(new Dictionary<string, string?> { ["Agent:JobBackoffBase"] = "00:00:01" })
{
    private JobRunner Runner => Agent.Services.GetRequiredService<JobRunner>();

    [Fact]
    public async Task A_run_that_failed_to_start_never_runs_later_and_its_created_containers_are_removed()
    {
        var job = Instance.Name("late");
        var cron = Instance.Name("latecron");
        var runs = Path.Combine(Agent.Manifests, "out", "runs");
        Directory.CreateDirectory(Path.GetDirectoryName(runs)!);
        // The engine creates the container and then refuses to start it: the run is Failed/StartFailed.
        Agent.Write($"{job}.yaml", $"apiVersion: agent/v1\nkind: Job\nmetadata:\n  name: {job}\nspec:\n  backoffLimit: 0\n" +
            $"  container:\n    image: {TestEngine.Image}\n    command: [\"/nonexistent\"]\n    stopSignal: SIGKILL\n");
        Agent.Write($"{cron}.yaml", CronJob(cron, "0 0 1 1 *", "echo cron >> /out/runs", "  concurrencyPolicy: Forbid\n").Replace("      stopSignal", "      volumes: [\"./out:/out\"]\n      stopSignal"));
        await Agent.StartAsync();

        var failed = (await Eventually.ReturnsAsync(() => Task.FromResult(Runner.JobStatus(job)), s => s?.History.Any(r => r.Reason == RunReasons.StartFailed) == true,
            TimeSpan.FromSeconds(60), "the run fails to start"))!.History.Single();
        await Eventually.TrueAsync(async () => (await ListAsync(Instance, job)).Count == 0, TimeSpan.FromSeconds(30),
            "the container the engine created and did not start is removed");

        await Agent.StopAsync();
        // Creates that land after the agent gave up on them: one of the failed run, one of a CronJob run the history never held.
        var scheduled = DateTimeOffset.UtcNow.AddMinutes(-2);
        await CreateLateAsync(job, "Job", failed.Id, failed.Start, null);
        await CreateLateAsync(cron, "CronJob", $"{cron}-{scheduled.ToUnixTimeSeconds()}", scheduled, scheduled);
        await Agent.StartAsync();

        await Eventually.TrueAsync(async () => (await ListAsync(Instance, job)).Count == 0 && (await ListAsync(Instance, cron)).Count == 0,
            TimeSpan.FromSeconds(30), "the never-started containers are removed at the next start");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(File.Exists(runs), "a never-started container ran: " + (File.Exists(runs) ? File.ReadAllText(runs) : ""));
        Assert.Equal(RunReasons.StartFailed, Runner.JobStatus(job)!.History.Single().Reason); // still the failed run, not a late success
        Assert.Empty(Runner.CronJobStatus(cron)!.History.Concat(Runner.CronJobStatus(cron)!.Active));
        Assert.Contains(Agent.Status.Get(new Core.Model.ObjectKey(Core.Model.CronJob.KindName, cron))!.Events, e => e.Reason == "NeverStartedRemoved");
    }

    private async Task CreateLateAsync(string name, string kind, string run, DateTimeOffset start, DateTimeOffset? scheduled)
    {
        var labels = new List<string>
        {
            "agent.managed=true", Instance.InstanceLabel, $"agent.kind={kind}", $"agent.object={name}", $"agent.job-run={run}", "agent.job-attempt=1",
            $"agent.job-start={start.ToString("O", CultureInfo.InvariantCulture)}",
        };
        if (scheduled is { } s) labels.Add($"agent.job-scheduled={s.ToString("O", CultureInfo.InvariantCulture)}");
        var args = new List<string> { "create", "--name", $"{run}-1-abcdef", "-v", $"{Path.Combine(Agent.Manifests, "out")}:/out" };
        foreach (var l in labels) args.AddRange(["--label", l]);
        args.AddRange([TestEngine.Image, "sh", "-c", $"echo {run} >> /out/runs"]);
        await DockerCli.RunAsync([.. args]);
    }
}
