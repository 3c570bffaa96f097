using System.CommandLine;
using System.Net.Http.Json;
using static Agent.Cli.Client.ClientVerbs;

namespace Agent.Cli.Client;

/// <summary>`agent image ls|inspect|history|tag|push|pull|rm|prune`: the engine's images, like `docker image`.</summary>
public static class ImageCommand
{
    public static Command Create()
    {
        var output = ClientCommand.OutputOption("table", "json", "yaml");
        var inspectOutput = ClientCommand.OutputOption("json", "yaml");
        var image = Arg("image", "NAME[:TAG] or an image id");
        var target = Arg("target", "The new NAME[:TAG]");
        var force = new Option<bool>("--force", "-f") { Description = "tag: re-point a name that names another image (admin); rm: even an image that manifests or containers use" };
        var all = new Option<bool>("--all", "-a") { Description = "Every image no container uses, not only dangling ones" };
        var filter = new Option<string[]>("--filter") { Description = "label=KEY[=VALUE], label!=KEY[=VALUE] or until=DURATION (repeatable)" };
        return Group("image", "The engine's images, like docker image.",
            Verb("ls", "List images.", [output], async (parse, client, ct) =>
                PrintList(await client.GetAsync(Path("images"), ct), parse.GetValue(output)!, images => images.Aggregate(
                    new Table("TAGS", "ID", "SIZE", "CREATED"),
                    (t, i) => t.Add(string.Join(",", ResourceViews.Array(i, "tags").Select(s => s.GetString())), ShortId(ResourceViews.Str(i, "id")),
                        Size(Long(i, "size")), ResourceViews.Str(i, "created"))))),
            Verb("inspect", "One image: id, tags, digests, config, labels, layers.", [image, inspectOutput], async (parse, client, ct) =>
                Print(await client.GetAsync(Path("images", parse.GetValue(image)!, "json"), ct), parse.GetValue(inspectOutput)!)),
            Verb("history", "The image's layers and the instructions that made them.", [image, output], async (parse, client, ct) =>
                PrintList(await client.GetAsync(Path("images", parse.GetValue(image)!, "history"), ct), parse.GetValue(output)!, layers => layers.Aggregate(
                    new Table("ID", "CREATED BY", "SIZE"), (t, l) => t.Add(ShortId(ResourceViews.Str(l, "id")), ResourceViews.Str(l, "createdBy"), Size(Long(l, "size")))))),
            Verb("tag", "Give an image another name.", [image, target, force], async (parse, client, ct) =>
            {
                var path = Path("images", parse.GetValue(image)!, "tag") + (parse.GetValue(force) ? "?force=true" : "");
                await client.SendAsync(HttpMethod.Post, path, CliJson.Body(new Http.ImageEndpoints.TagBody(parse.GetValue(target)!)), ct);
                return 0;
            }),
            Verb("push", "Push a tagged image to its registry with the agent's credentials; progress as it comes.", [image], async (parse, client, ct) =>
            {
                using var response = await client.StreamAsync(HttpMethod.Post, Path("images", parse.GetValue(image)!, "push"), null, ct);
                return await ProgressAsync(response, ct);
            }),
            Verb("pull", "Pull an image with the agent's credentials for its registry; progress as it comes.", [image], async (parse, client, ct) =>
            {
                using var response = await client.StreamAsync(HttpMethod.Post, Path("images", "pull"), CliJson.Body(new Http.ImageEndpoints.PullBody(parse.GetValue(image)!)), ct);
                return await ProgressAsync(response, ct);
            }),
            Verb("rm", "Remove an image (409 naming its users unless --force).", [image, force], async (parse, client, ct) =>
            {
                await client.SendAsync(HttpMethod.Delete, Path("images", parse.GetValue(image)!) + (parse.GetValue(force) ? "?force=true" : ""), null, ct);
                Console.WriteLine($"Untagged: {parse.GetValue(image)}");
                return 0;
            }),
            Verb("prune", "Remove dangling images, or with --all every image no container uses.", [all, filter, inspectOutput], async (parse, client, ct) =>
            {
                var query = new List<string>();
                if (parse.GetValue(all)) query.Add("all=true");
                query.AddRange((parse.GetValue(filter) ?? []).Select(f => "filter=" + Uri.EscapeDataString(f)));
                return Print(await client.SendAsync(HttpMethod.Post, Path("images", "prune") + (query.Count > 0 ? "?" + string.Join("&", query) : ""), null, ct), parse.GetValue(inspectOutput)!);
            }));
    }

    private static string ShortId(string id) => id.StartsWith("sha256:", StringComparison.Ordinal) && id.Length > 19 ? id[7..19] : id;
}
