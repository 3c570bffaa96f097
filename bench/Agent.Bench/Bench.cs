using System.Diagnostics;
using System.Globalization;
using System.Text;
using Agent.Cli;
using Agent.Core.Model;
using Agent.Engine;
using Agent.Hosting;
using Agent.Reconciliation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Agent.Bench;

public sealed partial class Bench(List<Row> results) : IAsyncDisposable
{
    private const string Image = "busybox:1.35";
    private const int Parallelism = 8;
    private readonly string run = "b" + Guid.NewGuid().ToString("N")[..8];
    private readonly DockerEngine engine = DockerEngine.FromEnvironment();
    private readonly List<string> folders = [];

    private static string F(double seconds) => seconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";
    private static string Ms(double ms) => ms.ToString("0", CultureInfo.InvariantCulture) + " ms";

    /// <summary>The replica counts of the groups that hold <paramref name="containers"/> containers, 100 to a group.</summary>
    private static List<int> GroupsOf100(int containers) =>
        Enumerable.Range(0, (containers + 99) / 100).Select(g => Math.Min(100, containers - g * 100)).ToList();

    private string Folder()
    {
        var dir = Directory.CreateTempSubdirectory("agent-bench-").FullName;
        folders.Add(dir);
        return dir;
    }

    private static string GroupYaml(string name, int services, int replicas = 1)
    {
        var yaml = new StringBuilder($"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {name}\nspec:\n  services:\n");
        for (var i = 0; i < services; i++)
            yaml.Append($"    - name: s{i}\n      image: {Image}\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGKILL\n      replicas: {replicas}\n");
        return yaml.ToString();
    }

    private Task CleanAsync(string instance) => CleanAsync(LabelSelector.Of($"agent.instance={instance}"), _ => true);

