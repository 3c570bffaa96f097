using System.Text.Json.Nodes;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Jobs;

/// <summary>probe-39: a Job reported Failed (backoffLimit 1: attempts 1 and 2 exited 3) whose history could not be saved
/// (a full state dir) runs no third attempt after a restart: the run is judged from its containers' labels as it was in
/// memory, each attempt that exited counting toward backoffLimit. Before, only the last attempt was looked at: the run
/// counted one failure and started attempt 3. The state the tester's full tmpfs left is made here by editing the file
/// while the agent is stopped: the history deleted (rebuilt from the labels), or the run as saved before its container
/// was created (active, no attempt: the save that followed failed).</summary>
public sealed class FailedRunAfterRestartTests() : AgentScenario(new Dictionary<string, string?>
{
    ["Agent:ResyncInterval"] = "00:00:01",
    ["Agent:JobBackoffBase"] = "00:00:01",
})
{
    [Fact]
    public Task A_failed_run_whose_history_was_deleted_runs_no_attempt_past_backoffLimit_after_a_restart() =>
        FailThenRestartAsync("lost", history => File.Delete(history));

    [Fact]
    public Task A_failed_run_whose_history_stopped_before_its_first_attempt_runs_no_attempt_past_backoffLimit_after_a_restart() =>
        FailThenRestartAsync("behind", history =>
        {
            var record = JsonNode.Parse(File.ReadAllText(history))!;
            var run = record["history"]!["runs"]!.AsArray().Single()!.AsObject();
            foreach (var ended in new[] { "end", "reason", "exitCode" }) run.Remove(ended);
            run["phase"] = "Running";
            run["attempts"] = new JsonArray();
            File.WriteAllText(history, record.ToJsonString());
        });

    private async Task FailThenRestartAsync(string name, Action<string> loseTheEnd)
    {
        var job = Instance.Name(name);
        Agent.Write($"{job}.yaml", JobContainers.Job(job, "echo x; exit 3", "  backoffLimit: 1\n"));
        var history = Path.Combine(Agent.StateDir, "jobs", $"Job-{job}.json");
        await Agent.StartAsync();
        await Eventually.TrueAsync(async () => File.Exists(history) && File.ReadAllText(history).Contains("BackoffLimitExceeded", StringComparison.Ordinal)
                && (await JobContainers.ListAsync(Instance, job)) is [{ Attempt: 1, ExitCode: 3 }, { Attempt: 2, ExitCode: 3 }],
            TimeSpan.FromSeconds(60), "attempts 1 and 2 exited 3 and the run failed");
        await Agent.StopAsync();

        loseTheEnd(history);
        await Agent.StartAsync();
        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(history) && File.ReadAllText(history).Contains("BackoffLimitExceeded", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the run is judged failed again from its containers' labels");
        for (var i = 0; i < 10; i++) // well past the 1 s backoff and Agent:JobSettle: a third attempt would have started
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var containers = await JobContainers.ListAsync(Instance, job);
            Assert.True(containers is [{ Attempt: 1 }, { Attempt: 2 }], $"attempts: {string.Join(", ", containers.Select(c => $"{c.Name} {c.Status} {c.ExitCode}"))}");
        }
        var rebuilt = JsonNode.Parse(File.ReadAllText(history))!["history"]!["runs"]!.AsArray().Single()!;
        Assert.Equal("Failed", rebuilt["phase"]!.GetValue<string>());
        Assert.Equal(2, rebuilt["attempts"]!.AsArray().Count);
        Assert.All(rebuilt["attempts"]!.AsArray(), a => Assert.Equal(3, a!["exitCode"]!.GetValue<int>()));
    }

    /// <summary>A Job changed while its run ran: the run was killed and Replaced, the new template's run started, and
    /// neither end was saved (the history on disk holds the old run as running). After a restart the old run is not
    /// retried beside the new one (before: a second attempt of the replaced run, with backoffLimit 6 left).</summary>
    [Fact]
    public async Task A_replaced_run_whose_end_was_not_saved_is_not_retried_after_a_restart()
    {
        var job = Instance.Name("replaced");
        Agent.Write($"{job}.yaml", JobContainers.Job(job, "sleep 300"));
        var history = Path.Combine(Agent.StateDir, "jobs", $"Job-{job}.json");
        await Agent.StartAsync();
        await Eventually.TrueAsync(async () => File.Exists(history) && File.ReadAllText(history).Contains("\"attempts\":[{", StringComparison.Ordinal)
                && (await JobContainers.ListAsync(Instance, job)) is [{ Status: "running" }],
            TimeSpan.FromSeconds(60), "v1's run is running and recorded");
        var whileV1Ran = File.ReadAllText(history);
        Agent.Write($"{job}.yaml", JobContainers.Job(job, "echo v2; sleep 300"));
        await Eventually.TrueAsync(async () => (await JobContainers.ListAsync(Instance, job)).Count(c => c.Status == "running") == 1
                && File.ReadAllText(history).Contains("Replaced", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), "v1's run was replaced by v2's");
        await Agent.StopAsync();

        File.WriteAllText(history, whileV1Ran); // the saves since failed
        await Agent.StartAsync();
        await Eventually.TrueAsync(() => Task.FromResult(File.ReadAllText(history).Contains("Replaced", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the old run is judged replaced again");
        for (var i = 0; i < 8; i++) // past the backoff of 1 s: a retry of the replaced run would have started
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var containers = await JobContainers.ListAsync(Instance, job);
            Assert.True(containers.Count == 2 && containers.Count(c => c.Status == "running") == 1,
                $"containers: {string.Join(", ", containers.Select(c => $"{c.Name} {c.Status} {c.ExitCode}"))}");
        }
    }
}
