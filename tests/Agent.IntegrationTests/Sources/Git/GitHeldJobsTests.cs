using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using Agent.IntegrationTests.Jobs;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>probe-16 F6/F2 for a GitRepository: a repository that cannot be fetched when the agent starts keeps what its last
/// checkout brought, CronJobs and Jobs included: the CronJob stays on its schedule, the Job that completed does not run
/// again, nothing is removed, and the repository says why.</summary>
public sealed class GitHeldJobsTests() : GitScenario(new Dictionary<string, string?> { ["Agent:JobSettle"] = "00:00:00" })
{
    [Fact]
    public async Task A_repository_that_cannot_be_fetched_at_start_keeps_its_CronJobs_on_schedule_and_its_Jobs_done()
    {
        var (group, cron, job) = (Instance.Name("ghj-g"), Instance.Name("ghj-c"), Instance.Name("ghj-j"));
        Repo.Write("web.yaml", Sleepy(group));
        Repo.Write("jobs.yaml", JobContainers.CronJob(cron, "*/2 * * * * *", "echo tick", "  successfulJobsHistoryLimit: 2\n") + "---\n" + JobContainers.Job(job, "echo done"));
        var commit = Repo.CommitAndPush("group and jobs");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", commit);
        await Agent.WaitReadyAsync(group);
        await Agent.WaitForConditionAsync(job, ConditionTypes.Ready, "True", Core.Jobs.JobConditions.Complete, TimeSpan.FromSeconds(120), Job.KindName);
        await Eventually.ReturnsAsync(() => JobContainers.ListAsync(Instance, cron), l => l.Any(c => c.Status == "exited"), TimeSpan.FromSeconds(120), "a run of the CronJob");
        await Agent.StopAsync();
        var groupBefore = (await Containers.OfAsync(Instance, group)).Single().Id;

        var gone = Repo.Bare + "-gone";
        Directory.Move(Repo.Bare, gone); // the remote cannot be fetched when the agent starts
        try
        {
            await Agent.StartAsync();
            await WaitRepoAsync("platform", s => s.Condition("Stalled") is { Status: "True" }, "the fetch fails", TimeSpan.FromSeconds(90));
            var seen = (await JobContainers.ListAsync(Instance, cron)).Select(c => c.Run).ToHashSet();
            await Eventually.ReturnsAsync(() => JobContainers.ListAsync(Instance, cron), l => l.Count(c => !seen.Contains(c.Run) && c.Started is not null) >= 2,
                TimeSpan.FromSeconds(60), "two new runs of the CronJob from the last checkout");
            await Agent.WaitForConditionAsync(job, ConditionTypes.Ready, "True", Core.Jobs.JobConditions.Complete, TimeSpan.FromSeconds(60), Job.KindName);
            Assert.Single(await JobContainers.ListAsync(Instance, job)); // not run again
            Assert.Equal(groupBefore, (await Containers.OfAsync(Instance, group)).Single().Id);
            await Agent.WaitReadyAsync(group);
        }
        finally
        {
            if (!Directory.Exists(Repo.Bare)) Directory.Move(gone, Repo.Bare);
        }
        await WaitRepoAsync("platform", s => s.Condition("Ready")?.Status == "True", "fetched again", TimeSpan.FromSeconds(90));
        Assert.Equal(groupBefore, (await Containers.OfAsync(Instance, group)).Single().Id);
        Assert.Single(await JobContainers.ListAsync(Instance, job));
    }

    [Fact]
    public async Task A_revision_that_drops_most_objects_keeps_its_CronJob_on_schedule_while_the_guard_holds_it()
    {
        var (cron, job) = (Instance.Name("ghp-c"), Instance.Name("ghp-j"));
        Repo.Write("readme.txt", "jobs\n");
        Repo.Write("jobs.yaml", JobContainers.CronJob(cron, "*/2 * * * * *", "echo tick", "  successfulJobsHistoryLimit: 2\n") + "---\n" + JobContainers.Job(job, "echo done"));
        var commit = Repo.CommitAndPush("group and jobs");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", commit);
        await Eventually.ReturnsAsync(() => JobContainers.ListAsync(Instance, cron), l => l.Any(c => c.Status == "exited"), TimeSpan.FromSeconds(120), "a run of the CronJob");

        Repo.Delete("jobs.yaml");
        Repo.CommitAndPush("drop the jobs"); // 2 of the 3 managed objects (the GitRepository and the jobs): held
        await Agent.WaitForConditionAsync(cron, ConditionTypes.PruneBlocked, "True", within: TimeSpan.FromSeconds(90), kind: CronJob.KindName);
        var seen = (await JobContainers.ListAsync(Instance, cron)).Select(c => c.Run).ToHashSet();
        await Eventually.ReturnsAsync(() => JobContainers.ListAsync(Instance, cron), l => l.Count(c => !seen.Contains(c.Run) && c.Started is not null) >= 2,
            TimeSpan.FromSeconds(60), "two new runs of the CronJob while its removal is held");
        Assert.Single(await JobContainers.ListAsync(Instance, job));
    }
}
