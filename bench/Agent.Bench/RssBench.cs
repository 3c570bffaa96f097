using System.Diagnostics;
using System.Text;

namespace Agent.Bench;

/// <summary>
/// The agent's resident memory: idle, while loading the largest file the loader allows (1 MiB) and while loading a folder
/// of 5,000 documents. Each is a real `agent run` process; its engine address leads nowhere, so the manifests are loaded
/// and reconciles fail fast without creating anything on the shared engine. Peak = the kernel's VmHWM for the process.
/// </summary>
public sealed class RssBench(List<Row> results, string executable)
{
    private string Scenario => $"memory (RSS), {AgentProcess.Describe(executable)}";
    private readonly List<string> folders = [];

    public async Task RunAsync()
    {
        Report.Line($"{Scenario}: idle, a 1 MiB file, 5,000 documents ...");
        try
        {
            var empty = Folder();
            using (var agent = Start(empty))
            {
                var idle = await SettleAsync(agent);
                results.Add(new Row(Scenario, "agent idle (empty folder)", AgentProcess.Mib(idle.Rss), $"peak so far {AgentProcess.Mib(idle.Peak)}"));

                var big = LargestFile();
                var staged = Path.Combine(Folder(), "big.yaml");
                await File.WriteAllTextAsync(staged, big);
                var clock = Stopwatch.StartNew();
                File.Move(staged, Path.Combine(empty, "big.yaml"));
                var loaded = await SettleAsync(agent);
                results.Add(new Row(Scenario, $"agent loading one {Encoding.UTF8.GetByteCount(big) / 1024} KiB file (1,000 groups, the largest allowed)",
                    AgentProcess.Mib(loaded.Peak) + " peak", $"{AgentProcess.Mib(loaded.Rss)} once the agent is quiet again ({clock.Elapsed.TotalSeconds:0} s later: reconciles fail and retry)"));
                AgentProcess.Stop(agent);
            }

            var many = Folder();
            for (var i = 0; i < 5_000; i++)
                await File.WriteAllTextAsync(Path.Combine(many, $"g{i:0000}.yaml"), Group($"g{i}", 2));
            var start = Stopwatch.StartNew();
            using (var agent = Start(many))
            {
                var loaded = await SettleAsync(agent);
                results.Add(new Row(Scenario, "agent loading 5,000 documents (5,000 files)", AgentProcess.Mib(loaded.Peak) + " peak",
                    $"{AgentProcess.Mib(loaded.Rss)} once the agent is quiet ({start.Elapsed.TotalSeconds:0} s after start)"));
                AgentProcess.Stop(agent);
            }
        }
        finally
        {
            foreach (var dir in folders) Directory.Delete(dir, recursive: true);
        }
    }

    private string Folder()
    {
        var dir = Directory.CreateTempSubdirectory("agent-bench-rss-").FullName;
        folders.Add(dir);
        return dir;
    }

    private static string Group(string name, int env, int valueLength = 100) =>
        $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {name}\nspec:\n  services:\n    - name: s\n      image: busybox:1.35\n" +
        "      command: [\"sleep\", \"3600\"]\n      env:\n" +
        string.Concat(Enumerable.Range(0, env).Select(i => $"        VAR_{i}: \"{new string((char)('a' + i % 26), valueLength)}\"\n"));

    /// <summary>1,000 groups (the document limit) with env values long enough to make exactly 1 MiB.</summary>
    private static string LargestFile()
    {
        const int size = 1024 * 1024;
        string Build(int valueLength) =>
            string.Join("---\n", Enumerable.Range(0, 1000).Select(i => Group($"big{i}", 7, valueLength)));
        var sample = Build(100);
        var text = Build(100 + (size - sample.Length) / 7000);
        return text + "#" + new string('-', size - text.Length - 2) + "\n";
    }

    private Process Start(string manifests) =>
        AgentProcess.Start(executable, manifests, Folder(), "bench-rss-" + Guid.NewGuid().ToString("N")[..8], "http://127.0.0.1:0", new Dictionary<string, string>
        {
            ["DOCKER_HOST"] = "unix:///nonexistent/agent-bench-rss.sock",
            ["AGENT_Logging__LogLevel__Default"] = "Error",
        });

    /// <summary>Waits until the process has used under 2 % of a core for two seconds (it is done loading), then reads its memory.</summary>
    private static async Task<(long Rss, long Peak)> SettleAsync(Process agent)
    {
        await Task.Delay(TimeSpan.FromSeconds(2));
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        var quiet = 0;
        var last = Cpu(agent);
        while (quiet < 4 && DateTime.UtcNow < deadline)
        {
            if (agent.HasExited) throw new InvalidOperationException($"the agent exited with {agent.ExitCode}");
            await Task.Delay(500);
            var now = Cpu(agent);
            quiet = now - last < TimeSpan.FromMilliseconds(10) ? quiet + 1 : 0;
            last = now;
        }
        return (AgentProcess.StatusKib(agent.Id, "VmRSS"), AgentProcess.StatusKib(agent.Id, "VmHWM"));
    }

    private static TimeSpan Cpu(Process agent)
    {
        agent.Refresh();
        return agent.TotalProcessorTime;
    }
}
