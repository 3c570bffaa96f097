using Agent.Core.Model;
using Agent.Status;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Status;

/// <summary>probe-36: after a restart while the engine never answered, AGE counted from the restart; when the agent first
/// saw each object is kept in the state dir.</summary>
public sealed class FirstSeenTests : IDisposable
{
    private readonly DirectoryInfo state = Directory.CreateTempSubdirectory("agent-first-seen-");
    private static readonly ObjectKey Web = new("ServiceGroup", "web");
    private static readonly DateTimeOffset Monday = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    public void Dispose() => state.Delete(recursive: true);

    private FirstSeen Open() => new(state.FullName, NullLogger<FirstSeen>.Instance);

    private async Task SavedAsync()
    {
        var file = Path.Combine(state.FullName, FirstSeen.FileName);
        var before = File.Exists(file) ? File.ReadAllText(file) : null;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && (File.Exists(file) ? File.ReadAllText(file) : null) == before) await Task.Delay(50);
    }

    [Fact]
    public async Task The_first_time_an_object_was_seen_is_kept_across_a_restart_and_forgotten_with_the_object()
    {
        var first = Open();
        Assert.Equal(Monday, first.Of(Web, Monday));
        Assert.Equal(Monday, first.Of(Web, Monday.AddDays(1)));
        await SavedAsync();

        var restarted = Open();
        Assert.Equal(Monday, restarted.Of(Web, Monday.AddDays(2)));
        var store = new StatusStore(TimeProvider.System, restarted);
        Assert.Equal(Monday, store.Update(Web, s => s).Since);

        store.Remove(Web);
        await SavedAsync();
        Assert.Equal(Monday.AddDays(3), Open().Of(Web, Monday.AddDays(3)));
    }

    [Fact]
    public void An_older_container_lowers_the_first_sight_and_a_newer_one_does_not()
    {
        var record = Open();
        var store = new StatusStore(TimeProvider.System, record);
        store.Update(Web, s => s); // seen now
        store.Update(Web, s => s with { Since = StatusStore.Earliest(s.Since, [Monday]) }); // its container is older
        Assert.Equal(Monday, record.Of(Web, DateTimeOffset.UtcNow));
        store.Update(Web, s => s with { Since = StatusStore.Earliest(s.Since, [Monday.AddDays(5)]) });
        Assert.Equal(Monday, record.Of(Web, DateTimeOffset.UtcNow));
    }

    /// <summary>probe-39: after a restart the first status carried its containers' creation (the last recreate) or a
    /// source's start time, and the record was not asked: AGE fell from 46 s to 16 s.</summary>
    [Fact]
    public async Task A_first_status_after_a_restart_that_carries_a_later_time_keeps_the_recorded_age()
    {
        var first = Open();
        first.Of(Web, Monday);
        await SavedAsync();

        var store = new StatusStore(TimeProvider.System, Open());
        var recreated = Monday.AddHours(2);
        Assert.Equal(Monday, store.Update(Web, s => s with { Since = StatusStore.Earliest(s.Since, [recreated]) }).Since);

        var repo = new ObjectKey("GitRepository", "infra");
        var started = Monday.AddHours(3);
        var record = Open();
        store = new StatusStore(TimeProvider.System, record);
        Assert.Equal(started, store.Update(repo, s => s with { Since = started }).Since); // new to the record: recorded
        Assert.Equal(started, record.Of(repo, Monday.AddDays(1)));
    }

    /// <summary>probe-39: a GitRepository's AGE was the agent's start, and it had no record.</summary>
    [Fact]
    public async Task A_git_repositorys_age_is_recorded_kept_across_a_restart_and_forgotten_only_with_its_manifest()
    {
        var repo = new GitRepository(new ObjectMetadata("infra", new Dictionary<string, string>(), new Dictionary<string, string>()),
            new GitRepositorySpec { Url = "file:///r.git" }, new SourceLocation("infra.yaml", 1, 1));
        var key = new ObjectKey("GitRepository", "infra");
        var first = Open();
        first.Of(key, Monday);
        await SavedAsync();

        var record = Open();
        var store = new Agent.Sources.GitRepositoryStatusStore(TimeProvider.System, record);
        Assert.Equal(Monday, store.Update(repo, s => s).Since);
        store.Remove("infra", deleted: false); // held: its manifest is broken
        Assert.Equal(Monday, store.Update(repo, s => s).Since);
        store.Remove("infra", deleted: true);
        Assert.Equal(Monday.AddDays(1), record.Of(key, Monday.AddDays(1)));
    }

    [Fact]
    public void A_record_that_cannot_be_read_starts_empty()
    {
        File.WriteAllText(Path.Combine(state.FullName, FirstSeen.FileName), "{ not json");
        Assert.Equal(Monday, Open().Of(Web, Monday));
    }
}