    /// <summary>Removes the containers, then the networks, that match <paramref name="selector"/> and whose labels pass
    /// <paramref name="mine"/>.</summary>
    private async Task CleanAsync(LabelSelector selector, Func<IReadOnlyDictionary<string, string>, bool> mine)
    {
        var containers = (await engine.ListContainersAsync(selector, default)).Where(c => mine(c.Labels)).ToList();
        await Parallel.ForEachAsync(containers, new ParallelOptions { MaxDegreeOfParallelism = Parallelism },
            async (c, ct) => await engine.RemoveContainerAsync(c.Id, force: true, ct));
        foreach (var n in (await engine.ListNetworksAsync(selector, default)).Where(n => mine(n.Labels)))
        {
            // The engine releases endpoints a moment after a forced remove returns.
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await engine.RemoveNetworkAsync(n.Id, default);
                    break;
                }
                catch (EngineException) when (attempt < 20)
                {
                    await Task.Delay(250);
                }
                catch (EngineException e)
                {
                    // dockerd 20.10 sometimes keeps a stale endpoint count after concurrent forced removes
                    // (moby/moby#42119); the network is left behind, the measurements are not affected.
                    Report.Error($"warning: the engine keeps network {n.Name}: {e.Message}");
                    break;
                }
            }
        }
    }

    public async Task ColdConvergeAsync(int count)
    {
        Report.Line($"cold converge of {count} services ...");
        // Each row is made right after its measurement: its load column is the load of that moment.
        var scenario = $"cold converge, {count} services";
        // 1. Raw engine API, same parallelism as the agent's executor, and twice that to show where the engine tops out.
        // The peer is measured again after the agent and the mean taken (as the compose section does): this engine's pace
        // drifts within one run (the load column), and one raw run before the agent made the ratio swing 1.06x-1.14x.
        var rawBefore = await RawConvergeAsync(count, Parallelism);
        var rawWork = lastRaw;
        var rawLoad = Row.LoadAverage();
        var rawWide = await RawConvergeAsync(count, Parallelism * 2);
        results.Add(new Row(scenario, $"raw Engine API ({Parallelism * 2} at a time)", F(rawWide), Describe(lastRaw)));

        // 2. The agent: one reconcile of a group of `count` services (observe, plan, execute).
        var dir = Folder();
        var group = $"{run}-cold";
        await File.WriteAllTextAsync(Path.Combine(dir, "g.yaml"), GroupYaml(group, count));
        await using (var services = OneShotServices.Build(dir, run + "-cold", Folder()))
        {
            services.GetRequiredService<Agent.Sources.ManifestStore>().Reload();
            var reconciler = services.GetRequiredService<Reconciler>();
            var agent = await CountCallsByOperationAsync(() => reconciler.ReconcileAsync(new ObjectKey("ServiceGroup", group), default));
            var agentLoad = Row.LoadAverage();
            var running = (await engine.ListContainersAsync(LabelSelector.Of($"agent.instance={run}-cold"), default)).Count(c => c.State == ContainerState.Running);
            await CleanAsync(run + "-cold");
            var raw = new RawPair(rawBefore, await RawConvergeAsync(count, Parallelism));
            results.Add(new Row(scenario, $"raw Engine API ({Parallelism} at a time)", F(raw.Mean), $"{raw.Note}; {Describe(rawWork)}") { Load = rawLoad });
            // The CPU time includes the JIT compiling the reconcile path for the first time in this process (measured here:
            // the tiered compiler's thread was the busiest of this process); the shipped Native AOT build has none.
            results.Add(new Row(scenario, "agent (one reconcile)", F(agent.Ms / 1000),
                $"{agent.Ms / 1000 / raw.Mean:0.00}x raw (the mean), {agent.Ms / 1000 / raw.Faster:0.00}x the faster raw run; {running} running; {Describe(agent)}, JIT included") { Load = agentLoad });
        }

        // 3. docker-compose up -d of the same services.
        var compose = await ComposeUpAsync(count);
        results.Add(new Row(scenario, "docker-compose up -d", compose.Up is { } up ? F(up) : "n/a", compose.Note));
        if (compose.Noop is { } noop) results.Add(new Row($"no-op, {count} services", "docker-compose up -d (again)", F(noop)));
    }

    private async Task<double> RawConvergeAsync(int count, int parallelism)
    {
        // Its own name each time: a network the engine keeps after a raw run (moby/moby#42119, warned at its cleanup) made the
        // next raw run's create of the same name a second network, and its starts failed "network ... is ambiguous".
        var rawInstance = $"{run}-raw{parallelism}-{Interlocked.Increment(ref rawRuns)}";
        var network = $"{rawInstance}_default";
        try
        {
            var measured = await CountCallsByOperationAsync(async () =>
            {
                await engine.CreateNetworkAsync(network, new Dictionary<string, string> { ["agent.instance"] = rawInstance }, default);
                await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, ct) =>
                {
                    var id = await engine.CreateContainerAsync(new ContainerCreateRequest($"{rawInstance}-s{i}-1",
                        new ContainerSpec { Image = Image, Command = ["sleep", "3600"], StopSignal = "SIGKILL" },
                        new Dictionary<string, string> { ["agent.instance"] = rawInstance }, network), ct);
                    await engine.StartContainerAsync(id, ct);
                });
            });
            lastRaw = measured;
            return measured.Ms / 1000;
        }
        finally
        {
            // Also when a create fails half-way (an exhausted address pool, the engine going away): nothing is left behind.
            await CleanAsync(rawInstance);
        }
    }

    private int rawRuns;

    /// <summary>The raw peer of a converge, measured before and after the agent: this engine's pace drifts by more than
    /// the 5 % goal within one run, so the agent is compared with their mean and with the faster of the two.</summary>
    private sealed record RawPair(double Before, double After)
    {
        public double Mean => (Before + After) / 2;
        public double Faster => Math.Min(Before, After);
        public string Note => $"mean of {F(Before)} before and {F(After)} after the agent";
    }

    /// <summary>The time, CPU time and engine calls of the last raw converge.</summary>
    private Measured lastRaw = new(0, 0, new Dictionary<string, long>());

    /// <summary>Calls by operation as one short text: "container_create 100, container_start 100".</summary>
    private static string Describe(IReadOnlyDictionary<string, long> calls) =>
        string.Join(", ", calls.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));

    /// <summary>A converge's work: engine calls by operation and the bench process's CPU time (the agent's own cost).</summary>
    private static string Describe(Measured m) =>
        $"{m.Calls.Values.Sum()} calls ({Describe(m.Calls)}); {m.CpuMs:0} ms CPU in this process";

    private async Task<(double? Up, double? Noop, string Note)> ComposeUpAsync(int count)
    {
        if (!await CommandExistsAsync("docker-compose")) return (null, null, "docker-compose not installed");
        var dir = Folder();
        await File.WriteAllTextAsync(Path.Combine(dir, "docker-compose.yml"), "version: \"3\"\n" + ComposeServicesYaml(count));
        var project = $"{run}compose";
        var clock = Stopwatch.StartNew();
        // Compose keeps its default parallelism (64): docker-compose 1.29 deadlocks when COMPOSE_PARALLEL_LIMIT is below
        // the number of services (docker/compose#8226, seen here too). Cut off after 180 s, reported with how far it got.
        var compose = $"cd {dir} && timeout 180 docker-compose -p {project}";
        var (exit, output) = await ShellAsync($"{compose} up -d 2>&1");
        var up = clock.Elapsed.TotalSeconds;
        var created = (await ShellAsync($"docker ps -q --filter label=com.docker.compose.project={project} | wc -l")).Output.Trim();
        if (exit != 0)
        {
            await ShellAsync($"docker ps -aq --filter label=com.docker.compose.project={project} | xargs -r docker rm -f; docker network rm {project}_default");
            return (null, null, $"did not finish: exit {exit} after {up:0} s with {created} of {count} running");
        }
        clock.Restart();
        await ShellAsync($"{compose} up -d 2>&1");
        var noop = clock.Elapsed.TotalSeconds;
        await ShellAsync($"{compose} down -t 0 2>&1");
        await ShellAsync($"docker ps -aq --filter label=com.docker.compose.project={project} | xargs -r docker rm -f");
        return (up, noop, $"{created} running; compose default parallelism");
    }

    public async Task NoOpResyncAsync(int[] sizes)
    {
        foreach (var size in sizes)
        {
            Report.Line($"no-op resync at {size} containers ...");
            var dir = Folder();
            var replicas = GroupsOf100(size);
            var groups = replicas.Count;
            for (var g = 0; g < groups; g++) await File.WriteAllTextAsync(Path.Combine(dir, $"g{g}.yaml"), GroupYaml($"{run}-r{size}-{g}", 1, replicas[g]));
            var instance = $"{run}-resync{size}";
            await using var services = OneShotServices.Build(dir, instance, Folder());
            services.GetRequiredService<Agent.Sources.ManifestStore>().Reload();
            var reconciler = services.GetRequiredService<Reconciler>();
            var keys = Enumerable.Range(0, groups).Select(g => new ObjectKey("ServiceGroup", $"{run}-r{size}-{g}")).ToList();
            foreach (var key in keys) await reconciler.ReconcileAsync(key, default);
            var samples = new List<(double Ms, long Calls)>();
            for (var i = 0; i < 10; i++)
                samples.Add(await CountCallsAsync(async () =>
                {
                    foreach (var key in keys) await reconciler.ReconcileAsync(key, default);
                }));
            var median = samples.OrderBy(s => s.Ms).ElementAt(5);
            results.Add(new Row($"no-op resync, {size} containers", "agent (one-shot reconciles, all objects, median of 10)", Ms(median.Ms),
                $"{groups} object(s), {median.Calls} engine calls"));
            await CleanAsync(instance);
        }
    }

    public async Task SelfHealAsync(int kills)
    {
        Report.Line($"self-heal over {kills} kills ...");
        var dir = Folder();
        var group = $"{run}-heal";
        await File.WriteAllTextAsync(Path.Combine(dir, "g.yaml"), GroupYaml(group, kills));
        var instance = $"{run}-heal";
        var app = await StartAgentAsync(dir, instance, []);
        try
        {
            await WaitRunningAsync(instance, kills);
            var latencies = new List<double>();
            for (var i = 0; i < kills; i++)
            {
                var name = $"{group}-s{i}-1";
                var clock = Stopwatch.StartNew();
                await engine.KillContainerAsync(name, "SIGKILL", default);
                await Task.Delay(5);
                while ((await engine.InspectContainerAsync(name, default))?.State != ContainerState.Running) await Task.Delay(10);
                latencies.Add(clock.Elapsed.TotalMilliseconds);
            }
            latencies.Sort();
            results.Add(new Row($"self-heal, {kills} kills", "agent p50 (docker kill -> running)", Ms(latencies[kills / 2])));
            results.Add(new Row($"self-heal, {kills} kills", "agent p99", Ms(latencies[(int)Math.Ceiling(kills * 0.99) - 1]), $"max {Ms(latencies[^1])}"));
        }
        finally
        {
            await app.StopAsync();
            await CleanAsync(instance);
        }
    }

    public async Task HttpAsync(int containers)
    {
        if (!await CommandExistsAsync("wrk"))
        {
            results.Add(new Row("http", "wrk", "n/a", "wrk not installed"));
            return;
        }
        Report.Line($"wrk against the agent with {containers} managed containers ...");
        var dir = Folder();
        await File.WriteAllTextAsync(Path.Combine(dir, "g.yaml"), GroupYaml($"{run}-http", 1, containers));
        var tokens = Path.Combine(Folder(), "tokens");
        await File.WriteAllTextAsync(tokens, "viewer:bench-viewer-token-0123456789\n");
        var instance = $"{run}-http";
        var app = await StartAgentAsync(dir, instance, new()
        {
            ["Agent:Auth:TokensFile"] = tokens,
            ["Agent:Auth:RateLimitPermits"] = "100000000",
        });
        try
        {
            await WaitRunningAsync(instance, containers);
            var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var scenario = $"wrk -t2 -c16 10s, {containers} containers";
            foreach (var (path, header) in new[] { ("/livez", ""), ("/api/v1/containers", "-H 'Authorization: Bearer bench-viewer-token-0123456789'") })
            {
                var (rps, detail) = await WrkAsync(url + path, header);
                results.Add(new Row(scenario, $"GET {path}", rps, detail));
            }
            var viewer = "-H 'Authorization: Bearer bench-viewer-token-0123456789'";
            var etag = (await ShellAsync($"curl -s -o /dev/null -D - {viewer} {url}/api/v1/containers")).Output.Split('\n')
                .FirstOrDefault(l => l.StartsWith("ETag:", StringComparison.OrdinalIgnoreCase))?[5..].Trim();
            if (etag is not null)
            {
                var (rps, detail) = await WrkAsync(url + "/api/v1/containers", $"{viewer} -H 'If-None-Match: {etag}'");
                results.Add(new Row(scenario, "GET /api/v1/containers, If-None-Match its ETag", rps, detail + " (each answer a 304 without a body; wrk counts 3xx as success)"));
            }
            // The peer for /livez: the same endpoint in an empty ASP.NET Core app, in this process and this run, so that
            // what the machine (its load, wrk itself) adds to the tail is visible beside what the agent adds.
            await using (var minimal = await MinimalAppAsync())
            {
                var (rps, detail) = await WrkAsync(minimal.Urls.First() + "/livez", "");
                results.Add(new Row(scenario, "GET /livez of an empty ASP.NET Core app (peer)", rps, detail));
            }
            var peer = await EngineListLoadAsync(instance);
            results.Add(new Row($"wrk -t2 -c16 10s, {containers} containers", "engine's own list call (16 at a time, its socket)",
                $"{peer.Rps:0} req/s", $"p50 {peer.P50:0.0}ms, p99 {peer.P99:0.0}ms (goal for the agent: >= 5000 req/s, p99 <= 20 ms)"));
        }
        finally
        {
            await app.StopAsync();
            await CleanAsync(instance);
        }
    }

    private static async Task<WebApplication> MinimalAppAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/livez", () => Results.Text("ok"));
        await app.StartAsync();
        return app;
    }

    /// <summary>wrk -t2 -c16 for 10 s: requests per second, and p50, p99 and non-2xx answers. A 3 s run before it is not
    /// counted: without it the first run's tail is the JIT and the thread pool warming up (measured: p99 of an empty
    /// app's first run 360 ms, of its second 36 ms, same machine, same minute).</summary>
    private static async Task<(string Rps, string Detail)> WrkAsync(string url, string header)
    {
        await ShellAsync($"wrk -t2 -c16 -d3s {header} {url}");
        var (_, output) = await ShellAsync($"wrk -t2 -c16 -d10s --latency {header} {url}");
        var rps = output.Split('\n').FirstOrDefault(l => l.StartsWith("Requests/sec", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "?";
        var p50 = output.Split('\n').FirstOrDefault(l => l.Trim().StartsWith("50%", StringComparison.Ordinal))?.Trim()[3..].Trim() ?? "?";
        var p99 = output.Split('\n').FirstOrDefault(l => l.Trim().StartsWith("99%", StringComparison.Ordinal))?.Trim()[3..].Trim() ?? "?";
        var errors = output.Split('\n').FirstOrDefault(l => l.Contains("Non-2xx", StringComparison.Ordinal))?.Trim() ?? "no non-2xx";
        return ($"{rps} req/s", $"p50 {p50}, p99 {p99}, {errors}");
    }

    private async Task<WebApplication> StartAgentAsync(string manifests, string instance, Dictionary<string, string?> extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Agent:Manifests"] = manifests,
            ["Agent:Instance"] = instance,
            ["Agent:StateDir"] = Folder(),
            ["Urls"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in extra) settings[k] = v;
        var app = AgentHost.Build(settings);
        await app.StartAsync();
        return app;
    }

    private async Task WaitRunningAsync(string instance, int count)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while ((await engine.ListContainersAsync(LabelSelector.Of($"agent.instance={instance}"), default)).Count(c => c.State == ContainerState.Running) < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{count} containers of {instance} not running after 5 minutes");
            await Task.Delay(200);
        }
    }

    private static async Task<bool> CommandExistsAsync(string command) => (await ShellAsync($"command -v {command}")).Exit == 0;

    internal static async Task<(int Exit, string Output)> ShellAsync(string script)
    {
        var info = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        // Every instance of this run (agent, raw peer, one-shot reconciles) is "<run>-...": whatever a failed section
        // left behind goes here, also what a section's own clean-up did not reach.
        await CleanAsync(LabelSelector.Of("agent.instance"), labels => labels.TryGetValue("agent.instance", out var i) && i.StartsWith(run + "-", StringComparison.Ordinal));
        foreach (var folder in folders) Directory.Delete(folder, recursive: true);
        engine.Dispose();
    }
}
