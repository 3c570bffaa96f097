using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Agent.Bench;

/// <summary>
/// A real `agent run` process on the shared engine: start to /readyz 200 when its containers already run (a restart of
/// the agent over a converged set), then its idle RSS and CPU beside dockerd's over the same window, and its RSS after a
/// burst of API load, until the agent gives that memory back. AGENT_BENCH_AGENT names another build to measure (a
/// published executable such as eng/publish-aot.sh's, or an agent.dll).
/// </summary>
public sealed class StartupBench(List<Row> results, string executable)
{
    /// <summary>The agent's MemoryRelease logs each release at Debug: the bench turns that category on to see when.</summary>
    private const string ReleaseLog = "Released memory (";

    /// <summary>How long after the burst the bench waits for the release. The agent's defaults: it releases once it has
    /// had no request and no reconcile for 10 s (Agent:MemoryReleaseQuietPeriod), seen by a check every 3.3 s, and a
    /// resync (every 60 s, Agent:ResyncInterval) inside those 10 s starts them again: at most about 25 s after the last
    /// request, documented as "10 to about 25 s". Twice that, and more, bounds a release that does not come.</summary>
    private static readonly TimeSpan ReleaseBound = TimeSpan.FromSeconds(60);

    private readonly string instance = "bstart" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<(int Pid, DateTime Start)> started = [];
    private readonly List<(DateTime At, string Line)> releases = [];

