using System.CommandLine;
using System.Text.Json;
using static Agent.Cli.Client.ClientVerbs;

namespace Agent.Cli.Client;

/// <summary>`agent system df|usage|top` (like docker system df, host usage, the busiest containers) and `agent proxy
/// CONTAINER` (where the agent's reverse proxy reaches it, and the URL to use).</summary>
public static class SystemCommand
{
    public static Command Create()
    {
        var output = ClientCommand.OutputOption("table", "json", "yaml");
        var usageOutput = ClientCommand.OutputOption("json", "yaml");
        var sort = new Option<string>("--sort") { Description = "cpu or memory", DefaultValueFactory = _ => "cpu" };
        sort.AcceptOnlyFromAmong("cpu", "memory");
        var limit = new Option<int>("--limit") { Description = "How many containers (1 to 100)", DefaultValueFactory = _ => 10 };
        return Group("system", "The engine's disk usage, the host's usage and the agent's busiest containers.",
            Verb("df", "Disk usage like docker system df: images, the agent's containers and volumes, build cache.", [output], async (parse, client, ct) =>
            {
                var df = await client.GetAsync(Path("system", "df"), ct);
                if (parse.GetValue(output) != "table") return Print(df, parse.GetValue(output)!);
                var table = new Table("TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
                foreach (var (type, name) in new[] { ("Images", "images"), ("Containers", "containers"), ("Local Volumes", "volumes"), ("Build Cache", "buildCache") })
                    if (df.TryGetProperty(name, out var part))
                        table.Add(type, Long(part, "count").ToString(System.Globalization.CultureInfo.InvariantCulture), Long(part, "active").ToString(System.Globalization.CultureInfo.InvariantCulture),
                            Size(Long(part, "size")), Size(Long(part, "reclaimable")));
                Console.Write(table.Render());
                return 0;
            }),
            Verb("usage", "The host's CPU, memory, load and the disk of the engine's data root.", [usageOutput], async (parse, client, ct) =>
                Print(await client.GetAsync(Path("system", "usage"), ct), parse.GetValue(usageOutput)!)),
            Verb("top", "The agent's running containers by CPU or memory.", [sort, limit, output], async (parse, client, ct) =>
                PrintList(await client.GetAsync(Path("system", "top") + $"?sort={parse.GetValue(sort)}&limit={parse.GetValue(limit)}", ct), parse.GetValue(output)!,
                    rows => rows.Aggregate(new Table("NAME", "CPU %", "MEM USAGE", "MEM LIMIT", "PIDS"),
                        (t, c) => t.Add(ResourceViews.Str(c, "name"), ResourceViews.Str(c, "cpuPercent"), Size(Long(c, "memoryBytes")), Size(Long(c, "memoryLimitBytes")), ResourceViews.Str(c, "pids"))))));
    }

    public static Command Proxy()
    {
        var container = Arg("container", "One of the agent's containers");
        var port = new Option<int?>("--port") { Description = "Which container port (default: its only TCP port)" };
        var output = ClientCommand.OutputOption("text", "json", "yaml");
        return Verb("proxy", "Where the agent's reverse proxy reaches a container, and the URL to call it through the agent (with a token).", [container, port, output], async (parse, client, ct) =>
        {
            var name = parse.GetValue(container)!;
            var query = parse.GetValue(port) is { } p ? $"?port={p}" : "";
            var upstream = await client.GetAsync(Path("containers", name, "proxy") + query, ct);
            var through = new Uri(client.Server, Path("containers", name, "proxy") + "/" + query).ToString();
            if (parse.GetValue(output) != "text")
                return Print(CliJson.Element(new ProxyAnswer(through, upstream)), parse.GetValue(output)!);
            Console.WriteLine(through);
            Console.WriteLine($"  -> {ResourceViews.Str(upstream, "url")} (port {ResourceViews.Str(upstream, "port")}, via {ResourceViews.Str(upstream, "via")})");
            return 0;
        });
    }
}
