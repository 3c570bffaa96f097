using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Agent.Bench;

/// <summary>
/// A real `agent run` process on the shared engine: start to /readyz 200 when its containers already run (a restart of
/// the agent over a converged set), then its idle RSS and CPU beside dockerd's over the same window, and its RSS after a
/// burst of API load. AGENT_BENCH_AGENT names another build to measure (a published executable such as
/// eng/publish-aot.sh's, or an agent.dll).
/// </summary>
public sealed class StartupBench(List<Row> results, string executable)
{
    private readonly string instance = "bstart" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<(int Pid, DateTime Start)> started = [];

    public async Task RunAsync(int scale)
    {
        var count = Math.Min(scale, 100);
        Console.WriteLine($"startup and idle footprint with {count} containers ...");
        var manifests = Directory.CreateTempSubdirectory("agent-bench-start-").FullName;
        var state = Directory.CreateTempSubdirectory("agent-bench-start-state-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(manifests, "g.yaml"),
                $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {instance}\nspec:\n  services:\n    - name: s\n      image: busybox:1.35\n" +
                $"      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGKILL\n      replicas: {count}\n");
            using (var first = Start(manifests, state, out var port))
            {
                await WaitReadyAsync(port, TimeSpan.FromMinutes(5));
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
                await Task.Delay(TimeSpan.FromSeconds(5)); // past the first reconciles
                var dockerd = Process.GetProcessById(int.Parse(File.ReadAllText("/var/run/docker.pid").Trim(), CultureInfo.InvariantCulture));
                var (agentCpu, dockerdCpu) = await CpuAsync(agent, dockerd, TimeSpan.FromSeconds(10));
                results.Add(new Row($"idle, {count} containers converged", $"agent RSS ({AgentProcess.Describe(executable)})", Footprint(agent.Id), $"CPU {agentCpu:0.00} % of one core over 10 s (goal RSS <= 60 MiB, CPU < 0.5 %)"));
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

    /// <summary>Whether idle RSS is still true after use: 10 s of wrk on GET /api/v1/containers (with the admin token the
    /// agent generated; the rate limiter out of the way), then the agent's RSS 10, 60 and 90 s later beside dockerd's.
    /// The agent gives memory grown by use back once it has had no request and no reconcile for
    /// Agent:MemoryReleaseQuietPeriod (30 s); a resync inside that window starts the quiet time again, hence 90 s too.</summary>
    private async Task AfterBurstAsync(Process agent, Process dockerd, int port, string state, int count)
    {
        var token = File.ReadAllLines(Path.Combine(state, "tokens")).First(l => l.StartsWith("admin:", StringComparison.Ordinal))[6..];
        var scenario = $"after 10 s of wrk -t1 -c8 on GET /api/v1/containers, {count} containers";
        var (exit, output) = await Bench.ShellAsync($"wrk -t1 -c8 -d10s -H 'Authorization: Bearer {token}' http://127.0.0.1:{port}/api/v1/containers");
        var rate = exit == 0 ? output.Split('\n').FirstOrDefault(l => l.StartsWith("Requests/sec", StringComparison.Ordinal))?.Split(':')[1].Trim() : null;
        var errors = output.Split('\n').FirstOrDefault(l => l.Contains("Non-2xx", StringComparison.Ordinal))?.Trim();
        var quiet = TimeSpan.Zero;
        foreach (var at in new[] { 10, 60, 90 })
        {
            await Task.Delay(TimeSpan.FromSeconds(at) - quiet);
            quiet = TimeSpan.FromSeconds(at);
            results.Add(new Row(scenario, $"agent RSS {at} s after ({AgentProcess.Describe(executable)})", Footprint(agent.Id),
                $"dockerd {AgentProcess.Mib(AgentProcess.StatusKib(dockerd.Id, "VmRSS"))} at the same moment" +
                (at == 10 ? $"; burst {rate ?? "failed"} req/s{(errors is null ? "" : ", " + errors)}" : at == 90 ? " (goal: agent <= 60 MiB after use too)" : "")));
        }
    }

    private Process Start(string manifests, string state, out int port)
    {
        port = FreePort();
        var agent = AgentProcess.Start(executable, manifests, state, instance, $"http://127.0.0.1:{port}", new Dictionary<string, string>
        {
            ["AGENT_Logging__LogLevel__Default"] = "Warning",
            ["AGENT_Agent__Auth__RateLimitPermits"] = "100000000", // the burst measures memory after use, not the limiter
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
