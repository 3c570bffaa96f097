using System.CommandLine;
using System.Net.Http.Json;
using static Agent.Cli.Client.ClientVerbs;

namespace Agent.Cli.Client;

/// <summary>`agent network ls|inspect|create|rm|prune|connect|disconnect`: the agent's networks, like `docker network`.</summary>
public static class NetworkCommand
{
    public static Command Create()
    {
        var output = ClientCommand.OutputOption("table", "json", "yaml");
        var inspectOutput = ClientCommand.OutputOption("json", "yaml");
        var network = Arg("network", "The network's name or id (one of the agent's; see `agent network ls`)");
        var container = Arg("container", "One of the agent's containers");
        var subnet = new Option<string?>("--subnet") { Description = "The subnet, e.g. 10.20.0.0/24" };
        var gateway = new Option<string?>("--gateway") { Description = "The gateway address in the subnet" };
        var isInternal = new Option<bool>("--internal") { Description = "No route out of the network" };
        var label = Pairs("--label", "A label KEY=VALUE (repeatable)");
        var alias = new Option<string[]>("--alias") { Description = "A name the container has on the network (repeatable)" };
        var force = new Option<bool>("--force", "-f") { Description = "rm: even the network of an object in the manifests; disconnect: force it" };
        return Group("network", "The agent's networks, like docker network.",
            Verb("ls", "List the agent's networks with their containers.", [output], async (parse, client, ct) =>
                PrintList(await client.GetAsync(Path("networks"), ct), parse.GetValue(output)!, networks => networks.Aggregate(
                    new Table("NAME", "DRIVER", "SUBNETS", "CONTAINERS", "DECLARED BY"),
                    (t, v) =>
                    {
                        var n = v.GetProperty("network");
                        return t.Add(ResourceViews.Str(n, "name"), ResourceViews.Str(n, "driver"), string.Join(",", ResourceViews.Array(n, "subnets").Select(s => s.GetString())),
                            ResourceViews.FirstFew(ResourceViews.Array(n, "containers").Select(c => ResourceViews.Str(c, "name"))), ResourceViews.Str(v, "declaredBy"));
                    }))),
            Verb("inspect", "One network as the API shows it.", [network, inspectOutput], async (parse, client, ct) =>
                Print(await client.GetAsync(Path("networks", parse.GetValue(network)!), ct), parse.GetValue(inspectOutput)!)),
            Verb("create", "Create a bridge network labelled as the agent's.", [network, subnet, gateway, isInternal, label], async (parse, client, ct) =>
            {
                var body = new Http.NetworkEndpoints.NetworkBody(parse.GetValue(network), null, parse.GetValue(isInternal), null, null, parse.GetValue(subnet), parse.GetValue(gateway),
                    ParsePairs(parse.GetValue(label), "--label"));
                var created = await client.SendAsync(HttpMethod.Post, Path("networks"), CliJson.Body(body), ct);
                Console.WriteLine(ResourceViews.Str(created, "id"));
                return 0;
            }),
            Remove("networks", "Remove a network no container is attached to.", network, force),
            Prune("networks", "Remove the agent's networks that no container uses and no object in the manifests owns.", inspectOutput),
            Verb("connect", "Connect one of the agent's containers to one of its networks.", [network, container, alias], async (parse, client, ct) =>
            {
                var aliases = string.Concat((parse.GetValue(alias) ?? []).Select((a, i) => (i == 0 ? "?" : "&") + "alias=" + Uri.EscapeDataString(a)));
                await client.SendAsync(HttpMethod.Post, Path("networks", parse.GetValue(network)!, "containers", parse.GetValue(container)!) + aliases, null, ct);
                return 0;
            }),
            Verb("disconnect", "Disconnect one of the agent's containers from one of its networks.", [network, container, force], async (parse, client, ct) =>
            {
                await client.SendAsync(HttpMethod.Delete, Path("networks", parse.GetValue(network)!, "containers", parse.GetValue(container)!) + (parse.GetValue(force) ? "?force=true" : ""), null, ct);
                return 0;
            }));
    }
}
