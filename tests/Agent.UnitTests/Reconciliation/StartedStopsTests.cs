using Agent.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Reconciliation;

/// <summary>probe-39 (MEDIUM): a record of a stop in user-stops.json ends when its container starts, however that start is
/// seen. An agent killed -9 right after it started a group's replicas (an API start) left their "agent" records with the
/// containers running; no start event ever reached an agent, the records stayed for good, and a user's later docker stop
/// of such a replica was read as the agent's own stop (<see cref="UserStops.IsOwnStop"/>) and undone under
/// unless-stopped. A listing that finds the container running since the record ends it
/// (<see cref="UserStops.EndIfStartedSince"/>), unless that stop is still under way.</summary>
public sealed class StartedStopsTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-started-stops-");
    private readonly Agent.State.UnsavedRecords unsaved = new(TimeProvider.System, NullLogger.Instance);
    private static readonly string ByAgent = new('a', 64), ByApi = new('b', 64), ByEngine = new('c', 64), ByShutdown = new('d', 64), Landing = new('e', 64);
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 20, 0, 0, TimeSpan.Zero);

    public void Dispose()
    {
        unsaved.Dispose();
        dir.Delete(recursive: true);
    }

    private string File => Path.Combine(dir.FullName, UserStops.FileName);

    private UserStops Stops() => new(dir.FullName, TimeProvider.System, NullLogger<UserStops>.Instance, unsaved);

    [Theory]
    [InlineData(false, true, true)] // an earlier run's record, its container running and no stop of it under way: the start ended it
    [InlineData(true, true, false)] // the engine's kill came after the container's start: the stop is still landing
    [InlineData(false, false, false)] // the engine's events not looked at yet: whether a stop is under way is not known
    public void A_record_an_earlier_run_made_ends_at_a_seen_start_unless_its_stop_is_under_way(bool stopInFlight, bool judged, bool ended) =>
        Assert.Equal(ended, UserStops.EndedByStart(recordedAt: null, Start, stopInFlight, judged));

    [Fact]
    public void A_record_this_run_made_ends_only_at_a_start_after_it()
    {
        Assert.True(UserStops.EndedByStart(Start, Start.AddMilliseconds(1), stopInFlight: false, earlierStopsJudged: false));
        Assert.True(UserStops.EndedByStart(Start, Start.AddSeconds(5), stopInFlight: true, earlierStopsJudged: true)); // stopped, then started
        // Recorded after the container's start: a stop asked (its grace runs) or about to be asked, a docker stop -t 60 seen.
        Assert.False(UserStops.EndedByStart(Start, Start.AddSeconds(-5), stopInFlight: false, earlierStopsJudged: true));
        Assert.False(UserStops.EndedByStart(Start, Start, stopInFlight: false, earlierStopsJudged: true));
    }

    [Fact]
    public void Stale_records_of_every_kind_left_by_a_killed_agent_end_when_their_containers_are_seen_running()
    {
        System.IO.File.WriteAllText(File, $$"""{"{{ByAgent}}":"agent","{{ByApi}}":"api","{{ByEngine}}":"engine","{{ByShutdown}}":"shutdown","{{Landing}}":"agent"}""");
        var stops = Stops();
        Assert.True(stops.IsOwnStop(ByAgent, null)); // so a user's docker stop of it read as the agent's own (the bug)
        stops.MarkStopInFlight(Landing); // the engine's kill of it came after its start (EngineStartStops)

        var started = DateTimeOffset.UtcNow.AddMinutes(-1); // started by the killed agent, before this one ran
        Assert.Null(stops.EndIfStartedSince(ByAgent, started, earlierStopsJudged: false)); // not before the events were looked at
        Assert.Equal(UserStops.ByAgent, stops.EndIfStartedSince(ByAgent, started, earlierStopsJudged: true));
        Assert.Equal(UserStops.ByApi, stops.EndIfStartedSince(ByApi, started, earlierStopsJudged: true));
        Assert.Equal(UserStops.ByEngine, stops.EndIfStartedSince(ByEngine, started, earlierStopsJudged: true));
        Assert.Equal(UserStops.ByShutdown, stops.EndIfStartedSince(ByShutdown, started, earlierStopsJudged: true));
        Assert.Null(stops.EndIfStartedSince(Landing, started, earlierStopsJudged: true));
        Assert.Null(stops.EndIfStartedSince(new string('f', 64), started, earlierStopsJudged: true)); // no record

        Assert.False(stops.IsOwnStop(ByAgent, null)); // a user's docker stop of it now is the user's
        Assert.Null(stops.Reason(ByApi));
        Assert.False(stops.StoppedWithEngine(ByShutdown));
        Assert.Equal(StopUnderWayBy.Agent, stops.StopUnderWay(Landing, null));
        Assert.Equal($$"""{"{{Landing}}":"agent"}""", System.IO.File.ReadAllText(File));
        Assert.False(Stops().IsOwnStop(ByAgent, null)); // and across a restart
    }

    [Fact]
    public void A_stop_this_run_records_for_a_running_container_is_kept_until_it_started_after_it()
    {
        var stops = Stops();
        var startedBefore = DateTimeOffset.UtcNow.AddSeconds(-10);
        stops.MarkOwn(ByAgent, TimeSpan.FromSeconds(30)); // the agent asks a stop; the container runs through its grace
        stops.RecordSeen(ByEngine, UserStops.ByEngine); // a docker stop -t 60 seen at its kill event
        stops.RecordApiStop(ByApi);
        foreach (var id in new[] { ByAgent, ByEngine, ByApi }) Assert.Null(stops.EndIfStartedSince(id, startedBefore, earlierStopsJudged: true));
        Assert.True(stops.IsOwnStop(ByAgent, null));
        Assert.Equal(UserStops.ByEngine, stops.Reason(ByEngine));

        var startedAfter = DateTimeOffset.UtcNow.AddMilliseconds(1); // the stop landed and the container started again, no event seen
        Assert.Equal(UserStops.ByAgent, stops.EndIfStartedSince(ByAgent, startedAfter, earlierStopsJudged: false));
        Assert.Equal(UserStops.ByEngine, stops.EndIfStartedSince(ByEngine, startedAfter, earlierStopsJudged: false));
        Assert.Equal(UserStops.ByApi, stops.EndIfStartedSince(ByApi, startedAfter, earlierStopsJudged: false));
        Assert.False(stops.IsOwnStop(ByAgent, null)); // the agent's mark of that stop is over too
        Assert.Equal(StopUnderWayBy.None, stops.StopUnderWay(ByApi, null));
        Assert.Equal("{}", System.IO.File.ReadAllText(File));
    }
}
