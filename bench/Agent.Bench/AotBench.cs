using System.Diagnostics;
using System.Net;

namespace Agent.Bench;

/// <summary>
/// Native AOT: takes the shipped build when eng/install.sh made it Native AOT, else publishes with eng/publish-aot.sh
/// (minutes, so it lives here and not in CI; AGENT_BENCH_AOT names an already published binary instead), and checks the
/// binary as a user runs it (serves /readyz, applies a ServiceGroup and a drop-in compose project whose containers then
/// run, per `docker ps`, and reports them Ready through the API). The "startup" and "memory" sections measure the shipped
/// build beside the JIT one.
/// </summary>
public sealed class AotBench(List<Row> results)
{
    private readonly string instance = "baot" + Guid.NewGuid().ToString("N")[..8];

    public async Task RunAsync()
    {
        var binary = Environment.GetEnvironmentVariable("AGENT_BENCH_AOT") is { Length: > 0 } given ? given
            : await ShippedBuild.GetAsync(results) is { Kind: "Native AOT" } shipped ? shipped.Path : await PublishAsync();
        await SmokeAsync(binary);
    }

    private async Task<string> PublishAsync()
    {
        Report.Line("publishing the Native AOT agent (eng/publish-aot.sh) ...");
        var output = Directory.CreateTempSubdirectory("agent-bench-aot-").FullName;
        var clock = Stopwatch.StartNew();
        var (exit, log) = await Bench.ShellAsync($"bash \"$(git rev-parse --show-toplevel)/eng/publish-aot.sh\" {output} 2>&1");
        if (exit != 0) throw new InvalidOperationException($"eng/publish-aot.sh failed:\n{log[^Math.Min(log.Length, 3000)..]}");
        var binary = Path.Combine(output, "agent");
        results.Add(new Row("native aot", "publish (eng/publish-aot.sh)", $"{clock.Elapsed.TotalSeconds:0} s", $"{new FileInfo(binary).Length / 1024 / 1024} MiB binary"));
        return binary;
    }

    private async Task SmokeAsync(string binary)
    {
        Report.Line($"checking {binary}: /readyz, a ServiceGroup and a compose project ...");
        var (manifests, state) = SleeperGroup.Folders("agent-bench-aot");
        var port = StartupBench.FreePort();
        try
        {
            await File.WriteAllTextAsync(Path.Combine(manifests, "g.yaml"), SleeperGroup.Yaml(instance + "g"));
            Directory.CreateDirectory(Path.Combine(manifests, instance + "c"));
            await File.WriteAllTextAsync(Path.Combine(manifests, instance + "c", "compose.yaml"),
                "services:\n  web:\n    image: busybox:1.35\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n");
            var clock = Stopwatch.StartNew();
            using var agent = AgentProcess.Start(binary, manifests, state, instance, $"http://127.0.0.1:{port}", new Dictionary<string, string>());
            await StartupBench.WaitReadyAsync(port, TimeSpan.FromMinutes(1));
            var running = "";
            while (clock.Elapsed < TimeSpan.FromMinutes(3) && running != "2")
            {
                if (agent.HasExited) throw new InvalidOperationException($"the AOT agent exited with {agent.ExitCode}");
                running = (await Bench.ShellAsync($"docker ps -q --filter label=agent.instance={instance} --filter status=running | wc -l")).Output.Trim();
                await Task.Delay(200);
            }
            if (running != "2") throw new InvalidOperationException($"the AOT agent ran {running} of 2 containers within 3 minutes");
            var token = File.ReadAllLines(Path.Combine(state, "tokens")).First(l => l.StartsWith("admin:", StringComparison.Ordinal))[6..];
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            var group = await http.GetAsync($"/api/v1/servicegroups/{instance}g");
            var body = await group.Content.ReadAsStringAsync();
            if (group.StatusCode != HttpStatusCode.OK || !body.Contains("\"Ready\"", StringComparison.Ordinal))
                throw new InvalidOperationException($"GET /api/v1/servicegroups/{instance}g: {(int)group.StatusCode} {body}");
            results.Add(new Row("native aot", "binary works as `agent run`", "yes",
                $"/readyz 200, a ServiceGroup and a compose project running {clock.Elapsed.TotalSeconds:0.0} s after start, status served"));
            AgentProcess.Stop(agent);
        }
        finally
        {
            await Bench.ShellAsync($"docker ps -aq --filter label=agent.instance={instance} | xargs -r docker rm -f; " +
                                   $"docker network ls -q --filter label=agent.instance={instance} | xargs -r docker network rm; " +
                                   $"docker volume ls -q --filter label=agent.instance={instance} | xargs -r docker volume rm");
            Directory.Delete(manifests, recursive: true);
            Directory.Delete(state, recursive: true);
        }
    }
}
