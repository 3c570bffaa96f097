using System.CommandLine;
using Agent.Cli;

namespace Agent.UnitTests.Cli;

/// <summary>No .NET type name reaches a user: every option of every command, given a value of the wrong kind, is
/// reported in words.</summary>
public sealed class CommandLineErrorTests
{
    [Fact]
    public void Every_option_given_a_wrong_value_is_reported_without_a_dotnet_type_name()
    {
        var root = AgentCommandLine.Create();
        var checkedOptions = 0;
        foreach (var (path, command) in Commands(root, []))
            foreach (var option in command.Options.Concat(root.Options).Where(o => o.Name is not ("--help" or "--version")))
            {
                var args = new List<string>(path);
                args.AddRange(command.Arguments.Select(_ => "x"));
                args.AddRange([option.Name, "not-a-valid-value-%"]);
                var parse = root.Parse(args);
                foreach (var error in parse.Errors)
                {
                    var shown = AgentCommandLine.Friendly(error.Message);
                    Assert.DoesNotContain("System.", shown);
                    Assert.DoesNotContain("`1[", shown);
                }
                checkedOptions++;
            }
        Assert.True(checkedOptions > 60, $"only {checkedOptions} options walked");
    }

    /// <summary>Every command that runs something, with the words that name it (`volume ls`), groups walked into.</summary>
    private static IEnumerable<(string[] Path, Command Command)> Commands(Command parent, string[] path)
    {
        foreach (var command in parent.Subcommands)
        {
            string[] named = [.. path, command.Name];
            if (command.Subcommands.Count == 0) yield return (named, command);
            else foreach (var nested in Commands(command, named)) yield return nested;
        }
    }

    [Theory]
    [InlineData("delete servicegroup/sdb --state-dir /tmp/s", "agent has no \"delete\" command: remove the object's manifest")]
    [InlineData("scale servicegroup/web --replicas 3", "agent has no \"scale\" command: set replicas in the manifest")]
    [InlineData("frobnicate", "agent has no \"frobnicate\" command: `agent --help` lists the commands")]
    public void A_verb_the_agent_does_not_have_is_one_line_saying_what_does_it_here(string args, string expected)
    {
        // probe-28 F12: `agent delete ...` printed the parser's dump, calling the valid --state-dir unrecognized.
        var root = AgentCommandLine.Create();
        var message = AgentCommandLine.UnknownVerb(root.Parse(GlobalOptions.Hoist(root, args.Split(' '))));
        Assert.NotNull(message);
        Assert.StartsWith(expected, message);
        Assert.DoesNotContain('\n', message);
    }

    [Theory]
    [InlineData("logs --tail -5 web", "error: --tail \"-5\" is not a number of lines", "See 'agent logs --help' for usage.")]
    [InlineData("prune show --bogus", "error: Unrecognized command or argument '--bogus'.", "See 'agent prune show --help' for usage.")]
    [InlineData("logs", "error: Required argument 'target' missing", "See 'agent logs --help' for usage.")]
    public void A_parse_error_is_the_error_then_where_the_usage_is_not_the_help_page(string args, string first, string last)
    {
        // probe-32 F9: the whole help page came before the error.
        var root = AgentCommandLine.Create();
        var lines = AgentCommandLine.ErrorLines(root.Parse(GlobalOptions.Hoist(root, args.Split(' '))));
        Assert.StartsWith(first, lines[0]);
        Assert.Equal(last, lines[^1]);
        Assert.DoesNotContain(lines, l => l.Contains("Usage:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("get all")]
    [InlineData("--server http://127.0.0.1:1 get all")]
    [InlineData("stop servicegroup/web --bogus")]
    public void Known_commands_are_not_taken_for_unknown_verbs(string args)
    {
        var root = AgentCommandLine.Create();
        Assert.Null(AgentCommandLine.UnknownVerb(root.Parse(GlobalOptions.Hoist(root, args.Split(' ')))));
    }

    [Fact]
    public void A_type_name_from_the_parser_becomes_words()
    {
        Assert.Equal("'abc' for option '--n' is not a whole number",
            AgentCommandLine.Friendly("Cannot parse argument 'abc' for option '--n' as expected type 'System.Nullable`1[System.Int32]'."));
    }
}
