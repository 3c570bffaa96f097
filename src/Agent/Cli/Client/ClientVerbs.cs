using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Agent.Cli.Client;

/// <summary>The docker-like verbs over the imperative API (`agent volume ls`, `agent image push`, `agent cp`...): each is
/// one API call whose answer is printed as a table, or as the API's JSON (-o json|yaml).</summary>
public static class ClientVerbs
{
    /// <summary>A leaf command with its arguments and options, --state-dir, and an action that gets a client.</summary>
    public static Command Verb(string name, string description, Symbol[] symbols, Func<ParseResult, AgentClient, CancellationToken, Task<int>> action)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            if (symbol is Argument argument) command.Arguments.Add(argument);
            else if (symbol is Option option) command.Options.Add(option);
        }
        command.SetAction((parse, ct) => ClientCommand.RunAsync(parse, ct, client => action(parse, client, ct)));
        return command.WithStateDir();
    }

    /// <summary>`agent volume ...`: a command that only holds verbs.</summary>
    public static Command Group(string name, string description, params Command[] verbs)
    {
        var group = new Command(name, description);
        foreach (var verb in verbs) group.Subcommands.Add(verb);
        return group;
    }

    /// <summary>`rm NAME [--force]`: DELETE /api/v1/RESOURCE/NAME, printing the name.</summary>
    public static Command Remove(string resource, string description, Argument<string> name, Option<bool> force) =>
        Verb("rm", description, [name, force], async (parse, client, ct) =>
        {
            await client.SendAsync(HttpMethod.Delete, Path(resource, parse.GetValue(name)!) + (parse.GetValue(force) ? "?force=true" : ""), null, ct);
            Console.WriteLine(parse.GetValue(name));
            return 0;
        });

    /// <summary>`prune`: POST /api/v1/RESOURCE/prune, printing what was removed and kept.</summary>
    public static Command Prune(string resource, string description, Option<string> output) =>
        Verb("prune", description, [output], async (parse, client, ct) =>
            Print(await client.SendAsync(HttpMethod.Post, Path(resource, "prune"), null, ct), parse.GetValue(output)!));

    public static Argument<string> Arg(string name, string description) => new(name) { Description = description };

    /// <summary>Repeatable KEY=VALUE (--label, --build-arg).</summary>
    public static Option<string[]> Pairs(string name, string description) => new(name) { Description = description, AllowMultipleArgumentsPerToken = false };

    public static Dictionary<string, string> ParsePairs(string[]? values, string option)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values ?? [])
        {
            var eq = value.IndexOf('=');
            if (eq <= 0) throw new AgentApiException($"{option} \"{value}\" must be KEY=VALUE");
            pairs[value[..eq]] = value[(eq + 1)..];
        }
        return pairs;
    }

    public static string Path(params string[] segments) => "api/v1/" + string.Join('/', segments.Select((s, i) => i % 2 == 0 ? s : Uri.EscapeDataString(s)));

    public static int Print(JsonElement json, string format)
    {
        Console.Write(ClientCommand.Format(json, format) + (format == "json" ? "\n" : ""));
        return 0;
    }

    /// <summary>A table, or the JSON itself for -o json|yaml.</summary>
    public static int PrintList(JsonElement json, string format, Func<IEnumerable<JsonElement>, Table> table)
    {
        if (format != "table") return Print(json, format);
        var rendered = table(json.ValueKind == JsonValueKind.Array ? json.EnumerateArray() : []);
        if (rendered.Count == 0) Console.Error.WriteLine("No resources found.");
        else Console.Write(rendered.Render());
        return 0;
    }

    /// <summary>Prints NDJSON progress (pull, push, build) as it comes: `ID: status progress` lines, stream lines as they
    /// are; 1 when the last line is an error.</summary>
    public static async Task<int> ProgressAsync(HttpResponseMessage response, CancellationToken ct)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var failed = false;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0) continue;
            using var json = JsonDocument.Parse(line);
            var e = json.RootElement;
            failed = e.TryGetProperty("error", out var error);
            if (failed) Console.Error.WriteLine($"error: {error.GetString()}");
            else if (e.TryGetProperty("stream", out var stream)) Console.WriteLine(stream.GetString());
            else if (e.TryGetProperty("status", out var status))
                Console.WriteLine(string.Join(" ", new[] { ResourceViews.Str(e, "id") is { Length: > 0 } id ? id + ":" : "", status.GetString(), ResourceViews.Str(e, "progress") }.Where(p => !string.IsNullOrEmpty(p))));
            else if (!e.TryGetProperty("task", out _)) Console.WriteLine(string.Join(" ", e.EnumerateObject().Select(p => $"{p.Name}: {(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText())}")));
        }
        return failed ? 1 : 0;
    }

    /// <summary>docker's sizes: 1.2MB, 15kB, 0B.</summary>
    public static string Size(long bytes)
    {
        if (bytes < 0) return "N/A";
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1000 && unit < units.Length - 1) { value /= 1000; unit++; }
        return (unit == 0 ? value.ToString("0", CultureInfo.InvariantCulture) : value.ToString("0.##", CultureInfo.InvariantCulture)) + units[unit];
    }

    public static long Long(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : -1;
}
