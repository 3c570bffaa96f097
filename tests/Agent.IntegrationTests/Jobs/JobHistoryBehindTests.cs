using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Jobs;

/// <summary>probe-16 F4: a Job's history one run behind its containers (the save after a changed Job's run failed on a
/// full disk; here an older copy of the file is put back while the agent is stopped) does not run the changed Job again:
/// the run its containers' labels name is that template's run. Before, the stale history's template hash won and the new
/// template ran once more at every restart. Runs are counted in a file the container appends to and by `docker ps -a`.</summary>
public sealed class JobHistoryBehindTests() : AgentScenario(new Dictionary<string, string?> { ["Agent:ResyncInterval"] = "00:00:01" })
{
    [Fact]
    public async Task A_changed_job_whose_history_is_one_run_behind_its_containers_does_not_run_again_after_a_restart()
    {
        var job = Instance.Name("migrate");
        var runs = Path.Combine(Agent.Manifests, "out", "runs");
        Directory.CreateDirectory(Path.GetDirectoryName(runs)!);
        string Manifest(string version) => $"apiVersion: agent/v1\nkind: Job\nmetadata:\n  name: {job}\nspec:\n  backoffLimit: 0\n" +
            $"  container:\n    image: {TestEngine.Image}\n    command: [\"sh\", \"-c\", \"echo {version} >> /out/runs\"]\n    volumes: [\"./out:/out\"]\n    stopSignal: SIGKILL\n";
        var history = Path.Combine(Agent.StateDir, "jobs", $"Job-{job}.json");
        string[] Lines() => File.Exists(runs) ? File.ReadAllLines(runs) : [];

        Agent.Write($"{job}.yaml", Manifest("v1"));
        await Agent.StartAsync();
        await Eventually.TrueAsync(async () => Lines() is ["v1"] && File.Exists(history) && File.ReadAllText(history).Contains("Succeeded", StringComparison.Ordinal)
                && (await JobContainers.ListAsync(Instance, job)) is [{ Status: "exited", ExitCode: 0 }],
            TimeSpan.FromSeconds(60), "v1 ran once and its history says so");
        await Agent.StopAsync();
        var v1History = File.ReadAllText(history);

        Agent.Write($"{job}.yaml", Manifest("v2"));
        await Agent.StartAsync();
        await Eventually.TrueAsync(async () => Lines() is ["v1", "v2"]
                && (await JobContainers.ListAsync(Instance, job)) is [{ Status: "exited", ExitCode: 0 }, { Status: "exited", ExitCode: 0 }],
            TimeSpan.FromSeconds(60), "the changed Job ran v2 once");
        await Agent.StopAsync();
        var v1Id = (await DockerCli.ContainerIdsAsync(Instance.InstanceLabel, $"agent.object={job}", "agent.job-run")).ToHashSet();
        var v1Hash = System.Text.RegularExpressions.Regex.Match(v1History, "\"templateHash\"\\s*:\\s*\"([0-9a-f]+)\"").Groups[1].Value;
        Assert.NotEqual("", v1Hash);
        var hashes = new List<string>();
        foreach (var id in v1Id) hashes.Add((await DockerCli.InspectAsync(id, "{{index .Config.Labels \"agent.job-template-hash\"}}")).Trim());
        var v2Hash = Assert.Single(hashes.Distinct(), h => h != v1Hash);

        // The save of v2's run "failed": the history on disk is v1's.
        File.WriteAllText(history, v1History);
        // agent diff judges the Job as the runner will: its containers name v2's run, so nothing runs (before: "Job changed: runs again").
        var (diffExit, diff, diffErr) = await AgentCli.RunAsync("diff", Agent.Manifests, "--instance", Instance.Id, "--state-dir", Agent.StateDir);
        Assert.DoesNotContain("runs again", diff);
        Assert.True(diffExit == 0, $"diff exited {diffExit}\n{diff}\n{diffErr}");
        for (var restart = 0; restart < 2; restart++)
        {
            await Agent.StartAsync();
            var v2Label = $"agent.job-template-hash={v2Hash}";
            await Eventually.TrueAsync(() => Task.FromResult(File.ReadAllText(history).Contains(v2Hash, StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30), "the history took the run recovered from the labels");
            for (var i = 0; i < 20; i++) // well past Agent:JobSettle (5 s): a second run would have started
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                Assert.Single(await DockerCli.ContainerIdsAsync(Instance.InstanceLabel, $"agent.object={job}", v2Label));
                Assert.Equal(["v1", "v2"], Lines());
            }
            await Agent.StopAsync();
        }
        Assert.Equal(2, (await JobContainers.ListAsync(Instance, job)).Count);
    }
}
