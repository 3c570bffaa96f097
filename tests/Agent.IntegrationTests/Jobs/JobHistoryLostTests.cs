using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Jobs;

/// <summary>A finished Job whose containers ttlAfterFinished removed never runs again because its history file was
/// deleted whole or torn across a restart (probe-15i H7): the ledger of started Jobs says it ran, so it waits for the
/// operator, who deletes the marker. The runs are counted in a file the Job's container appends to, read on the host.</summary>
public sealed class JobHistoryLostTests() : AgentScenario(new Dictionary<string, string?> { ["Agent:ResyncInterval"] = "00:00:01" })
{
    [Fact]
    public async Task A_deleted_or_torn_history_holds_a_finished_job_until_the_operator_deletes_the_marker()
    {
        var job = Instance.Name("migrate");
        var runs = Path.Combine(Agent.Manifests, "out", "runs");
        Directory.CreateDirectory(Path.GetDirectoryName(runs)!);
        Agent.Write($"{job}.yaml", $"apiVersion: agent/v1\nkind: Job\nmetadata:\n  name: {job}\nspec:\n  backoffLimit: 0\n  ttlAfterFinished: 1s\n" +
            $"  container:\n    image: {TestEngine.Image}\n    command: [\"sh\", \"-c\", \"echo migrated >> /out/runs\"]\n    volumes: [\"./out:/out\"]\n    stopSignal: SIGKILL\n");
        await Agent.StartAsync();
        var history = Path.Combine(Agent.StateDir, "jobs", $"Job-{job}.json");
        var marker = history + ".lost";

        async Task LoseHistoryAsync(Action lose, int ranSoFar)
        {
            await Eventually.TrueAsync(async () => File.Exists(runs) && File.ReadAllLines(runs).Length == ranSoFar && File.Exists(history)
                    && (await JobContainers.ListAsync(Instance, job)).Count == 0,
                TimeSpan.FromSeconds(60), "the Job ran and its container was removed by ttlAfterFinished");
            await Agent.StopAsync();
            lose();
            await Agent.StartAsync();
            await Eventually.TrueAsync(() => Task.FromResult(File.Exists(marker)), TimeSpan.FromSeconds(30), "the lost history is marked");
            for (var i = 0; i < 5; i++) // several resyncs: nothing runs
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                Assert.Equal(ranSoFar, File.ReadAllLines(runs).Length);
            }
            Assert.Contains("starts no run", File.ReadAllText(marker));
            File.Delete(marker); // the operator's word: run it
            await Eventually.TrueAsync(() => Task.FromResult(File.ReadAllLines(runs).Length == ranSoFar + 1), TimeSpan.FromSeconds(60), "the Job runs once more");
        }

        await LoseHistoryAsync(() => File.Delete(history), 1);
        await LoseHistoryAsync(() => File.WriteAllText(history, "{\"broken"), 2);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(history)!, $"Job-{job}.json.corrupt-*")); // the torn file kept aside
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(["migrated", "migrated", "migrated"], File.ReadAllLines(runs)); // and no run beyond the operator's two
    }
}
