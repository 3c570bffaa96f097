using Agent.Bench;

// Converge, resync, self-heal, HTTP and cronjob lateness numbers, with the raw engine and docker-compose measured in the same run.
// A section that fails is reported in the table and the others still run. Arguments pick sections by name
// (`bash bench/run.sh memory`); none runs them all.
var results = new List<Row>();
await using var bench = new Bench(results);
await Section("memory", async () =>
{
    await new RssBench(results, AgentProcess.Default).RunAsync();
    await new RssBench(results, (await ShippedBuild.GetAsync(results)).Path).RunAsync();
});
await Section("cold converge", () => bench.ColdConvergeAsync(100));
await Section("no-op resync", () => bench.NoOpResyncAsync([100, 500]));
await Section("compose", () => bench.ComposeAsync(Bench.Scale));
await Section("self-heal", () => bench.SelfHealAsync(20));
await Section("http", () => bench.HttpAsync(100));
await Section("proxy", () => bench.ProxyAsync());
await Section("cronjob lateness", () => bench.CronLatenessAsync(60));
await Section("scale", () => bench.ScaleAsync(Bench.Scale));
await Section("folder objects", () => bench.FolderObjectsAsync(5000));
await Section("startup", async () =>
{
    await new StartupBench(results, AgentProcess.Default).RunAsync(Bench.Scale);
    await new StartupBench(results, (await ShippedBuild.GetAsync(results)).Path).RunAsync(Bench.Scale);
});
await Section("native aot", () => new AotBench(results).RunAsync());
await Section("folder re-read", () => SourceBench.FolderRereadAsync(results, 1000, 5));
await Section("admission", () => AdmissionBench.RunAsync(results, 200));
await Section("git webhook", () => bench.GitWebhookAsync(10));
Table.Print(results);

async Task Section(string name, Func<Task> body)
{
    if (args.Length > 0 && !args.Any(a => name.Contains(a, StringComparison.OrdinalIgnoreCase))) return;
    try
    {
        await body();
    }
    catch (Exception e)
    {
        Console.Error.WriteLine($"{name} failed: {e}");
        results.Add(new Row(name, "(failed)", "n/a", e.Message.Split('\n')[0]));
    }
}
