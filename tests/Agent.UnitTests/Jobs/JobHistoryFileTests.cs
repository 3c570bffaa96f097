using Agent.Core.Jobs;
using Agent.Core.Model;
using Agent.Jobs;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Jobs;

/// <summary>A Job history file that parses but is no history of its Job is torn, not "never ran" (probe-15j M2).</summary>
public sealed class JobHistoryFileTests : IDisposable
{
    private readonly string stateDir = Directory.CreateTempSubdirectory("agent-ut-jobs-").FullName;
    private readonly Agent.State.UnsavedRecords unsaved = new(TimeProvider.System, NullLogger.Instance);

    private JobHistoryStore Store() => new(stateDir, NullLogger<JobHistoryStore>.Instance, unsaved);

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"key\":{\"kind\":\"Job\",\"name\":\"migrate\"}}")]
    [InlineData("{\"key\":{\"kind\":\"Job\",\"name\":\"other\"},\"history\":{}}")]
    [InlineData("{\"broken")]
    public void A_file_that_does_not_hold_a_history_of_its_job_is_torn_and_the_ledger_says_it_started(string content)
    {
        Directory.CreateDirectory(Path.Combine(stateDir, "jobs"));
        File.WriteAllText(Path.Combine(stateDir, "jobs", "Job-migrate.json"), content);

        var store = Store();

        // Not "never ran": the ledger names it, so the runner's first look rebuilds the history from the Job's labelled
        // containers or, with none left, holds it (probe-15l M2: it was held even with its containers there).
        var key = new ObjectKey(Job.KindName, "migrate");
        Assert.Null(store.Get(key));
        Assert.True(store.Started.Contains("migrate"));
        Assert.True(Store().Started.Contains("migrate")); // on disk, before the file went aside
        Assert.Null(store.Lost(key));
        Assert.StartsWith("it was torn: ", store.TornBecause(key));
        Assert.Contains("kept aside as Job-migrate.json.corrupt-", store.TornBecause(key));
        Assert.Single(Directory.GetFiles(Path.Combine(stateDir, "jobs"), "Job-migrate.json.corrupt-*"));
    }

    [Fact]
    public void A_whole_history_is_read()
    {
        Directory.CreateDirectory(Path.Combine(stateDir, "jobs"));
        File.WriteAllText(Path.Combine(stateDir, "jobs", "Job-migrate.json"), "{\"key\":{\"kind\":\"Job\",\"name\":\"migrate\"},\"history\":{\"lastSuccessfulTime\":\"2026-03-01T12:00:00+00:00\"}}");

        var store = Store();

        var key = new ObjectKey(Job.KindName, "migrate");
        Assert.NotNull(store.Get(key)?.History.LastSuccessfulTime);
        Assert.Null(store.Lost(key));
    }

    [Fact]
    public void A_lost_history_is_marked_through_the_shared_lost_record_and_forgotten_with_its_job()
    {
        var store = Store();
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

    [Fact]
    public void A_history_rebuilt_equal_is_neither_written_again_nor_counted_as_work_and_a_changed_or_deleted_one_is()
    {
        // A job's step rebuilds its runs list at every poll: equal in content, never as a record. Each of those steps
        // rewrote the file and counted as work for the memory release.
        var store = Store();
        var key = new ObjectKey(Agent.Core.Model.CronJob.KindName, "tick");
        var file = store.FileOf(key);
        static JobHistory History(string? reason) => new()
        {
            Runs = [new JobRun { Id = "r1", Trigger = RunTriggers.Schedule, Start = DateTimeOffset.UnixEpoch, Reason = reason, Attempts = [new JobAttempt(1, "cid", "tick-r1", DateTimeOffset.UnixEpoch)] }],
        };

        store.Save(new JobRecord(key, History(null)));
        Assert.Equal(1, store.Saves);
        var old = DateTime.UtcNow.AddHours(-1);
        File.SetLastWriteTimeUtc(file, old);

        store.Save(new JobRecord(key, History(null)));
        Assert.Equal(1, store.Saves);
        Assert.Equal(old, File.GetLastWriteTimeUtc(file));

        store.Save(new JobRecord(key, History(RunReasons.Completed)));
        Assert.Equal(2, store.Saves);
        Assert.Contains(RunReasons.Completed, File.ReadAllText(file));

        File.Delete(file); // deleted behind the agent's back: the next step writes it again
        store.Save(new JobRecord(key, History(RunReasons.Completed)));
        Assert.True(File.Exists(file));
    }

    public void Dispose()
    {
        unsaved.Dispose();
        Directory.Delete(stateDir, recursive: true);
    }
}
