using Agent.Core.Jobs;
using Agent.IntegrationTests.Infrastructure;
using Agent.Jobs;
using Microsoft.Extensions.DependencyInjection;
using static Agent.IntegrationTests.Jobs.JobContainers;

namespace Agent.IntegrationTests.Jobs;

/// <summary>Jobs from manifests on the real engine: run once per template, deadlines, retries.</summary>
public sealed class JobTests() : AgentScenario(new Dictionary<string, string?> { ["Agent:JobBackoffBase"] = "00:00:01" })
{
    private JobRunner Runner => Agent.Services.GetRequiredService<JobRunner>();

    [Fact]
    public async Task Active_deadline_kills_the_run_and_fails_it()
    {
        var name = Instance.Name("deadline");
        Agent.Write("deadline.yaml", Job(name, "sleep 60", "  activeDeadline: 2s\n"));
        await Agent.StartAsync();
        var job = await Eventually.ReturnsAsync(() => Task.FromResult(Runner.JobStatus(name)), j => j?.Phase == "Failed", TimeSpan.FromSeconds(120), "the run failed");
        var run = Assert.Single(job!.History);
        Assert.Equal(RunReasons.DeadlineExceeded, run.Reason);
        Assert.InRange(run.DurationSeconds!.Value, 1.9, 10);
        var container = await Eventually.ReturnsAsync(() => ListAsync(Instance, name), l => l.Count == 1 && l[0].Status == "exited", TimeSpan.FromSeconds(120), "the container was killed");
        Assert.Equal(137, container[0].ExitCode);
        // The run records how its container ended once it has stopped: the engine's exit code, beside the reason.
        run = (await Eventually.ReturnsAsync(() => Task.FromResult(Runner.JobStatus(name)), j => j?.History.Single().ExitCode is not null,
            TimeSpan.FromSeconds(120), "the exit code recorded"))!.History.Single();
        Assert.Equal((container[0].ExitCode, RunReasons.DeadlineExceeded), (run.ExitCode!.Value, run.Reason));
    }

