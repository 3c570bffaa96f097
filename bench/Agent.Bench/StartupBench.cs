using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Agent.Bench;

/// <summary>
/// A real `agent run` process on the shared engine: start to /readyz 200 when its containers already run (a restart of
/// the agent over a converged set), then its idle RSS and CPU beside dockerd's over the same window. AGENT_BENCH_AGENT
/// names another build to measure (a published executable or an agent.dll).
/// </summary>
public sealed class StartupBench(List<Row> results)
{
    private readonly string instance = "bstart" + Guid.NewGuid().ToString("N")[..8];

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
                Stop(first);
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
                    Stop(agent);
                    continue;
                }
                await Task.Delay(TimeSpan.FromSeconds(5)); // past the first reconciles
                var dockerd = Process.GetProcessById(int.Parse(File.ReadAllText("/var/run/docker.pid").Trim(), CultureInfo.InvariantCulture));
                var (agentCpu, dockerdCpu) = await CpuAsync(agent, dockerd, TimeSpan.FromSeconds(10));
                results.Add(new Row($"idle, {count} containers converged", "agent RSS", Mib(Rss(agent.Id)), $"CPU {agentCpu:0.00} % of one core over 10 s (goal RSS <= 60 MiB, CPU < 0.5 %)"));
                results.Add(new Row($"idle, {count} containers converged", "dockerd RSS", Mib(Rss(dockerd.Id)), $"CPU {dockerdCpu:0.00} % of one core, same window"));
                Stop(agent);
            }
            starts.Sort();
            results.Add(new Row($"start to /readyz 200, {count} containers running", "agent process (median of 3)", $"{starts[1]:0} ms",
                $"min {starts[0]:0}, max {starts[2]:0} ms (goal <= 500 ms); {Describe()}"));
        }
        finally
        {
            await ShellAsync($"docker ps -aq --filter label=agent.instance={instance} | xargs -r docker rm -f; docker network ls -q --filter label=agent.instance={instance} | xargs -r docker network rm");
            Directory.Delete(manifests, recursive: true);
            Directory.Delete(state, recursive: true);
        }
    }

    private static string Describe() => Environment.GetEnvironmentVariable("AGENT_BENCH_AGENT") is { Length: > 0 } other ? other : "dotnet agent.dll (this build)";

    private Process Start(string manifests, string state, out int port)
    {
        port = FreePort();
        var other = Environment.GetEnvironmentVariable("AGENT_BENCH_AGENT");
        var dll = string.IsNullOrEmpty(other) ? Path.Combine(AppContext.BaseDirectory, "agent.dll") : other;
        var info = dll.EndsWith(".dll", StringComparison.Ordinal) ? new ProcessStartInfo("dotnet") { ArgumentList = { dll } } : new ProcessStartInfo(dll);
        foreach (var arg in new[] { "run", "--manifests", manifests, "--state-dir", state, "--instance", instance, "--urls", $"http://127.0.0.1:{port}" })
            info.ArgumentList.Add(arg);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.Environment["AGENT_Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitReadyAsync(int port, TimeSpan within)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{port}/readyz")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
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

    private static long Rss(int pid) => long.Parse(File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
        .Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);

    private static string Mib(long kib) => (kib / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";

    private static void Stop(Process agent)
    {
        if (!agent.HasExited) agent.Kill();
        agent.WaitForExit();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task ShellAsync(string script)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        await process.WaitForExitAsync();
    }
}
