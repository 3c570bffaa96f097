namespace Agent.IntegrationTests.Infrastructure;

/// <summary>Runs the built `agent` program as a user would.</summary>
public static class AgentCli
{
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Agent.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Agent.sln not found above the test folder");
        }
    }

    public static Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args) =>
        ExternalTool.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "agent.dll"), .. args], RepositoryRoot,
            new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" }, TimeSpan.FromMinutes(5));
}
