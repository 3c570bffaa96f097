using Agent.Http;

namespace Agent.UnitTests.Hosting;

/// <summary>docs/api.md holds the Docker commands table exactly as GET /api/v1/commands serves it. AGENT_UPDATE_DOCS=1
/// rewrites it instead of failing.</summary>
public sealed class CommandsDocsTests
{
    private const string Begin = "<!-- docker-commands:begin (generated from DockerCommands.cs; AGENT_UPDATE_DOCS=1 dotnet test --filter CommandsDocsTests) -->\n";
    private const string End = "<!-- docker-commands:end -->";

    [Fact]
    public void The_docs_hold_the_commands_table()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Agent.sln"))) dir = dir.Parent;
        var path = Path.Combine(dir!.FullName, "docs", "api.md");
        var docs = File.ReadAllText(path);
        var start = docs.IndexOf(Begin, StringComparison.Ordinal);
        var end = docs.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/api.md has no docker-commands section");
        var expected = DockerCommands.Markdown();
        var actual = docs[(start + Begin.Length)..end];
        if (actual != expected && Environment.GetEnvironmentVariable("AGENT_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, docs[..(start + Begin.Length)] + expected + docs[end..]);
            return;
        }
        Assert.True(actual == expected, $"docs/api.md's Docker commands table is not DockerCommands.All (AGENT_UPDATE_DOCS=1 regenerates it). Expected:\n{expected}");
    }
}
