using Agent.Core.Model;
using Agent.Reconciliation;
using Agent.State;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Agent.UnitTests.State;

/// <summary>probe-15j M7: a torn suspended.json or user-stops.json is never "nothing stopped": the file is kept aside,
/// FILE.lost says why, and the agent holds until the operator deletes the marker.</summary>
public sealed class LostRecordTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-lost-");
    private static readonly string Id = new('a', 64), Other = new('b', 64);

    private readonly UnsavedRecords unsaved = new(TimeProvider.System, NullLogger.Instance);

    public void Dispose()
    {
        unsaved.Dispose();
        dir.Delete(recursive: true);
    }

    private string PathOf(string name) => Path.Combine(dir.FullName, name);

    private UserStops Stops() => new(dir.FullName, new FakeTimeProvider(), NullLogger<UserStops>.Instance, unsaved);

    private RuntimeOverrides Overrides() => new(dir.FullName, NullLogger<RuntimeOverrides>.Instance);

    [Theory]
    [InlineData("", "the file is empty")]
    [InlineData("{\"aaaa", "line 1, column")]
    [InlineData("null", "the file holds null, not an object")]
    [InlineData("[]", "line 1, column 2: The JSON value could not be converted")]
    [InlineData("{\"web\": \"api\"}", "\"web\" is not a container id")]
    [InlineData("{\"" + "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" + "\": \"someone\"}", "cccccccccccc is stopped by \"someone\", not api, engine, agent or shutdown")]
    public void A_user_stops_record_that_is_not_what_the_agent_writes_is_torn(string text, string problem)
    {
        var (stops, why) = UserStops.Parse(text);
        Assert.Null(stops);
        Assert.Contains(problem, why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_stops_record_as_the_agent_writes_it_reads_including_the_empty_one()
    {
        Assert.Equal((0, null), (UserStops.Parse("{}").Stops!.Count, UserStops.Parse("{}").Problem));
        var (stops, problem) = UserStops.Parse($"{{\"{Id}\": \"api\", \"{Other}\": \"agent\"}}");
        Assert.Null(problem);
        Assert.Equal("api", stops![Id]);
    }

    [Fact]
    public void The_empty_record_the_agent_writes_reads_back_after_a_restart_as_nothing_stopped_and_is_never_lost()
    {
        var stops = Stops();
        stops.Record(Id, UserStops.ByApi);
        stops.MarkOwn(Other);
        stops.Clear(Id); // started again
        stops.Clear(Other);
        Assert.Equal("{}", File.ReadAllText(PathOf(UserStops.FileName)).Trim()); // what the agent writes when nothing is stopped

        var restarted = Stops();
        Assert.Null(restarted.Lost);
        Assert.False(File.Exists(PathOf("user-stops.json.lost")));
        Assert.Empty(dir.GetFiles("user-stops.json.corrupt-*"));
        Assert.Null(restarted.HeldReason(Id));
        Assert.False(restarted.StoppedByAgent(Other));
        Assert.Equal("{}", File.ReadAllText(PathOf(UserStops.FileName)).Trim()); // kept as it is

        // The same for the suspends record: [] after the last resume.
        var overrides = Overrides();
        overrides.SetSuspended(new ObjectKey(ServiceGroup.KindName, "a"), true);
        overrides.SetSuspended(new ObjectKey(ServiceGroup.KindName, "a"), false);
        Assert.Equal("[]", File.ReadAllText(PathOf(RuntimeOverrides.FileName)).Trim());
        Assert.Null(Overrides().Lost);
        Assert.False(Overrides().IsSuspended(new ObjectKey(ServiceGroup.KindName, "a")));
    }

    [Theory]
    [InlineData("", "the file is empty")]
    [InlineData("{}", "line 1, column 2: The JSON value could not be converted")]
    [InlineData("[\"ServiceGroup/a\"", "line 1, column")]
    [InlineData("null", "the file holds null, not a list of objects")]
    [InlineData("[\"web\"]", "\"web\" names no ServiceGroup, ComposeProject or CronJob")]
    [InlineData("[\"Pod/web\"]", "\"Pod/web\" names no ServiceGroup")]
    [InlineData("[null]", "null names no ServiceGroup")]
    public void A_suspends_record_that_is_not_what_the_agent_writes_is_torn(string text, string problem)
    {
        var (suspended, why) = RuntimeOverrides.Parse(text);
        Assert.Null(suspended);
        Assert.Contains(problem, why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_suspends_record_as_the_agent_writes_it_reads_including_the_empty_one()
    {
        Assert.Empty(RuntimeOverrides.Parse("[]").Suspended!);
        Assert.Equal(3, RuntimeOverrides.Parse("[\"ServiceGroup/a\", \"ComposeProject/shop?volumes=true\", \"CronJob/backup\"]").Suspended!.Count);
    }

    [Fact]
    public void A_torn_user_stops_file_is_kept_aside_marked_and_holds_every_stop_the_agent_did_not_make_until_the_marker_goes()
    {
        File.WriteAllText(PathOf(UserStops.FileName), "{\"" + Id[..30]);
        var stops = Stops();
        Assert.Single(dir.GetFiles("user-stops.json.corrupt-*"));
        Assert.False(File.Exists(PathOf(UserStops.FileName)));
        var marker = File.ReadAllText(PathOf("user-stops.json.lost"));
        Assert.StartsWith("user-stops.json could not be read at ", marker, StringComparison.Ordinal);
        Assert.Contains("it was kept aside as user-stops.json.corrupt-", marker, StringComparison.Ordinal);
        Assert.Contains($"Until {PathOf("user-stops.json.lost")} is deleted the agent starts no stopped container", marker, StringComparison.Ordinal);
        Assert.Equal(marker.Trim(), stops.Lost);

        Assert.Equal(UserStops.ByUnknown, stops.HeldReason(Id)); // stopped before: by whom is unknown
        stops.MarkOwn(Other);                                      // the agent's own stop since (an update): not held
        Assert.Null(stops.HeldReason(Other));
        stops.Record(Id, UserStops.ByApi);                         // a stop recorded since: as recorded
        Assert.Equal(UserStops.ByApi, stops.HeldReason(Id));
        Assert.Equal(UserStops.ByUnknown, stops.HeldReason(new string('c', 64)));

        File.Delete(PathOf("user-stops.json.lost"));               // the operator has looked
        Assert.Null(stops.Lost);
        Assert.Null(stops.HeldReason(new string('c', 64)));
        Assert.Equal(UserStops.ByApi, stops.HeldReason(Id));
        Assert.Null(Stops().Lost);                                 // and the record written since reads at the next start
    }

    [Fact]
    public void The_marker_outlives_a_restart_until_it_is_deleted()
    {
        File.WriteAllText(PathOf(UserStops.FileName), "garbage");
        _ = Stops();
        Assert.NotNull(Stops().Lost);                              // the next start: the file is gone, the marker holds
        File.WriteAllText(PathOf(RuntimeOverrides.FileName), "{}");
        _ = Overrides();
        Assert.Contains("Until ", Overrides().Lost, StringComparison.Ordinal);
    }

    [Fact]
    public void A_torn_suspends_file_is_kept_aside_marked_and_suspends_nothing_new()
    {
        File.WriteAllText(PathOf(RuntimeOverrides.FileName), "{}");
        var overrides = Overrides();
        Assert.Single(dir.GetFiles("suspended.json.corrupt-*"));
        Assert.Contains("every ServiceGroup and ComposeProject is kept as it runs", File.ReadAllText(PathOf("suspended.json.lost")), StringComparison.Ordinal);
        Assert.NotNull(overrides.Lost);
        Assert.False(overrides.IsSuspended(new ObjectKey(ServiceGroup.KindName, "a"))); // the hold is the reconciler's: nothing is stopped on a guess
        overrides.SetSuspended(new ObjectKey(ServiceGroup.KindName, "a"), true);       // a stop made since is recorded as usual
        Assert.Equal("[\"ServiceGroup/a\"]\n", File.ReadAllText(PathOf(RuntimeOverrides.FileName)));
        File.Delete(PathOf("suspended.json.lost"));
        Assert.Null(overrides.Lost);
    }

    [Fact]
    public void A_fresh_state_dir_has_nothing_lost()
    {
        Assert.Null(Stops().Lost);
        Assert.Null(Overrides().Lost);
        Assert.Null(Stops().HeldReason(Id));
        Assert.Empty(dir.GetFiles());
    }

    [Fact]
    public void A_command_that_only_looks_holds_in_memory_and_leaves_the_torn_files_in_place()
    {
        File.WriteAllText(PathOf(UserStops.FileName), "garbage");
        File.WriteAllText(PathOf(RuntimeOverrides.FileName), "garbage");
        using (StateFile.LookOnly())
        {
            Assert.NotNull(Stops().Lost);
            Assert.NotNull(Overrides().Lost);
        }
        Assert.Equal(["suspended.json", "user-stops.json"], dir.GetFiles().Select(f => f.Name).Order(StringComparer.Ordinal));
        Assert.Equal("garbage", File.ReadAllText(PathOf(UserStops.FileName)));
    }
}
