using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Jobs;

/// <summary>probe-30 F15: a new CronJob or Job whose manifest is invalid was listed nowhere but the log (`agent get`,
/// `GET /objects` and describe knew nothing of it), where a ServiceGroup with the same kind of mistake is listed
/// InvalidManifest. Now both are, with the file, line and field.</summary>
public sealed class InvalidJobListingTests : AgentScenario
{
    [Fact]
    public async Task A_new_cronjob_and_job_that_never_read_valid_are_listed_invalid_with_their_errors()
    {
        var (cron, job) = (Instance.Name("cjbad"), Instance.Name("jbad"));
        Agent.Write("cj.yaml", JobContainers.CronJob(cron, "61 * * * *", "true"));
        Agent.Write("j.yaml", JobContainers.Job(job, "true", "  backoffLimit: -3\n"));
        await Agent.StartAsync();
        using var client = Agent.Client(Agent.GeneratedAdminToken);
        var objects = await Eventually.ReturnsAsync(async () => JsonDocument.Parse(await client.GetStringAsync("/api/v1/objects")).RootElement.EnumerateArray().ToList(),
            list => list.Any(o => o.GetProperty("name").GetString() == cron) && list.Any(o => o.GetProperty("name").GetString() == job),
            TimeSpan.FromSeconds(30), "both listed");
        foreach (var (name, kind, field) in new[] { (cron, "CronJob", "spec.schedule"), (job, "Job", "spec.backoffLimit") })
        {
            var o = objects.Single(x => x.GetProperty("name").GetString() == name);
            Assert.Equal(kind, o.GetProperty("kind").GetString());
            var ready = o.GetProperty("conditions").EnumerateArray().Single(c => c.GetProperty("type").GetString() == "Ready");
            Assert.Equal(("False", "InvalidManifest"), (ready.GetProperty("status").GetString(), ready.GetProperty("reason").GetString()));
            Assert.Contains(o.GetProperty("manifestErrors").EnumerateArray(), e => e.GetString()!.Contains(field, StringComparison.Ordinal));
        }
        var env = new Dictionary<string, string> { ["AGENT_Urls"] = Agent.BaseAddress.ToString(), ["AGENT_TOKEN"] = Agent.GeneratedAdminToken };
        var (exit, table, stderr) = await AgentCli.RunAsync(env, "get", "cronjobs");
        Assert.True(exit == 0, stderr);
        Assert.Contains(cron, table);
        Assert.Contains("InvalidManifest", table);
    }
}
