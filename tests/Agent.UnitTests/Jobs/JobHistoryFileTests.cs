using Agent.Core.Model;
using Agent.Jobs;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Jobs;

/// <summary>A Job history file that parses but is no history of its Job is torn, not "never ran" (probe-15j M2).</summary>
public sealed class JobHistoryFileTests : IDisposable
{
    private readonly string stateDir = Directory.CreateTempSubdirectory("agent-ut-jobs-").FullName;

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"key\":{\"kind\":\"Job\",\"name\":\"migrate\"}}")]
    [InlineData("{\"key\":{\"kind\":\"Job\",\"name\":\"other\"},\"history\":{}}")]
    public void A_file_that_parses_yet_holds_no_history_of_its_job_holds_the_job(string content)
    {
        Directory.CreateDirectory(Path.Combine(stateDir, "jobs"));
        File.WriteAllText(Path.Combine(stateDir, "jobs", "Job-migrate.json"), content);

        var store = new JobHistoryStore(stateDir, NullLogger<JobHistoryStore>.Instance);

        var key = new ObjectKey(Job.KindName, "migrate");
        Assert.Null(store.Get(key));
        Assert.NotNull(store.Lost(key));
        Assert.True(File.Exists(Path.Combine(stateDir, "jobs", "Job-migrate.json.lost")));
        Assert.Single(Directory.GetFiles(Path.Combine(stateDir, "jobs"), "Job-migrate.json.corrupt-*"));
    }

    [Fact]
    public void A_whole_history_is_read()
    {
        Directory.CreateDirectory(Path.Combine(stateDir, "jobs"));
        File.WriteAllText(Path.Combine(stateDir, "jobs", "Job-migrate.json"), "{\"key\":{\"kind\":\"Job\",\"name\":\"migrate\"},\"history\":{\"lastSuccessfulTime\":\"2026-03-01T12:00:00+00:00\"}}");

        var store = new JobHistoryStore(stateDir, NullLogger<JobHistoryStore>.Instance);

        var key = new ObjectKey(Job.KindName, "migrate");
        Assert.NotNull(store.Get(key)?.History.LastSuccessfulTime);
        Assert.Null(store.Lost(key));
    }

    [Fact]
    public void A_lost_history_is_marked_through_the_shared_lost_record_and_forgotten_with_its_job()
    {
        var store = new JobHistoryStore(stateDir, NullLogger<JobHistoryStore>.Instance);
        var key = new ObjectKey(Job.KindName, "migrate");
        store.Started.Record("migrate");

        store.MarkLost(key, "it is gone while the ledger says the Job started");

        var marker = Path.Combine(stateDir, "jobs", "Job-migrate.json.lost");
        Assert.Contains("starts no run", File.ReadAllText(marker));
        Assert.Equal(File.ReadAllText(marker).Trim(), store.Lost(key));
        Assert.Empty(Directory.GetFiles(Path.Combine(stateDir, "jobs"), "*.corrupt-*")); // a file deleted whole has nothing to keep aside
        Assert.False(store.Started.Contains("migrate")); // deleting the marker lets it run

        store.Remove(key);
        Assert.False(File.Exists(marker));
        Assert.Null(store.Lost(key));
    }

    public void Dispose() => Directory.Delete(stateDir, recursive: true);
}
