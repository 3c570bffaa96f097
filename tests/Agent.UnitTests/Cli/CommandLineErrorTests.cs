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

    [Fact]
    public void A_type_name_from_the_parser_becomes_words()
    {
        Assert.Equal("'abc' for option '--n' is not a whole number",
            AgentCommandLine.Friendly("Cannot parse argument 'abc' for option '--n' as expected type 'System.Nullable`1[System.Int32]'."));
    }
}
