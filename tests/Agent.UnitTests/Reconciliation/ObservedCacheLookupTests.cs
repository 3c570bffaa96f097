using System.Collections.Concurrent;
using System.Reflection;
using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Reconciliation;

/// <summary>issue 16: a burst of starts (a cold converge of 1,000 containers) cost one inspect per start; the cache looks
/// them up together in one list call and inspects only those the list cannot stand for.</summary>
public sealed class ObservedCacheLookupTests
{
    private static readonly AgentLabels Labels = new("unit");

    private static string Id(char c) => new(c, 64);

    /// <summary>An engine whose first container list is the test's; its lookups by id and inspects are recorded.</summary>
    public class RecordingEngine : DispatchProxy
    {
        public IReadOnlyList<ContainerSummary> Listed { get; set; } = [];
        public IReadOnlyList<ContainerSummary> LookedUp { get; set; } = [];
        public Dictionary<string, ContainerDetails> Details { get; } = new(StringComparer.Ordinal);
        public ConcurrentQueue<IReadOnlyCollection<string>> Lookups { get; } = new();
        public ConcurrentQueue<string> Inspects { get; } = new();

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            switch (method!.Name)
            {
                case nameof(IContainerEngine.ListContainersAsync): return Task.FromResult(Listed);
                case nameof(IContainerEngine.ListNetworksAsync): return Task.FromResult<IReadOnlyList<NetworkSummary>>([]);
                case nameof(IContainerEngine.ListVolumesAsync): return Task.FromResult<IReadOnlyList<VolumeSummary>>([]);
                case nameof(IContainerEngine.ListContainersByIdAsync):
                    var ids = ((IReadOnlyCollection<string>)args![0]!).ToList();
                    Lookups.Enqueue(ids);
                    return Task.FromResult<IReadOnlyList<ContainerSummary>>(LookedUp.Where(c => ids.Contains(c.Id)).ToList());
                case nameof(IContainerEngine.InspectContainerAsync):
                    var id = (string)args![0]!;
                    Inspects.Enqueue(id);
                    return Task.FromResult(Details.GetValueOrDefault(id));
                default: throw new NotSupportedException(method.Name);
            }
        }
    }

    private static ContainerSummary Summary(string id, ContainerState state, bool binds = false) =>
        new(id, "g-web-" + id[0], "busybox", state, HealthState.None, ContainerSummary.StatusOf(state, null), null, DateTimeOffset.UnixEpoch, Labels.ForInstance())
        {
            HasBinds = binds,
        };

    private static ContainerDetails Inspected(string id) => new(id, "g-web-" + id[0], "busybox", "sha256:1", ContainerState.Running, HealthState.Starting, null, false, 0,
        DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow, null, null, Labels.ForInstance(), [], [], new Dictionary<string, string>(), [])
    {
        Pid = 42,
    };

    private static EngineEvent Start(string id) =>
        new("container", "start", id, new Dictionary<string, string>(Labels.ForInstance()) { ["name"] = "g-web-" + id[0] }, DateTimeOffset.UtcNow);

    private static async Task<(ObservedCache Cache, RecordingEngine Engine)> CreatedAsync(params string[] ids)
    {
        var proxy = DispatchProxy.Create<IContainerEngine, RecordingEngine>();
        var engine = (RecordingEngine)(object)proxy;
        engine.Listed = ids.Select(id => Summary(id, ContainerState.Created)).ToList();
        var cache = new ObservedCache(proxy, Labels, new OwnCreates(), NullLogger<ObservedCache>.Instance);
        cache.StreamStarted();
        await cache.RelistAsync("start", CancellationToken.None);
        return (cache, engine);
    }

    /// <summary>Runs the cache's look loop until every queued look and the inspects it leads to are done.</summary>
    private static async Task<List<string>> LookAsync(ObservedCache cache, RecordingEngine engine, int inspects, int lookups = 0)
    {
        var checkedRunning = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var loop = cache.RunInspectionsAsync(d =>
        {
            checkedRunning.Enqueue(d.Id);
            return Task.CompletedTask;
        }, stop.Token);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((cache.QueuedInspections > 0 || engine.Inspects.Count < inspects || engine.Lookups.Count < lookups) && DateTime.UtcNow < deadline) await Task.Delay(10);
        await Task.Delay(50); // an inspect answered is applied right after
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
        return checkedRunning.ToList();
    }

    [Fact]
    public async Task Starts_queued_together_are_looked_up_in_one_list_call_and_only_those_the_list_cannot_stand_for_are_inspected()
    {
        var (plain, bound, lagging, gone) = (Id('a'), Id('b'), Id('c'), Id('d'));
        var (cache, engine) = await CreatedAsync(plain, bound, lagging, gone);
        foreach (var id in new[] { plain, bound, lagging, gone }) cache.Apply(Start(id));
        Assert.Equal(4, cache.QueuedInspections);
        engine.LookedUp =
        [
            Summary(plain, ContainerState.Running),
            Summary(bound, ContainerState.Running, binds: true), // its bind check needs the inspect's pid
            Summary(lagging, ContainerState.Created), // the list's view has not caught up with the start event yet
        ];
        engine.Details[bound] = Inspected(bound);
        engine.Details[lagging] = Inspected(lagging);

        var checkedRunning = await LookAsync(cache, engine, inspects: 2);

        Assert.Equal([[plain, bound, lagging, gone]], engine.Lookups.Select(l => l.ToList()).ToList());
        Assert.Equal([bound, lagging], engine.Inspects.Order().ToList());
        Assert.Equal([bound, lagging], checkedRunning.Order().ToList());
        var looked = cache.Container(plain)!;
        Assert.Equal((ContainerState.Running, HealthState.None, false), (looked.State, looked.Health, looked.HealthUnknown));
        Assert.Equal(HealthState.Starting, cache.Container(bound)!.Health);
        Assert.Equal((ContainerState.Running, HealthState.Starting), (cache.Container(lagging)!.State, cache.Container(lagging)!.Health));
        Assert.Null(cache.Container(gone));
    }

    [Fact]
    public async Task A_start_queued_alone_is_inspected_without_a_list_call()
    {
        var only = Id('e');
        var (cache, engine) = await CreatedAsync(only);
        cache.Apply(Start(only));
        engine.Details[only] = Inspected(only);

        var checkedRunning = await LookAsync(cache, engine, inspects: 1);

        Assert.Empty(engine.Lookups);
        Assert.Equal([only], engine.Inspects.ToList());
        Assert.Equal([only], checkedRunning);
        Assert.Equal((ContainerState.Running, false), (cache.Container(only)!.State, cache.Container(only)!.HealthUnknown));
    }

    [Fact]
    public async Task A_container_the_list_still_shows_running_after_its_die_event_is_inspected_not_taken_from_the_list()
    {
        var (died, running) = (Id('f'), Id('g'));
        var (cache, engine) = await CreatedAsync(died, running);
        cache.Apply(Start(died));
        cache.Apply(Start(running));
        cache.Apply(new EngineEvent("container", "die", died,
            new Dictionary<string, string>(Labels.ForInstance()) { ["name"] = "g-web-f", ["exitCode"] = "1" }, DateTimeOffset.UtcNow.AddMilliseconds(1)));
        // Engine 20.10 sends "die" before its list's view shows the exit.
        engine.LookedUp = [Summary(died, ContainerState.Running), Summary(running, ContainerState.Running)];
        engine.Details[died] = Inspected(died) with { State = ContainerState.Exited, Pid = 0, ExitCode = 1 };

        await LookAsync(cache, engine, inspects: 1);

        Assert.Equal([died], engine.Inspects.ToList());
        Assert.Equal((ContainerState.Exited, 1), (cache.Container(died)!.State, cache.Container(died)!.ExitCode));
        Assert.Equal(ContainerState.Running, cache.Container(running)!.State);
    }

    [Fact]
    public async Task A_start_the_agent_expected_is_ready_at_its_event_without_an_inspect_and_starts_of_a_second_are_confirmed_in_one_call()
    {
        var (plain, checkedOne, other) = (Id('h'), Id('i'), Id('j'));
        var (cache, engine) = await CreatedAsync(plain, checkedOne, other);
        cache.ExpectStart(plain, HealthState.None);
        cache.ExpectStart(checkedOne, HealthState.Starting);
        foreach (var id in new[] { plain, checkedOne, other }) cache.Apply(Start(id));

        // At once, from the event: no call needed to know the first is ready and the second is not yet.
        Assert.Equal((ContainerState.Running, HealthState.None, false), (cache.Container(plain)!.State, cache.Container(plain)!.Health, cache.Container(plain)!.HealthUnknown));
        Assert.Equal((HealthState.Starting, false), (cache.Container(checkedOne)!.Health, cache.Container(checkedOne)!.HealthUnknown));
        Assert.True(cache.Container(other)!.HealthUnknown); // not expected: its inspect tells
        Assert.Equal(1, cache.QueuedInspections);

        var network = new HashSet<string>(StringComparer.Ordinal) { "net-1" };
        engine.LookedUp =
        [
            Summary(plain, ContainerState.Running) with { NetworkIds = network },
            Summary(checkedOne, ContainerState.Running) with { Health = HealthState.Starting },
        ];
        engine.Details[other] = Inspected(other);
        await LookAsync(cache, engine, inspects: 1, lookups: 1);

        Assert.Equal([other], engine.Inspects.ToList());
        Assert.Equal([[plain, checkedOne]], engine.Lookups.Select(l => l.Order().ToList()).ToList());
        Assert.Equal(network, cache.Container(plain)!.NetworkIds); // what only a look tells, from the confirmation
    }

    [Fact]
    public async Task An_expected_health_the_confirmation_contradicts_is_corrected_from_the_list()
    {
        // The image's reference was re-pointed to one with a healthcheck between the agent's look at it and the create.
        var repointed = Id('k');
        var (cache, engine) = await CreatedAsync(repointed);
        cache.ExpectStart(repointed, HealthState.None);
        cache.Apply(Start(repointed));
        engine.LookedUp = [Summary(repointed, ContainerState.Running) with { Health = HealthState.Starting }];

        await LookAsync(cache, engine, inspects: 0, lookups: 1);

        Assert.Equal(HealthState.Starting, cache.Container(repointed)!.Health);
        Assert.Empty(engine.Inspects);
    }
}
