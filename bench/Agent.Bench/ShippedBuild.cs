using System.Diagnostics;

namespace Agent.Bench;

/// <summary>
/// The build users get: what eng/install.sh installs (Native AOT when a C toolchain is there, else its ReadyToRun
/// fallback), installed once per bench run into a temporary prefix and shared by the sections that measure it beside the
/// JIT build. AGENT_BENCH_SHIPPED names an already installed or published agent executable instead (minutes saved).
/// </summary>
public static class ShippedBuild
{
    private static Task<(string Path, string Kind)>? installed;

    public static Task<(string Path, string Kind)> GetAsync(List<Row> results) => installed ??= InstallAsync(results);

    private static async Task<(string Path, string Kind)> InstallAsync(List<Row> results)
    {
        if (Environment.GetEnvironmentVariable("AGENT_BENCH_SHIPPED") is { Length: > 0 } given)
        {
            AgentProcess.Name(given, $"shipped build as given ({given})");
            return (given, "as given");
        }
        Report.Line("installing the shipped build (AGENT_PREFIX=<temp> eng/install.sh; minutes) ...");
        var prefix = Directory.CreateTempSubdirectory("agent-bench-shipped-").FullName;
        var clock = Stopwatch.StartNew();
        var (exit, log) = await Bench.ShellAsync($"AGENT_PREFIX={prefix} bash \"$(git rev-parse --show-toplevel)/eng/install.sh\" 2>&1");
        if (exit != 0) throw new InvalidOperationException($"eng/install.sh failed:\n{log[^Math.Min(log.Length, 3000)..]}");
        var binary = Path.Combine(prefix, "lib", "agent", "agent");
        var kind = log.Contains("(Native AOT)", StringComparison.Ordinal) ? "Native AOT" : "ReadyToRun fallback";
        var warning = log.Split('\n').FirstOrDefault(l => l.StartsWith("WARNING", StringComparison.Ordinal));
        results.Add(new Row("shipped build", "eng/install.sh", $"{clock.Elapsed.TotalSeconds:0} s",
            $"{kind}, {new FileInfo(binary).Length / 1024 / 1024} MiB binary{(warning is null ? "" : "; " + warning)}"));
        AgentProcess.Name(binary, $"shipped build: {kind}");
        return (binary, kind);
    }
}
