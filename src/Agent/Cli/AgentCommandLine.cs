using System.CommandLine;
using Agent.Cli.Client;

namespace Agent.Cli;

public static partial class AgentCommandLine
{
    /// <summary>Parses and runs; a value that does not convert is reported in words, never as a .NET type name.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var root = Create();
        var parse = root.Parse(GlobalOptions.Hoist(root, args));
        if (UnknownVerb(parse) is { } unknown)
        {
            Console.Error.WriteLine($"error: {unknown}");
            return 1;
        }
        if (parse.Errors.Count == 0 || args.Length == 0) return await InvokeAsync(parse); // `agent` alone: the help page
        foreach (var line in ErrorLines(parse)) Console.Error.WriteLine(line);
        return 1;
    }

    /// <summary>Like kubectl: the parse errors, then where the usage is; not the whole help page before them (probe-32 F9).</summary>
    public static IReadOnlyList<string> ErrorLines(ParseResult parse)
    {
        var path = CommandPath(parse.CommandResult);
        return [.. parse.Errors.Select(e => $"error: {(ExpectedType().IsMatch(e.Message) ? Friendly(e.Message) : e.Message)}"),
            $"See 'agent {(path.Length == 0 ? "" : path + " ")}--help' for usage."];
    }

    private static string CommandPath(System.CommandLine.Parsing.CommandResult result) =>
        result.Parent is System.CommandLine.Parsing.CommandResult parent && parent.Command is not RootCommand
            ? $"{CommandPath(parent)} {result.Command.Name}"
            : result.Command is RootCommand ? "" : result.Command.Name;

    /// <summary>A setting that cannot be read stops any command with its message (no stack trace); anything else is
    /// reported as System.CommandLine's default handler would.</summary>
    private static async Task<int> InvokeAsync(ParseResult parse)
    {
        try
        {
            // `agent run` shuts down gracefully on SIGTERM (systemctl stop): a container stop it asked the engine for is
            // waited for (its grace, within the host's shutdown timeout), not left to land under the next agent
            // (probe-26 F5: it exited after System.CommandLine's default 2 s).
            var run = parse.CommandResult.Command.Name == "run";
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = run ? Hosting.AgentHost.ShutdownTimeout + TimeSpan.FromSeconds(5) : TimeSpan.FromSeconds(2),
            });
        }
        catch (Exception e) when (e is Hosting.SettingsException || e.InnerException is Hosting.SettingsException)
        {
            Console.Error.WriteLine($"error: {(e as Hosting.SettingsException ?? e.InnerException)!.Message}");
            return 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            return 1;
        }
    }

    /// <summary>A verb the agent does not have (kubectl's delete, scale, edit...): one line saying what does it here, not
    /// the parser's dump calling every following option unrecognized (probe-28 F12). Null for anything else.</summary>
    public static string? UnknownVerb(ParseResult parse)
    {
        if (parse.CommandResult.Command is not RootCommand || parse.UnmatchedTokens is not [var verb, ..] || verb.StartsWith('-')) return null;
        var hint = verb.ToLowerInvariant() switch
        {
            "delete" or "rm" or "remove" => "remove the object's manifest (from the manifests folder or its git repository) and the agent prunes it; " +
                                             "`agent stop` or `agent down` stop it and keep the manifest",
            "scale" => "set replicas in the manifest; the agent applies it",
            "edit" or "create" or "patch" or "replace" or "set" => "edit the manifest file; the agent applies it as it changes (`agent diff` shows what would change)",
            "rollout" => "`agent restart` restarts an object's containers; a changed manifest rolls out by itself",
            "ps" or "ls" or "list" => "`agent get all` lists objects, `agent get containers` their containers",
            "inspect" => "`agent describe TYPE/NAME`",
            _ => "`agent --help` lists the commands",
        };
        return $"agent has no \"{verb}\" command: {hint}";
    }

    /// <summary>"Cannot parse argument 'x' for option '--n' as expected type 'System.Int32'." in words.</summary>
    public static string Friendly(string message) => ExpectedType().Replace(message, m => m.Groups[1].Value switch
    {
        var t when t.Contains("Int32") || t.Contains("Int64") => "is not a whole number",
        var t when t.Contains("Boolean") => "is not true or false",
        var t when t.Contains("Double") || t.Contains("Decimal") => "is not a number",
        var t when t.Contains("TimeSpan") => "is not a duration (500ms, 90s, 5m, 1h30m)",
        _ => "is not a valid value",
    }).Replace("Cannot parse argument ", "", StringComparison.Ordinal);

    [System.Text.RegularExpressions.GeneratedRegex(@"as expected type '([^']+)'\.?")]
    private static partial System.Text.RegularExpressions.Regex ExpectedType();

    public static RootCommand Create()
    {
        var root = new RootCommand("Agent: keeps a Docker engine equal to a folder of manifests, like a Kubernetes operator for one host.");
        root.Options.Add(ClientCommand.Server);
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(DiffCommand.Create());
        root.Subcommands.Add(ApplyCommand.Create());
        root.Subcommands.Add(GetCommand.Create().WithStateDir());
        root.Subcommands.Add(DescribeCommand.Create().WithStateDir());
        root.Subcommands.Add(EventsCommand.Create().WithStateDir());
        root.Subcommands.Add(LogsCommand.Create().WithStateDir());
        root.Subcommands.Add(WaitCommand.Create().WithStateDir());
        root.Subcommands.Add(ObjectVerbCommand.Create("stop", "Stop an object's containers and keep them stopped (survives agent restarts).").WithStateDir());
        root.Subcommands.Add(ObjectVerbCommand.Create("start", "Clear a stop and start the object's stopped containers (like docker compose start); prints what it started.").WithStateDir());
        root.Subcommands.Add(ObjectVerbCommand.Create("restart", "Restart an object's containers, running and stopped (like docker compose restart); prints what it restarted.").WithStateDir());
        root.Subcommands.Add(ObjectVerbCommand.Create("down", "Take a compose project down like docker compose down: its containers and network are removed, volumes kept, until up.").WithStateDir());
        root.Subcommands.Add(ObjectVerbCommand.Create("up", "Bring a compose project up like docker compose up -d: clear a down and start its stopped containers; prints what it started.").WithStateDir());
        root.Subcommands.Add(ImageCommand.Create());
        root.Subcommands.Add(VolumeCommand.Create());
        root.Subcommands.Add(NetworkCommand.Create());
        root.Subcommands.Add(ContainerFilesCommand.Files());
        root.Subcommands.Add(ContainerFilesCommand.Copy());
        root.Subcommands.Add(ContainerFilesCommand.Top());
        root.Subcommands.Add(ExecCommand.Create().WithStateDir());
        root.Subcommands.Add(SystemCommand.Create());
        root.Subcommands.Add(PruneCommand.Create());
        root.Subcommands.Add(SystemCommand.Proxy());
        root.Subcommands.Add(RenderCommand.Create());
        return root;
    }
}
