using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Sockets;
using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;
using Agent.Sources;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Bench;

/// <summary>The observed-state cache at scale: a no-op resync (one list per resource type, then every object planned
/// from the cache), a folder of 5,000 objects, a cold converge beside the raw Engine API, and the engine's own list call
/// as the peer of GET /api/v1/containers.</summary>
public sealed partial class Bench
{
    /// <summary>How many containers the sections that take a count create: AGENT_BENCH_SCALE, 100 unless set. A value
    /// that is not a positive whole number stops the bench rather than measuring another scale than the one asked for.</summary>
    public static int Scale => Environment.GetEnvironmentVariable("AGENT_BENCH_SCALE") is not { Length: > 0 } text ? 100
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
        : throw new ArgumentException($"AGENT_BENCH_SCALE={text}: expected a positive whole number of containers (e.g. 100, 1000)");

    /// <summary>Counts the agent's engine calls (the agent.engine.calls instrument) while <paramref name="body"/> runs.</summary>
    private static async Task<(double Ms, long Calls)> CountCallsAsync(Func<Task> body)
    {
        var measured = await CountCallsByOperationAsync(body);
        return (measured.Ms, measured.Calls.Values.Sum());
    }

    /// <summary>Wall-clock time, this process's CPU time, and the engine calls by operation (container_create, ...)
    /// while <paramref name="body"/> runs: calls and CPU time are work, which a loaded machine does not inflate.</summary>
    private static async Task<Measured> CountCallsByOperationAsync(Func<Task> body)
    {
        var calls = new System.Collections.Concurrent.ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EngineMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var operation = "?";
            foreach (var tag in tags)
                if (tag.Key == "operation") operation = tag.Value?.ToString() ?? "?";
            calls.AddOrUpdate(operation, value, (_, n) => n + value);
        });
        listener.Start();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await body();
        var elapsed = clock.Elapsed.TotalMilliseconds;
        return new Measured(elapsed, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds, calls.ToDictionary(StringComparer.Ordinal));
    }

    /// <summary>The median wall time of 5 runs of <paramref name="body"/>.</summary>
    private static async Task<double> MedianMsAsync(Func<Task> body)
    {
        var times = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var clock = Stopwatch.StartNew();
            await body();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return times.Order().ElementAt(2);
    }

    private sealed record Measured(double Ms, double CpuMs, IReadOnlyDictionary<string, long> Calls);

    /// <summary>Waits (at most 60 s) for a 2 s window in which this process makes no engine call.</summary>
    private static async Task<string> QuietAsync()
    {
        var clock = Stopwatch.StartNew();
        long seen = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var window = await CountCallsAsync(() => Task.Delay(TimeSpan.FromSeconds(2)));
            if (window.Calls == 0) return $"measured after {clock.Elapsed.TotalSeconds:0} s without engine calls ({seen} calls while waiting)";
            seen += window.Calls;
        }
        return $"the agent was never quiet for 2 s in 60 s ({seen} calls while waiting)";
    }

    /// <summary>What one periodic resync does: the cache's listing, then a reconcile of every object (4 workers).</summary>
    private static async Task ResyncAsync(IServiceProvider services)
    {
        await services.GetRequiredService<ObservedCache>().RelistAsync("resync", default);
        await ReconcileAllAsync(services);
    }

    /// <summary>The planning half of a resync: a reconcile of every object from the cache as it is (4 workers).</summary>
    private static async Task ReconcileAllAsync(IServiceProvider services)
    {
        var reconciler = services.GetRequiredService<Reconciler>();
        var keys = services.GetRequiredService<ManifestStore>().All().Select(e => e.Key).ToList();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (key, ct) => await reconciler.ReconcileAsync(key, ct));
    }

    /// <summary>Cold converge of <paramref name="count"/> containers (groups of 100) by the running agent beside the raw
    /// Engine API at the same parallelism; then no-op resyncs of them from the cache, beside the per-object listing.
    /// Beside each time: its engine calls and this process's CPU time (the agent runs in it), which a loaded machine does
    /// not inflate the way it does wall-clock time.</summary>
    public async Task ScaleAsync(int count)
    {
        Report.Line($"scale: {count} containers ...");
        var scenario = $"scale, {count} containers";
        // The raw peer is measured before and after the agent and the mean taken, as in the cold converge section: this
        // engine's pace drifts more within one run than the 5 % the goal allows.
        // AGENT_BENCH_SCALE_RAW=0: the resync rows only, without the two raw converges (at 1,000, some 25 of the 40 minutes).
        var withRaw = Environment.GetEnvironmentVariable("AGENT_BENCH_SCALE_RAW") != "0";
        var rawBefore = withRaw ? await RawConvergeAsync(count, Parallelism) : double.NaN;
        var rawWork = lastRaw;
        var rawLoad = Row.LoadAverage();
        var convergeAt = results.Count;
        Func<RawPair?, Row>? convergeRows = null;

        var dir = Folder();
        var replicas = GroupsOf100(count);
        var groups = replicas.Count;
        var instance = $"{run}-scale";
        WebApplication? app = null;
        try
        {
            // One reconcile worker with the raw peer's parallelism: at most 8 engine calls in flight, as in the raw run
            // (the default 4 workers would run 4 groups at once, 32 calls in flight). Waiting reads the agent's own cache:
            // the bench's polling would add engine calls (and CPU) to the agent's count.
            var converge = await CountCallsByOperationAsync(async () =>
            {
                for (var g = 0; g < groups; g++)
                    await File.WriteAllTextAsync(Path.Combine(dir, $"g{g}.yaml"), GroupYaml($"{instance}-{g}", 1, replicas[g]));
                app = await StartAgentAsync(dir, instance, new()
                {
                    ["Agent:ResyncInterval"] = "01:00:00",
                    ["Agent:Workers"] = "1",
                    ["Agent:Parallelism"] = Parallelism.ToString(CultureInfo.InvariantCulture),
                });
                var cache = app.Services.GetRequiredService<ObservedCache>();
                var allowed = withRaw ? Math.Max(300, rawBefore * 4) : 2 * count; // generous: 4x the raw time on this machine now
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(allowed);
                int Running() => cache.Containers.Count(c => c.State == ContainerState.Running);
                while (Running() < count)
                {
                    if (DateTime.UtcNow > deadline) throw new TimeoutException($"{Running()} of {count} containers of {instance} running after {allowed:0} s");
                    await Task.Delay(200);
                }
            });
            var running = (await engine.ListContainersAsync(LabelSelector.Of($"agent.instance={instance}"), default)).Count(c => c.State == ContainerState.Running);
            var agent = converge.Ms / 1000;
            var agentLoad = Row.LoadAverage();
            convergeRows = raw => new Row(scenario, $"cold converge: agent ({groups} group(s) one after another, {Parallelism} at a time)", F(agent),
                (raw is null ? "no raw peer in this run (AGENT_BENCH_SCALE_RAW=0); "
                    : $"{(agent / raw.Mean - 1) * 100:+0;-0} % vs raw (goal <= +5 %), {(agent / raw.Faster - 1) * 100:+0;-0} % vs the faster raw run; ") +
                $"start to all running; {running} running per the engine; {Describe(converge)}") { Load = agentLoad };

            // The converge's last start events may still be arriving (each one an inspect by the cache): wait until the
            // agent makes no engine call for 2 s, so the resyncs below count only what a resync itself does.
            var quiet = await QuietAsync();
            var cached = new List<Measured>();
            for (var i = 0; i < 5; i++) cached.Add(await CountCallsByOperationAsync(() => ResyncAsync(app!.Services)));
            var median = cached.OrderBy(s => s.Ms).ElementAt(2);
            var calls = cached.Select(c => c.Calls.Values.Sum()).Distinct().ToList();
            results.Add(new Row(scenario, "no-op resync: agent, from the cache (median of 5)", Ms(median.Ms),
                $"{string.Join("/", calls)} engine calls for {groups} object(s) in each of the 5 ({Describe(median.Calls)}; goal <= 200 ms; " +
                $"constant: 3, one list per resource type); {quiet}"));

            // Where a resync's time goes: the listing alone, and the planning alone (from the cache, no engine call).
            var listings = new List<Measured>();
            var plannings = new List<Measured>();
            for (var i = 0; i < 5; i++)
            {
                listings.Add(await CountCallsByOperationAsync(() => app!.Services.GetRequiredService<ObservedCache>().RelistAsync("resync", default)));
                plannings.Add(await CountCallsByOperationAsync(() => ReconcileAllAsync(app!.Services)));
            }
            var listing = listings.OrderBy(s => s.Ms).ElementAt(2);
            var planning = plannings.OrderBy(s => s.Ms).ElementAt(2);
            results.Add(new Row(scenario, "no-op resync, of which: the cache's listing (median of 5)", Ms(listing.Ms), $"CPU {listing.CpuMs:0} ms; {Describe(listing.Calls)}"));
            results.Add(new Row(scenario, $"no-op resync, of which: planning {groups} object(s) (median of 5)", Ms(planning.Ms), $"CPU {planning.CpuMs:0} ms; {planning.Calls.Values.Sum()} engine calls"));

            var observer = app!.Services.GetRequiredService<EngineObserver>();
            var keys = app.Services.GetRequiredService<ManifestStore>().All().Select(e => e.Key).ToList();
            var fresh = await CountCallsAsync(() => Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 4 },
                async (key, ct) => await observer.ObserveFreshAsync(key, ct)));
            results.Add(new Row(scenario, "no-op resync: observe per object (before the cache)", Ms(fresh.Ms), $"{fresh.Calls} engine calls: 3 list calls per object, no planning"));
            // The engine's own lists, through the same adapter, each alone and then the three at once as the cache sends them:
            // what of the listing is the engine's answer and what the agent adds.
            var selector = LabelSelector.Of($"agent.instance={instance}");
            var containersAlone = await MedianMsAsync(() => engine.ListContainersAsync(selector, default));
            var networksAlone = await MedianMsAsync(() => engine.ListNetworksAsync(selector, default));
            var volumesAlone = await MedianMsAsync(() => engine.ListVolumesAsync(selector, default));
            var together = await MedianMsAsync(() => Task.WhenAll(engine.ListContainersAsync(selector, default), engine.ListNetworksAsync(selector, default),
                engine.ListVolumesAsync(selector, default)));
            results.Add(new Row(scenario, "raw Engine API: one label-filtered container list (median of 5)", Ms(containersAlone), "the least any observer can do"));
            results.Add(new Row(scenario, "raw Engine API: the network list, the volume list (median of 5 each)", $"{Ms(networksAlone)}, {Ms(volumesAlone)}", "each alone"));
            results.Add(new Row(scenario, "raw Engine API: the three lists at once (median of 5)", Ms(together),
                $"as the cache's listing sends them; the listing's {listing.Ms - together:+0;-0} ms beyond this is the agent's"));
        }
        finally
        {
            if (app is not null) await app.StopAsync();
            await CleanAsync(instance);
        }
        if (!withRaw)
        {
            results.Insert(convergeAt, new Row(scenario, "cold converge: raw Engine API", "not run", "AGENT_BENCH_SCALE_RAW=0: the agent's converge has no peer in this run") { Load = rawLoad });
            if (convergeRows is not null) results.Insert(convergeAt + 1, convergeRows(null));
            return;
        }
        // After the agent's containers are gone: each run makes its own containers on an engine without others.
        var raw = new RawPair(rawBefore, await RawConvergeAsync(count, Parallelism));
        results.Insert(convergeAt, new Row(scenario, $"cold converge: raw Engine API ({Parallelism} at a time)", F(raw.Mean),
            $"{raw.Note}; {Describe(rawWork)}") { Load = rawLoad });
        if (convergeRows is not null) results.Insert(convergeAt + 1, convergeRows(raw));
    }

    /// <summary>5,000 objects (suspended groups: nothing runs, nothing is created) planned at each resync.</summary>
    public async Task FolderObjectsAsync(int objects)
    {
        Report.Line($"resync of a folder of {objects} objects ...");
        var dir = Folder();
        var instance = $"{run}-objects";
        for (var f = 0; f < objects / 100; f++)
            await File.WriteAllTextAsync(Path.Combine(dir, $"f{f}.yaml"), string.Join("---\n", Enumerable.Range(0, 100).Select(g =>
                $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: o{f}-{g}\nspec:\n  suspend: true\n  services:\n    - name: s\n      image: {Image}\n      command: [\"sleep\", \"3600\"]\n")));
        var app = await StartAgentAsync(dir, instance, new() { ["Agent:ResyncInterval"] = "01:00:00" });
        try
        {
            var state = app.Services.GetRequiredService<ControllerState>();
            var deadline = DateTime.UtcNow.AddMinutes(10);
            while (!state.FirstSyncDone && DateTime.UtcNow < deadline) await Task.Delay(100);
            var resync = await CountCallsAsync(() => ResyncAsync(app.Services));
            var scenario = $"resync, a folder of {objects} objects";
            results.Add(new Row(scenario, "agent: listing + every object planned from the cache", Ms(resync.Ms), $"{resync.Calls} engine calls (goal: no per-object call)"));
            results.Add(new Row(scenario, "per-object observe (before the cache)", "n/a", $"would be {3 * objects} engine calls"));
        }
        finally
        {
            await app.StopAsync();
            await CleanAsync(instance);
        }
    }

    /// <summary>The engine's own container list at the same concurrency as wrk -c16, for 10 s, straight on its socket.</summary>
    private static async Task<(double Rps, double P50, double P99)> EngineListLoadAsync(string instance)
    {
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint("/var/run/docker.sock"), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
            MaxConnectionsPerServer = 16,
        };
        using var http = new HttpClient(handler) { BaseAddress = new Uri("http://docker") };
        var url = "/v1.41/containers/json?all=1&filters=" + Uri.EscapeDataString($"{{\"label\":[\"agent.instance={instance}\"]}}");
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var end = DateTime.UtcNow.AddSeconds(10);
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (DateTime.UtcNow < end)
            {
                var clock = Stopwatch.StartNew();
                (await http.GetAsync(url)).EnsureSuccessStatusCode();
                latencies.Add(clock.Elapsed.TotalMilliseconds);
            }
        }));
        var sorted = latencies.Order().ToList();
        return (sorted.Count / 10.0, sorted[sorted.Count / 2], sorted[(int)(sorted.Count * 0.99)]);
    }
}
