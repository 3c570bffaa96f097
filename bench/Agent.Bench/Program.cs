using System.Diagnostics;
using Agent.Bench;

// Converge, resync, self-heal, HTTP and cronjob lateness numbers, with the raw engine and docker-compose measured in the same run.
// A section that fails is reported in the table and the others still run. Arguments pick sections by name
// (`bash bench/run.sh memory`); none runs them all. bench/README.md lists the sections and the environment variables.
var scale = Bench.Scale;
Report.Open();
Report.Line($"scale: {scale} containers (AGENT_BENCH_SCALE); the agents' logs: {Report.AgentLog}");
var results = new List<Row>();
await using var bench = new Bench(results);
await Section("memory", async () =>
{
    await new RssBench(results, AgentProcess.Default).RunAsync();
    await new RssBench(results, (await ShippedBuild.GetAsync(results)).Path).RunAsync();
});
await Section("cold converge", () => bench.ColdConvergeAsync(scale));
await Section("no-op resync", () => bench.NoOpResyncAsync([scale, 5 * scale]));
await Section("compose", () => bench.ComposeAsync(scale));
await Section("self-heal", () => bench.SelfHealAsync(Math.Min(scale, 20)));
await Section("http", () => bench.HttpAsync(scale));
await Section("proxy", () => bench.ProxyAsync());
await Section("cronjob lateness", () => bench.CronLatenessAsync(60));
await Section("scale", () => bench.ScaleAsync(scale));
await Section("folder objects", () => bench.FolderObjectsAsync(5000));
await Section("startup", async () =>
{
    await new StartupBench(results, AgentProcess.Default).RunAsync(scale);
    await new StartupBench(results, (await ShippedBuild.GetAsync(results)).Path).RunAsync(scale);
});
// `idle N` (an argument such as "idle 100") converges N replicas; `idle` alone, or every section, 150.
foreach (var idleCount in IdleCounts())
    await Section($"idle {idleCount}", async () =>
        await new StartupBench(results, (await ShippedBuild.GetAsync(results)).Path).IdleAfterConvergeAsync(idleCount, TimeSpan.FromSeconds(60)));
await Section("native aot", () => new AotBench(results).RunAsync());
await Section("folder re-read", () => SourceBench.FolderRereadAsync(results, 1000, 5));
await Section("admission", () => AdmissionBench.RunAsync(results, 200));
await Section("git webhook", () => bench.GitWebhookAsync(10));
Table.Print(results);
Report.Line($"\nthe agents' logs: {Report.AgentLog}");

async Task Section(string name, Func<Task> body)
{
    if (args.Length > 0 && !args.Any(a => name.Contains(a, StringComparison.OrdinalIgnoreCase))) return;
    var clock = Stopwatch.StartNew();
    try
    {
        await body();
        Report.Line($"{name}: done in {clock.Elapsed.TotalSeconds:0} s");
    }
    catch (Exception e)
    {
        Report.Error($"{name} failed after {clock.Elapsed.TotalSeconds:0} s: {e}");
        results.Add(new Row(name, "(failed)", "n/a", e.Message.Split('\n')[0]));
    }
}

IEnumerable<int> IdleCounts()
{
    var asked = args.Select(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Where(w => w.Length == 2 && w[0].Equals("idle", StringComparison.OrdinalIgnoreCase))
        .Select(w => int.TryParse(w[1], out var n) && n > 0 ? n : throw new ArgumentException($"'idle {w[1]}': the count must be a positive whole number"))
        .Distinct().ToList();
    return asked.Count > 0 ? asked : [150];
}