    [Fact]
    public async Task A_job_never_mounts_a_volume_made_out_of_band_with_host_bind_options()
    {
        var name = Instance.Name("evilvol");
        var volume = $"{name}_data";
        var host = Directory.CreateTempSubdirectory("evil-");
        await DockerCli.RunAsync("volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", $"device={host.FullName}", volume);
        try
        {
            Agent.Write("evil.yaml", Job(name, "ls /data", "").Replace("    stopSignal: SIGKILL\n", "    stopSignal: SIGKILL\n    volumes: [\"data:/data\"]\n"));
            await Agent.StartAsync();
            var job = await Eventually.ReturnsAsync(() => Task.FromResult(Runner.JobStatus(name)), j => j?.Phase == "Failed", TimeSpan.FromSeconds(120), "the run failed");
            Assert.Equal(RunReasons.StartFailed, Assert.Single(job!.History).Reason);
            // Said once, as the history records it, and what it means (probe-15m: a failure line for a run that then ran).
            Assert.Equal(1, Agent.Logs.Count($"run {job.History[0].Id} could not start", "it is recorded failed (StartFailed) and not retried"));
            var (_, listed, _) = await DockerCli.TryRunAsync("ps", "-a", "--filter", $"label=agent.object={name}", "--format", "{{.Names}}");
            Assert.Equal("", listed.Trim());
        }
        finally
        {
            await DockerCli.TryRunAsync("volume", "rm", "-f", volume);
            host.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Backoff_limit_retries_a_failing_run_then_fails_it()
    {
        var name = Instance.Name("backoff");
        Agent.Write("backoff.yaml", Job(name, "echo failing; exit 3", "  backoffLimit: 2\n"));
        await Agent.StartAsync();
        var job = await Eventually.ReturnsAsync(() => Task.FromResult(Runner.JobStatus(name)), j => j?.Phase == "Failed", TimeSpan.FromSeconds(120), "the run failed");
        var run = Assert.Single(job!.History);
        Assert.Equal(RunReasons.BackoffLimitExceeded, run.Reason);
        Assert.Equal(3, run.Attempts);
        Assert.Equal(3, run.ExitCode);
        var containers = await ListAsync(Instance, name);
        Assert.Equal([1, 2, 3], containers.Select(c => c.Attempt).Order());
        Assert.All(containers, c => Assert.Equal(3, c.ExitCode));
        // Exponential backoff: 1 s before the first retry, 2 s before the second.
        var ordered = containers.OrderBy(c => c.Attempt).ToList();
        Assert.True(ordered[1].Started - ordered[0].Finished >= TimeSpan.FromSeconds(0.9));
        Assert.True(ordered[2].Started - ordered[1].Finished >= TimeSpan.FromSeconds(1.9));
    }

    [Fact]
    public async Task A_job_runs_once_and_again_only_when_its_manifest_changes()
    {
        var name = Instance.Name("once");
        Agent.Write("once.yaml", Job(name, "echo first"));
        await Agent.StartAsync();
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.JobStatus(name)), j => j?.Phase == "Succeeded", TimeSpan.FromSeconds(120), "first run");
        await Agent.StopAsync();
        await Agent.StartAsync(); // a restart does not run it again
        await Task.Delay(TimeSpan.FromSeconds(2));
        var run = Assert.Single(await ListAsync(Instance, name));
        // probe-15c G13: a start or restart through the API would run the finished command again, with no run recorded.
        using (var admin = Agent.Client(Agent.GeneratedAdminToken))
        {
            foreach (var verb in new[] { "start", "restart" })
            {
                using var refused = await admin.PostAsync($"/api/v1/containers/{run.Name}/{verb}", null);
                var detail = await refused.Content.ReadAsStringAsync();
                Assert.True(refused.StatusCode == System.Net.HttpStatusCode.Conflict, $"{verb}: {(int)refused.StatusCode} {detail}");
                Assert.Contains($"is a run of Job/{name}", detail);
            }
        }
        Assert.Equal("exited", await DockerCli.InspectAsync(run.Id, "{{.State.Status}}"));
        Assert.Single(await ListAsync(Instance, name));

        Agent.Write("once.yaml", Job(name, "echo second"));
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.JobStatus(name)), j => j?.History.Count(r => r.Phase == "Succeeded") == 2, TimeSpan.FromSeconds(120), "a second run for the changed Job");
        var containers = await ListAsync(Instance, name);
        Assert.Equal(2, containers.Count);
        Assert.All(containers, c => Assert.Equal(("exited", 0), (c.Status, c.ExitCode)));
    }

    [Fact]
    public async Task A_broken_job_manifest_keeps_its_runs_and_a_deleted_one_removes_them()
    {
        var name = Instance.Name("gone");
        Agent.Write("gone.yaml", Job(name, "echo done"));
        await Agent.StartAsync();
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.JobStatus(name)), j => j?.Phase == "Succeeded", TimeSpan.FromSeconds(120), "the run finished");

        Agent.Write("gone.yaml", Job(name, "echo done").Replace("image:", "imag:"));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Single(await ListAsync(Instance, name)); // a broken manifest is never a deletion
        Assert.Equal("Succeeded", Runner.JobStatus(name)!.Phase);

        Agent.Delete("gone.yaml");
        await Eventually.ReturnsAsync(() => ListAsync(Instance, name), l => l.Count == 0, TimeSpan.FromSeconds(120), "the deleted Job's container removed");
        Assert.Null(Runner.JobStatus(name));
    }

    [Fact]
    public async Task A_relative_bind_folder_that_is_missing_is_created_for_a_job_and_a_cronjob_as_compose_does()
    {
        var job = Instance.Name("relbind");
        var cron = Instance.Name("relcron");
        var bind = "    volumes: [\"./out/DIR:/out\"]\n    stopSignal: SIGKILL\n";
        Agent.Write("relbind.yaml", Job(job, "echo ran > /out/f").Replace("    stopSignal: SIGKILL\n", bind.Replace("DIR", "job")));
        Agent.Write("relcron.yaml", CronJob(cron, "* * * * * *", "echo ran > /out/f", "  successfulJobsHistoryLimit: 1\n")
            .Replace("      stopSignal: SIGKILL\n", "  " + bind.Replace("DIR", "cron").Replace("\n    ", "\n      ")));
        Assert.False(Directory.Exists(Path.Combine(Agent.Manifests, "out")));
        await Agent.StartAsync();
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.JobStatus(job)), j => j?.Phase == "Succeeded", TimeSpan.FromSeconds(120), "the Job's run succeeded");
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.CronJobStatus(cron)), c => c?.LastSuccessfulTime is not null, TimeSpan.FromSeconds(120), "a CronJob run succeeded");
        // Suspended, it starts no more runs: the one it keeps stays to be inspected (each second a new run replaced it, and
        // on a loaded machine a listed container was removed before the docker CLI inspected it, for 30 s in a row).
        Agent.Write("relcron.yaml", CronJob(cron, "* * * * * *", "echo ran > /out/f", "  successfulJobsHistoryLimit: 1\n  suspend: true\n")
            .Replace("      stopSignal: SIGKILL\n", "  " + bind.Replace("DIR", "cron").Replace("\n    ", "\n      ")));
        await Eventually.ReturnsAsync(() => Task.FromResult(Runner.CronJobStatus(cron)), c => c is { Active.Count: 0 } && c.LastSuccessfulTime is not null,
            TimeSpan.FromSeconds(60), "the suspended CronJob has no run under way");
        foreach (var (name, folder) in new[] { (job, "job"), (cron, "cron") })
        {
            var source = Path.Combine(Agent.Manifests, "out", folder);
            Assert.Equal("ran", File.ReadAllText(Path.Combine(source, "f")).Trim()); // written by the container, read on the host
            // The CronJob runs each second with a history of one: a listed container may be removed before it is inspected.
            var mounted = await Eventually.ReturnsAsync(async () =>
                (await ListAsync(Instance, name)).FirstOrDefault() is { } c && await DockerCli.TryRunAsync("inspect", "--format", "{{range .Mounts}}{{.Source}}{{end}}", c.Id) is (0, var text, _)
                    ? text.Trim() : null, m => m is not null, TimeSpan.FromSeconds(30), "a container of it inspected");
            Assert.Equal(source, mounted);
        }
    }

    // probe-15l H5: a Job file caught half-written (a slow copy, an editor's save) ran at once with a truncated command,
    // then again with the whole one; an env file truncated and written again ran it with its secrets empty.
    [Fact]
    public async Task A_job_file_caught_half_written_never_runs_and_the_whole_file_runs_once()
    {
        var name = Instance.Name("torn");
        await Agent.StartAsync();
        var whole = Job(name, "echo whole-$V", "  backoffLimit: 0\n").Replace("    stopSignal: SIGKILL\n", "    stopSignal: SIGKILL\n    envFrom: [job.env]\n");
        Agent.Write("job.env", "V=1\n");
        Agent.Write("job.yaml", whole[..whole.IndexOf("    stopSignal", StringComparison.Ordinal)]); // cut at a line end: loads, without envFrom
        await Task.Delay(TimeSpan.FromSeconds(2));
        Agent.Write("job.yaml", whole);
        var ran = await Eventually.ReturnsAsync(() => ListAsync(Instance, name), l => l.Count > 0 && l.All(c => c.Status == "exited"), TimeSpan.FromSeconds(60), "the Job ran");
        await Task.Delay(TimeSpan.FromSeconds(7)); // longer than Agent:JobSettle: nothing else runs
        ran = await ListAsync(Instance, name);
        Assert.Equal("whole-1", (await DockerCli.RunAsync("logs", Assert.Single(ran).Id)).Trim());

        // The env file truncated (`: > job.env`) and written again 2 s later: the Job does not run with it empty, nor again.
        Agent.Write("job.env", "");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Agent.Write("job.env", "V=1\n");
        await Task.Delay(TimeSpan.FromSeconds(10));
        Assert.Single(await ListAsync(Instance, name));
    }

    // probe-15m: a new CronJob was exempt from Agent:JobSettle at its first look, so one written in two pieces across a due
    // time ran its torn template (here: without its env) once.
    [Fact]
    public async Task A_new_cronjob_caught_half_written_never_runs_its_torn_template()
    {
        var name = Instance.Name("torncron");
        await Agent.StartAsync();
        var whole = CronJob(name, "* * * * * *", "echo v=$V >> /out/log", "  successfulJobsHistoryLimit: 1\n")
            + "      volumes: [\"./out:/out\"]\n      env: { V: \"1\" }\n";
        Agent.Write("cron.yaml", whole[..whole.IndexOf("      env:", StringComparison.Ordinal)]); // cut at a line end: loads, without its env
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Agent.Write("cron.yaml", whole);
        var log = Path.Combine(Agent.Manifests, "out", "log");
        var lines = await Eventually.ReturnsAsync(() => Task.FromResult(File.Exists(log) ? File.ReadAllLines(log) : []), l => l.Length >= 3,
            TimeSpan.FromSeconds(60), "three runs wrote to the bind file");
        Assert.All(lines, l => Assert.Equal("v=1", l));
        foreach (var c in await ListAsync(Instance, name))
            if (await DockerCli.TryRunAsync("inspect", "--format", "{{.Config.Env}}", c.Id) is (0, var env, _)) // else removed by the history limit meanwhile
                Assert.Contains("V=1", env);
    }
}
