using Agent.Cli;

namespace Agent.UnitTests.Cli;

/// <summary>probe-18 F6: options before the verb, kubectl style, are taken (before: `'--state-dir' was not matched`).</summary>
public sealed class GlobalOptionsTests
{
    private static string Hoisted(params string[] args) => string.Join(' ', GlobalOptions.Hoist(AgentCommandLine.Create(), args));

    [Theory]
    [InlineData("--state-dir S get all", "get --state-dir S all")]
    [InlineData("--state-dir=S get all", "get --state-dir=S all")]
    [InlineData("-o json --state-dir S get all", "get -o json --state-dir S all")]
    [InlineData("--state-dir S volume ls", "volume ls --state-dir S")]
    [InlineData("--state-dir S exec web-1 -- ls -la", "exec --state-dir S web-1 -- ls -la")]
    [InlineData("--server http://h:1 get all", "get --server http://h:1 all")]
    [InlineData("--state-dir S stop servicegroup/web", "stop --state-dir S servicegroup/web")]
    [InlineData("get all --state-dir S", "get all --state-dir S")]
    [InlineData("--bogus get all", "--bogus get all")]
    [InlineData("--watch get all", "get --watch all")]
    [InlineData("--state-dir S", "--state-dir S")]
    public void Options_before_the_verb_are_moved_after_it(string args, string expected) =>
        Assert.Equal(expected, Hoisted(args.Split(' ')));

    [Fact]
    public void Options_before_the_verb_parse_as_after_it()
    {
        var root = AgentCommandLine.Create();
        var parse = root.Parse(GlobalOptions.Hoist(root, ["--state-dir", "/tmp/s", "get", "all"]));
        Assert.Empty(parse.Errors);
        Assert.Equal("/tmp/s", parse.GetValue<string?>("--state-dir"));
        Assert.Equal("get", parse.CommandResult.Command.Name);
    }
}