    public async Task RunAsync(int count)
    {
        Report.Line($"startup and idle footprint with {count} containers ...");
        var (manifests, state) = SleeperGroup.Folders("agent-bench-start");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(manifests, "g.yaml"), SleeperGroup.Yaml(instance, count));
            using (var first = Start(manifests, state, out var port))
            {
                // The first start converges the set: about 0.15 s a container on 2 cores, 5 minutes at least.
                await WaitReadyAsync(port, TimeSpan.FromSeconds(Math.Max(300, count)));
                AgentProcess.Stop(first);
            }
            var starts = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                var clock = Stopwatch.StartNew();
                using var agent = Start(manifests, state, out var port);
                await WaitReadyAsync(port, TimeSpan.FromMinutes(1));
                starts.Add(clock.Elapsed.TotalMilliseconds);
                if (i < 2)
                {
                    AgentProcess.Stop(agent);
                    continue;
                }
                // Idle means after the release that follows the first sync (it comes a moment after /readyz), then
                // past the first reconciles.
                var startUp = await WaitReleaseAsync(agent.Id, DateTime.MinValue, TimeSpan.FromSeconds(30));
                await Task.Delay(TimeSpan.FromSeconds(5));
                var dockerd = Process.GetProcessById(int.Parse(File.ReadAllText("/var/run/docker.pid").Trim(), CultureInfo.InvariantCulture));
                var (agentCpu, dockerdCpu) = await CpuAsync(agent, dockerd, TimeSpan.FromSeconds(10));
                results.Add(new Row($"idle, {count} containers converged", $"agent RSS ({AgentProcess.Describe(executable)})", Footprint(agent.Id), $"CPU {agentCpu:0.00} % of one core over 10 s (goal RSS <= 60 MiB, CPU < 0.5 %); " +
                    (startUp is null ? "no start-up release logged within 30 s" : "after the start-up release")));
                results.Add(new Row($"idle, {count} containers converged", "dockerd RSS", AgentProcess.Mib(AgentProcess.StatusKib(dockerd.Id, "VmRSS")), $"CPU {dockerdCpu:0.00} % of one core, same window"));
                await AfterBurstAsync(agent, dockerd, port, state, count);
                AgentProcess.Stop(agent);
            }
            starts.Sort();
            results.Add(new Row($"start to /readyz 200, {count} containers running", "agent process (median of 3)", $"{starts[1]:0} ms",
                $"min {starts[0]:0}, max {starts[2]:0} ms (goal <= 500 ms); {AgentProcess.Describe(executable)}"));
        }
        finally
        {
            // An agent left running by a failure would bring back what the clean-up below removes.
            foreach (var (pid, start) in started) KillIfRunning(pid, start);
            await Bench.ShellAsync($"docker ps -aq --filter label=agent.instance={instance} | xargs -r docker rm -f; docker network ls -q --filter label=agent.instance={instance} | xargs -r docker network rm");
            Directory.Delete(manifests, recursive: true);
            Directory.Delete(state, recursive: true);
        }
    }

    /// <summary>The idle footprint as an operator meets it (probe-18 measured 70 MiB here): an agent started on an empty
    /// engine converges <paramref name="count"/> busybox sleep replicas of one ServiceGroup, then idles for
    /// <paramref name="idle"/>; its RSS (anon and file-backed) beside dockerd's at that moment, and the agent's own
    /// view of its GC heap from /metrics.</summary>
    public async Task IdleAfterConvergeAsync(int count, TimeSpan idle)
    {
        Report.Line($"idle footprint after a cold converge of {count} containers ...");
        var (manifests, state) = SleeperGroup.Folders("agent-bench-idle");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(manifests, "g.yaml"), SleeperGroup.Yaml(instance, count));
            using var agent = Start(manifests, state, out var port);
            var clock = Stopwatch.StartNew();
            // /readyz waits for the first sync, which is this converge: the same bound as the converge below.
            await WaitReadyAsync(port, TimeSpan.FromSeconds(Math.Max(300, count)));
            while (true)
            {
                var (_, listed) = await Bench.ShellAsync($"docker ps -q --filter label=agent.instance={instance} --filter status=running | wc -l");
                if (int.Parse(listed.Trim(), CultureInfo.InvariantCulture) >= count) break;
                if (clock.Elapsed > TimeSpan.FromSeconds(Math.Max(300, count))) throw new TimeoutException($"{count} containers not running within {clock.Elapsed.TotalSeconds:0} s");
                await Task.Delay(1000);
            }
            var converged = clock.Elapsed;
            // RSS once a second over the idle window: a resync (every 60 s) faults code back in and a release gives it back
            // some seconds later, so one reading says little of what `ps` shows at another moment.
            var samples = new List<long>();
            for (var until = DateTime.UtcNow + idle; DateTime.UtcNow < until; await Task.Delay(1000))
                samples.Add(AgentProcess.StatusKib(agent.Id, "VmRSS"));
            var dockerd = Process.GetProcessById(int.Parse(File.ReadAllText("/var/run/docker.pid").Trim(), CultureInfo.InvariantCulture));
            var (agentCpu, dockerdCpu) = await CpuAsync(agent, dockerd, TimeSpan.FromSeconds(10));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var metrics = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
            string Gauge(string name) => metrics.Split('\n').FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(' ')[^1] is { } v
                && double.TryParse(v, CultureInfo.InvariantCulture, out var bytes) ? $"{bytes / 1024 / 1024:0.0} MiB" : "n/a";
            var scenario = $"idle {idle.TotalSeconds:0} s after a cold converge of {count} containers";
            results.Add(new Row(scenario, $"agent RSS ({AgentProcess.Describe(executable)})", Footprint(agent.Id),
                $"GC heap {Gauge("dotnet_gc_last_collection_heap_size_bytes")}, committed {Gauge("dotnet_gc_last_collection_memory_committed_size_bytes")}; " +
                $"over the {idle.TotalSeconds:0} s before: mean {AgentProcess.Mib((long)samples.Average())}, max {AgentProcess.Mib(samples.Max())}; " +
                $"CPU {agentCpu:0.00} % over 10 s; converged in {converged.TotalSeconds:0} s (goal RSS <= 60 MB, 57.2 MiB)"));
            results.Add(new Row(scenario, "dockerd RSS", AgentProcess.Mib(AgentProcess.StatusKib(dockerd.Id, "VmRSS")), $"CPU {dockerdCpu:0.00} % of one core, same window"));
            AgentProcess.Stop(agent);
        }
        finally
        {
            foreach (var (pid, start) in started) KillIfRunning(pid, start);
            await Bench.ShellAsync($"docker ps -aq --filter label=agent.instance={instance} | xargs -r docker rm -f; docker network ls -q --filter label=agent.instance={instance} | xargs -r docker network rm");
            Directory.Delete(manifests, recursive: true);
            Directory.Delete(state, recursive: true);
        }
    }

    /// <summary>Whether idle RSS is still true after use: 10 s of wrk on GET /api/v1/containers (with the admin token the
    /// agent generated; the rate limiter out of the way), the agent's RSS 5 s later (what use left, before the release), then the moment
    /// the agent gave it back (its own log line, not a guess at the time) and its RSS just after, each beside dockerd's.</summary>
    private async Task AfterBurstAsync(Process agent, Process dockerd, int port, string state, int count)
    {
        var token = File.ReadAllLines(Path.Combine(state, "tokens")).First(l => l.StartsWith("admin:", StringComparison.Ordinal))[6..];
        var scenario = $"after 10 s of wrk -t1 -c8 on GET /api/v1/containers, {count} containers";
        var build = AgentProcess.Describe(executable);
        var anonBefore = AgentProcess.StatusKib(agent.Id, "RssAnon");
        var (exit, output) = await Bench.ShellAsync($"wrk -t1 -c8 -d10s -H 'Authorization: Bearer {token}' http://127.0.0.1:{port}/api/v1/containers");
        var burstEnd = DateTime.UtcNow;
        var rate = exit == 0 ? output.Split('\n').FirstOrDefault(l => l.StartsWith("Requests/sec", StringComparison.Ordinal))?.Split(':')[1].Trim() : null;
        var errors = output.Split('\n').FirstOrDefault(l => l.Contains("Non-2xx", StringComparison.Ordinal))?.Trim();
        string Dockerd() => $"dockerd {AgentProcess.Mib(AgentProcess.StatusKib(dockerd.Id, "VmRSS"))} at the same moment";

        await Task.Delay(TimeSpan.FromSeconds(5)); // before the release, which waits for 10 s of quiet
        var anonAfter = AgentProcess.StatusKib(agent.Id, "RssAnon");
        results.Add(new Row(scenario, $"agent RSS 5 s after ({build})", Footprint(agent.Id),
            $"{Dockerd()}; burst {rate ?? "failed"} req/s{(errors is null ? "" : ", " + errors)}; anon {Grown(anonAfter - anonBefore)} by the burst"));

        var released = await WaitReleaseAsync(agent.Id, burstEnd, ReleaseBound - TimeSpan.FromSeconds(5));
        if (released is { } at)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            results.Add(new Row(scenario, $"memory given back ({build})", $"{(at - burstEnd).TotalSeconds:0} s after the burst",
                "the agent's own log line (10 s after the last API request, 2 s after the last reconcile, checked each second: 10 to about 12 s documented)"));
            results.Add(new Row(scenario, $"agent RSS 1 s after it gave memory back ({build})", Footprint(agent.Id), $"{Dockerd()} (goal: agent <= 60 MiB after use too)"));
        }
        else
        {
            results.Add(new Row(scenario, $"memory given back ({build})", $"not within {ReleaseBound.TotalSeconds:0} s",
                $"the agent releases once anon grew >= {QuietMemoryPolicyGrowthMib} MiB since its last release (this burst: {Grown(anonAfter - anonBefore)})"));
            results.Add(new Row(scenario, $"agent RSS {ReleaseBound.TotalSeconds:0} s after ({build})", Footprint(agent.Id), $"{Dockerd()} (goal: agent <= 60 MiB after use too)"));
        }
    }

    private const int QuietMemoryPolicyGrowthMib = (int)(Agent.Hosting.QuietMemoryPolicy.Growth / 1024);

    private static string Grown(long kib) => (kib >= 0 ? "+" : "") + AgentProcess.Mib(kib);

    /// <summary>Waits for a release the agent logged after <paramref name="after"/>; answers when it was logged, or null.</summary>
    private async Task<DateTime?> WaitReleaseAsync(int pid, DateTime after, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            lock (releases)
                if (releases.FirstOrDefault(r => r.At > after && r.Line.StartsWith(pid + " ", StringComparison.Ordinal)) is { Line: not null } seen)
                    return seen.At;
            if (DateTime.UtcNow > deadline) return null;
            await Task.Delay(200);
        }
    }

    private Process Start(string manifests, string state, out int port)
    {
        port = FreePort();
        var agent = AgentProcess.Start(executable, manifests, state, instance, $"http://127.0.0.1:{port}", new Dictionary<string, string>
        {
            ["AGENT_Logging__LogLevel__Default"] = "Warning",
            ["AGENT_Logging__LogLevel__Agent.Hosting.MemoryRelease"] = "Debug",
            ["AGENT_Agent__Auth__RateLimitPermits"] = "100000000", // the burst measures memory after use, not the limiter
        }, (pid, line) =>
        {
            if (!line.Contains(ReleaseLog, StringComparison.Ordinal)) return;
            lock (releases) releases.Add((DateTime.UtcNow, $"{pid} {line}"));
        });
        started.Add((agent.Id, agent.StartTime));
        return agent;
    }

    private static void KillIfRunning(int pid, DateTime start)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.StartTime != start) return; // the id now names another process
            process.Kill();
            process.WaitForExit();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // already gone
        }
    }

    internal static async Task WaitReadyAsync(int port, TimeSpan within)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{port}/readyz")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet, or one answer slower than the client's timeout (a loaded machine): ask again until the deadline
            }
            await Task.Delay(5);
        }
        throw new TimeoutException($"the agent was not ready within {within}");
    }

    private static async Task<(double Agent, double Dockerd)> CpuAsync(Process agent, Process dockerd, TimeSpan window)
    {
        agent.Refresh();
        dockerd.Refresh();
        var (a0, d0) = (agent.TotalProcessorTime, dockerd.TotalProcessorTime);
        await Task.Delay(window);
        agent.Refresh();
        dockerd.Refresh();
        return ((agent.TotalProcessorTime - a0) / window * 100, (dockerd.TotalProcessorTime - d0) / window * 100);
    }

    /// <summary>RSS and how much of it is the mapped executable/assemblies (file) vs the heap (anon).</summary>
    private static string Footprint(int pid) =>
        $"{AgentProcess.Mib(AgentProcess.StatusKib(pid, "VmRSS"))} (anon {AgentProcess.Mib(AgentProcess.StatusKib(pid, "RssAnon"))}, file {AgentProcess.Mib(AgentProcess.StatusKib(pid, "RssFile"))})";

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
