using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Jobs.JobContainers;

namespace Agent.IntegrationTests.Jobs;

/// <summary>`agent diff` and `agent apply --once` with CronJobs and Jobs, run as a program against the real engine;
/// the runs checked with the docker CLI.</summary>
public sealed class JobOnceTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();
    private readonly DirectoryInfo manifests = Directory.CreateTempSubdirectory("agent-jobs-once-");
    private readonly DirectoryInfo state = Directory.CreateTempSubdirectory("agent-jobs-once-state-");

    public Task InitializeAsync() => instance.InitializeAsync();

    public async Task DisposeAsync()
    {
        await instance.DisposeAsync();
        manifests.Delete(recursive: true);
        state.Delete(recursive: true);
    }

    private void Write(string file, string yaml) => File.WriteAllText(Path.Combine(manifests.FullName, file), yaml);

    private Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args) =>
        AgentCli.RunAsync([.. args, manifests.FullName, "--instance", instance.Id, "--state-dir", state.FullName]);

    [Fact]
    public async Task Diff_shows_new_changed_and_deleted_jobs_and_apply_once_runs_a_job_to_its_end()
    {
        var job = instance.Name("migrate");
        var cron = instance.Name("nightly");
        Write("job.yaml", Job(job, "echo migrating; exit 0", "  backoffLimit: 1\n"));
        Write("cron.yaml", CronJob(cron, "0 2 * * *", "echo nightly", "  timeZone: Europe/Berlin\n"));

        var (exit, stdout, stderr) = await Run("diff");
        Assert.True(exit == 2, stdout + stderr);
        Assert.Contains($"Job/{job} (job.yaml:1:1):", stdout);
        Assert.Matches($@"(?m)^  run\s+Job/{job}: new Job: runs once$", stdout);
        Assert.Matches($@"(?m)^  schedule\s+CronJob/{cron}: new CronJob: ""0 2 \* \* \*"", first run at \S+Z$", stdout);

        (exit, stdout, stderr) = await Run("apply", "--once", "--timeout", "60s");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Matches($@"(?m)^Job/{job}: Complete \(run {job}-\S+: exit code 0 \(Completed\)", stdout);
        Assert.Matches($@"(?m)^CronJob/{cron}: Registered schedules run under `agent run`", stdout);
        var ran = Assert.Single(await ListAsync(instance, job));
        Assert.Equal(("exited", 0), (ran.Status, ran.ExitCode));
        Assert.Empty(await ListAsync(instance, cron));

        // Applied again unchanged: the Job does not run twice (kubectl apply: unchanged); diff is in sync for it.
        (exit, stdout, stderr) = await Run("apply", "--once", "--timeout", "60s");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains($"Job/{job}: Complete (unchanged, run {ran.Run}:", stdout);
        Assert.Single(await ListAsync(instance, job));
        (_, stdout, _) = await Run("diff");
        Assert.Contains($"Job/{job}: in sync", stdout);
        Assert.Contains($"CronJob/{cron}: in sync", stdout); // registered by the apply

        // Changed so that it fails: diff says it runs again; apply --once retries (backoffLimit 1), reports the failure and exits 1.
        Write("job.yaml", Job(job, "echo broken; exit 4", "  backoffLimit: 1\n"));
        (exit, stdout, _) = await Run("diff");
        Assert.Equal(2, exit);
        Assert.Matches($@"(?m)^  run\s+Job/{job}: Job changed: runs again \(last run {ran.Run} Succeeded\)$", stdout);
        (exit, stdout, stderr) = await Run("apply", "--once", "--timeout", "90s");
        Assert.True(exit == 1, stdout + stderr);
        Assert.Matches($@"(?m)^Job/{job}: Failed \(run {job}-\S+: exit code 4 \(BackoffLimitExceeded\), 2 attempts", stdout);
        var failed = (await ListAsync(instance, job)).Where(c => c.Run != ran.Run).ToList();
        Assert.Equal([4, 4], failed.Select(c => c.ExitCode));
        Assert.Single(failed.Select(c => c.Run).Distinct());

        // Deleted: diff shows the removal, apply --once removes the runs' containers.
        File.Delete(Path.Combine(manifests.FullName, "job.yaml"));
        (exit, stdout, _) = await Run("diff");
        Assert.Equal(2, exit);
        Assert.Matches($@"(?m)^  remove\s+Job/{job}: manifest deleted", stdout);
        (exit, stdout, stderr) = await Run("apply", "--once", "--timeout", "60s");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains($"Job/{job}: pruned", stdout);
        Assert.Empty(await ListAsync(instance, job));
    }
}
