using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Jobs;

/// <summary>probe-15j L8: a Job whose container the engine created but would not start (its command, on a bind mount, is
/// not there yet) is tried again with backoff within backoffLimit, and runs once when it can. The runs are counted in a
/// file the container appends to; the containers checked with the docker CLI.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class JobStartRetryTests() : AgentScenario(new Dictionary<string, string?> { ["Agent:JobBackoffBase"] = "00:00:02" })
{
    [Fact]
    public async Task A_start_the_engine_refuses_is_retried_with_backoff_and_the_job_runs_once()
    {
        var job = Instance.Name("retry");
        var folder = Path.Combine(Agent.Manifests, "out");
        Directory.CreateDirectory(folder);
        var script = Path.Combine(folder, "go.sh");
        var runs = Path.Combine(folder, "runs");
        Agent.Write($"{job}.yaml", $"apiVersion: agent/v1\nkind: Job\nmetadata:\n  name: {job}\nspec:\n  backoffLimit: 6\n" +
            $"  container:\n    image: {TestEngine.Image}\n    command: [\"/out/go.sh\"]\n    volumes: [\"./out:/out\"]\n    stopSignal: SIGKILL\n");
        await Agent.StartAsync();
        var token = Agent.GeneratedAdminToken;

        async Task<JsonElement> JobAsync()
        {
            using var client = Agent.Client(token);
            return JsonDocument.Parse(await client.GetStringAsync($"/api/v1/jobs/{job}")).RootElement.Clone();
        }

        // The engine refuses the start (no /out/go.sh): a failed attempt, and the run stays active for its retry.
        var refused = await Eventually.ReturnsAsync(JobAsync, j => j.GetProperty("active").EnumerateArray().Any(r => r.GetProperty("attempts").GetInt32() >= 1),
            TimeSpan.FromSeconds(60), "an attempt that could not start");
        Assert.Equal("Running", refused.GetProperty("phase").GetString());
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho ran >> /out/runs\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        var done = await Eventually.ReturnsAsync(JobAsync, j => j.GetProperty("phase").GetString() == "Succeeded", TimeSpan.FromSeconds(90), "the retry ran and succeeded");
        var run = Assert.Single(done.GetProperty("history").EnumerateArray());
        Assert.True(run.GetProperty("attempts").GetInt32() >= 2);
        await Eventually.TrueAsync(async () => (await JobContainers.ListAsync(Instance, job)).All(c => c.Status != "created"),
            TimeSpan.FromSeconds(30), "the containers whose start was refused are removed, never started");
        var exited = Assert.Single(await JobContainers.ListAsync(Instance, job));
        Assert.Equal(("exited", 0), (exited.Status, exited.ExitCode));
        Assert.True(exited.Attempt >= 2);
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(["ran"], File.ReadAllLines(runs)); // once, never twice
        }
    }
}
