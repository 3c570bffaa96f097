using System.Text.Json;
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

    /// <summary>probe-15l M2: a torn history whose Job's containers are left is rebuilt from their labels (not held), and
    /// a Job held by a lost history says so, with the marker to delete, in the API, `agent get`/`describe` and `agent diff`
    /// (it said Pending "waiting for the first run", and diff "runs once").</summary>
    [Fact]
    public async Task A_torn_history_with_containers_is_rebuilt_and_a_held_job_says_it_is_held_everywhere()
    {
        var job = Instance.Name("seed");
        var runs = Path.Combine(Agent.Manifests, "out", "runs");
        Directory.CreateDirectory(Path.GetDirectoryName(runs)!);
        Agent.Write($"{job}.yaml", $"apiVersion: agent/v1\nkind: Job\nmetadata:\n  name: {job}\nspec:\n  backoffLimit: 0\n" +
            $"  container:\n    image: {TestEngine.Image}\n    command: [\"sh\", \"-c\", \"echo seeded >> /out/runs\"]\n    volumes: [\"./out:/out\"]\n    stopSignal: SIGKILL\n");
        await Agent.StartAsync();
        var history = Path.Combine(Agent.StateDir, "jobs", $"Job-{job}.json");
        var marker = history + ".lost";
        await Eventually.TrueAsync(async () => File.Exists(runs) && File.ReadAllLines(runs).Length == 1 && File.Exists(history)
                && (await JobContainers.ListAsync(Instance, job)) is [{ Status: "exited", ExitCode: 0 }],
            TimeSpan.FromSeconds(60), "the Job ran once and its container exited 0");
        var token = Agent.GeneratedAdminToken;

        async Task<JsonElement> JobAsync()
        {
            using var client = Agent.Client(token);
            return JsonDocument.Parse(await client.GetStringAsync($"/api/v1/jobs/{job}")).RootElement.Clone();
        }

        // Torn while its container is there: rebuilt from the labels, shown as it ran, not held, not run again.
        await Agent.StopAsync();
        File.WriteAllText(history, "{\"key\":{\"kind\":\"Job\",\"na");
        await Agent.StartAsync();
        var rebuilt = await Eventually.ReturnsAsync(JobAsync, j => j.GetProperty("phase").GetString() == "Succeeded", TimeSpan.FromSeconds(30), "the history rebuilt from the labels");
        Assert.Single(rebuilt.GetProperty("history").EnumerateArray());
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.False(File.Exists(marker));
            Assert.Single(File.ReadAllLines(runs));
        }
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(history)!, $"Job-{job}.json.corrupt-*"));
        Assert.Single(await JobContainers.ListAsync(Instance, job));

        // Its container removed and its history deleted: held, and every view says so.
        await Agent.StopAsync();
        await DockerCli.RunAsync("rm", "-f", (await JobContainers.ListAsync(Instance, job))[0].Id);
        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(history)), TimeSpan.FromSeconds(5), "the rebuilt history was written");
        File.Delete(history);
        await Agent.StartAsync();
        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(marker)), TimeSpan.FromSeconds(30), "the lost history is marked");
        var held = await Eventually.ReturnsAsync(JobAsync, j => j.GetProperty("phase").GetString() == "HistoryLost", TimeSpan.FromSeconds(30), "the API says HistoryLost");
        Assert.Contains(marker, held.GetProperty("historyLost").GetString());

        var env = new Dictionary<string, string> { ["AGENT_Urls"] = Agent.BaseAddress.ToString(), ["AGENT_TOKEN"] = token };
        var (exit, get, stderr) = await AgentCli.RunAsync(env, "get", "jobs");
        Assert.True(exit == 0, get + stderr);
        Assert.Matches($@"(?m)^{job}\s+HistoryLost\s+0/1", get);
        (exit, var describe, stderr) = await AgentCli.RunAsync(env, "describe", $"job/{job}");
        Assert.True(exit == 0, describe + stderr);
        Assert.Matches(@"(?m)^Status:\s+HistoryLost$", describe);
        Assert.Matches(@"(?m)^\s+Ready\s+False\s+HistoryLost\s.*held: .*\.lost is deleted", describe);
        Assert.Matches(@"(?m)^\s+Degraded\s+True\s+HistoryLost\s", describe);
        Assert.Matches(@"(?m)^\s+Warning\s+HistoryLost\s", describe); // the event, under Events
        Assert.DoesNotContain("waiting for the first run", describe);

        var (diffExit, diff, diffErr) = await AgentCli.RunAsync("diff", Agent.Manifests, "--instance", Instance.Id, "--state-dir", Agent.StateDir);
        Assert.True(diffExit == 1, diff + diffErr); // a hold needs the operator's decision
        Assert.Matches($@"(?m)^  held\s+Job/{job}: HistoryLost: .*\.lost is deleted", diff);
        Assert.DoesNotContain("runs once", diff);
        Assert.Contains("HistoryLost", diffErr);
        Assert.Single(File.ReadAllLines(runs)); // nothing ran meanwhile
    }
}
