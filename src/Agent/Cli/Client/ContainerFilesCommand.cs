using System.CommandLine;
using static Agent.Cli.Client.ClientVerbs;

namespace Agent.Cli.Client;

/// <summary>Files inside the agent's containers and their processes: `agent files ls|cat`, `agent cp FILE CONTAINER:PATH`
/// (into the container, like docker cp), `agent top CONTAINER`, over /api/v1/containers/{id}/files and /top.</summary>
public static class ContainerFilesCommand
{
    public static Command Files()
    {
        var output = ClientCommand.OutputOption("table", "json", "yaml");
        var container = Arg("container", "One of the agent's containers (see `agent get containers`)");
        var path = Arg("path", "A path inside the container, e.g. /etc");
        return Group("files", "Files inside the agent's containers (through the engine's archive API).",
            Verb("ls", "List a folder in the container.", [container, path, output], async (parse, client, ct) =>
            {
                var listing = await client.GetAsync(FilesPath(parse.GetValue(container)!, parse.GetValue(path)!), ct);
                if (!listing.TryGetProperty("entries", out var entries)) return Print(listing, parse.GetValue(output) == "table" ? "json" : parse.GetValue(output)!);
                return PrintList(parse.GetValue(output) == "table" ? entries : listing, parse.GetValue(output)!, rows => rows.Aggregate(
                    new Table("MODE", "SIZE", "MODIFIED", "NAME"),
                    (t, e) => t.Add(ResourceViews.Str(e, "mode"), Long(e, "size").ToString(System.Globalization.CultureInfo.InvariantCulture), ResourceViews.Str(e, "mtime"),
                        ResourceViews.Str(e, "name") + (ResourceViews.Str(e, "type") == "directory" ? "/" : "") + (ResourceViews.Str(e, "linkTarget") is { Length: > 0 } link ? " -> " + link : ""))));
            }),
            Verb("cat", "Print a file of the container.", [container, path], async (parse, client, ct) =>
            {
                using var response = await client.StreamAsync(HttpMethod.Get, FilesPath(parse.GetValue(container)!, parse.GetValue(path)!), null, ct);
                if (response.Content.Headers.ContentType?.MediaType != "application/octet-stream")
                    throw new AgentApiException($"{parse.GetValue(path)} is not a file in {parse.GetValue(container)}: list a folder with `agent files ls`");
                await using var stdout = Console.OpenStandardOutput();
                await (await response.Content.ReadAsStreamAsync(ct)).CopyToAsync(stdout, ct);
                return 0;
            }));
    }

    /// <summary>`agent cp FILE CONTAINER:PATH`: a local file into a container (the other direction is `agent files cat`).</summary>
    public static Command Copy()
    {
        var source = Arg("source", "A local file (- reads standard input)");
        var destination = Arg("destination", "CONTAINER:PATH, the file to create or replace (its folder must exist)");
        var mode = new Option<string?>("--mode") { Description = "Permission bits in octal (default 0644)" };
        return Verb("cp", "Copy a local file into one of the agent's containers, like docker cp FILE CONTAINER:PATH.", [source, destination, mode], async (parse, client, ct) =>
        {
            var target = parse.GetValue(destination)!;
            var colon = target.IndexOf(':');
            if (colon <= 0 || colon == target.Length - 1) throw new AgentApiException($"\"{target}\": give the destination as CONTAINER:PATH, e.g. web-1:/tmp/a.txt");
            var from = parse.GetValue(source)!;
            await using var file = from == "-" ? Console.OpenStandardInput() : File.OpenRead(from);
            var query = parse.GetValue(mode) is { } m ? "&mode=" + Uri.EscapeDataString(m) : "";
            var content = new StreamContent(file) { Headers = { ContentType = new("application/octet-stream") } };
            var written = await client.SendAsync(HttpMethod.Put, FilesPath(target[..colon], target[(colon + 1)..]) + query, content, ct);
            Console.WriteLine($"{target[..colon]}:{ResourceViews.Str(written, "path")} {ResourceViews.Str(written, "size")} bytes, mode {ResourceViews.Str(written, "mode")}");
            return 0;
        });
    }

    /// <summary>`agent top CONTAINER`: its processes, like docker top.</summary>
    public static Command Top()
    {
        var container = Arg("container", "One of the agent's running containers");
        var output = ClientCommand.OutputOption("table", "json", "yaml");
        return Verb("top", "Show a container's processes, like docker top.", [container, output], async (parse, client, ct) =>
        {
            var top = await client.GetAsync(Path("containers", parse.GetValue(container)!, "top"), ct);
            if (parse.GetValue(output) != "table") return Print(top, parse.GetValue(output)!);
            var table = new Table([.. ResourceViews.Array(top, "titles").Select(t => t.GetString() ?? "")]);
            foreach (var process in ResourceViews.Array(top, "processes")) table.Add([.. process.EnumerateArray().Select(c => c.GetString())]);
            Console.Write(table.Render());
            return 0;
        });
    }

    private static string FilesPath(string container, string path) => Path("containers", container, "files") + "?path=" + Uri.EscapeDataString(path);
}
