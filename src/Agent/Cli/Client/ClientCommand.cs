using System.CommandLine;
using System.Text.Json;

namespace Agent.Cli.Client;

/// <summary>What every command that talks to a running agent shares: --server, -o, and errors as "error: detail" with exit 1.</summary>
public static class ClientCommand
{
    /// <summary>--server, on the root command and every command under it.</summary>
    public static readonly Option<string?> Server = new("--server", "-s")
    {
        Description = "The running agent's address (default: its configured Urls, else http://127.0.0.1:8098). The token comes from AGENT_TOKEN or the state dir's tokens file.",
        Recursive = true,
    };

    /// <summary>--state-dir, on every client command: the agent's state dir, where its tokens file and address are.</summary>
    public static Option<string?> StateDirOption() => new("--state-dir")
    {
        Description = "The running agent's state dir (as given to `agent run --state-dir`): its token and address are read from there",
    };

    /// <summary>Adds --state-dir to a client command.</summary>
    public static Command WithStateDir(this Command command)
    {
        command.Options.Add(StateDirOption());
        return command;
    }

    public static Option<string> OutputOption(params string[] formats)
    {
        var output = new Option<string>("--output", "-o") { Description = string.Join(", ", formats), DefaultValueFactory = _ => formats[0] };
        output.AcceptOnlyFromAmong(formats);
        return output;
    }

    public static async Task<int> RunAsync(ParseResult parse, CancellationToken ct, Func<AgentClient, Task<int>> action)
    {
        try
        {
            using var client = AgentClient.Create(parse.GetValue(Server), parse.GetValue<string?>("--state-dir"));
            return await action(client);
        }
        catch (AgentApiException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return 0;
        }
    }

    /// <summary>The API's JSON as the CLI prints it: indented, its names as the API gave them, text written as it is.</summary>
    public static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true, TypeInfoResolver = CliJsonContext.Default, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The server's JSON, indented, or the same as YAML.</summary>
    public static string Format(JsonElement json, string output) => output == "yaml"
        ? YamlOutput.Write(System.Text.Json.Nodes.JsonNode.Parse(json.GetRawText()), quoteNecessaryStrings: true)
        : JsonSerializer.Serialize(json, CliJson.Info<JsonElement>(Indented));

}
