using System.CommandLine;
using System.Net.Http.Json;
using static Agent.Cli.Client.ClientVerbs;

namespace Agent.Cli.Client;

/// <summary>`agent volume ls|inspect|create|rm|prune`: the agent's volumes, like `docker volume` (GET/POST/DELETE /api/v1/volumes).</summary>
public static class VolumeCommand
{
    public static Command Create()
    {
        var output = ClientCommand.OutputOption("table", "json", "yaml");
        var inspectOutput = ClientCommand.OutputOption("json", "yaml");
        var name = Arg("name", "The volume's name (one of the agent's; see `agent volume ls`)");
        var label = Pairs("--label", "A label KEY=VALUE (repeatable)");
        var driver = new Option<string?>("--driver", "-d") { Description = "The volume driver (default local; others only when the security policy allows them)" };
        var opt = Pairs("--opt", "A driver option KEY=VALUE (repeatable; only a tmpfs's for the local driver)");
        var force = new Option<bool>("--force", "-f") { Description = "Remove it even though a manifest declares it (its data is lost; the object makes it again, empty)" };
        return Group("volume", "The agent's volumes, like docker volume.",
            Verb("ls", "List the agent's volumes with size, users and the object that declares them.", [output], async (parse, client, ct) =>
                PrintList(await client.GetAsync(Path("volumes"), ct), parse.GetValue(output)!, volumes => volumes.Aggregate(
                    new Table("NAME", "DRIVER", "SIZE", "USED BY", "DECLARED BY"),
                    (t, v) => t.Add(ResourceViews.Str(v, "name"), ResourceViews.Str(v, "driver"), Size(Long(v, "sizeBytes")),
                        ResourceViews.FirstFew(ResourceViews.Array(v, "usedBy").Select(u => ResourceViews.Str(u, "name"))), ResourceViews.Str(v, "declaredBy"))))),
            Verb("inspect", "One volume as the API shows it.", [name, inspectOutput], async (parse, client, ct) =>
                Print(await client.GetAsync(Path("volumes", parse.GetValue(name)!), ct), parse.GetValue(inspectOutput)!)),
            Verb("create", "Create a volume labelled as the agent's (through the security policy).", [name, driver, opt, label], async (parse, client, ct) =>
            {
                var body = new Http.VolumeEndpoints.VolumeBody(parse.GetValue(name), parse.GetValue(driver), ParsePairs(parse.GetValue(opt), "--opt"), ParsePairs(parse.GetValue(label), "--label"));
                await client.SendAsync(HttpMethod.Post, Path("volumes"), CliJson.Body(body), ct);
                Console.WriteLine(parse.GetValue(name));
                return 0;
            }),
            Remove("volumes", "Remove a volume no container uses.", name, force),
            Prune("volumes", "Remove the agent's volumes that no container uses and no manifest declares.", inspectOutput));
    }
}
