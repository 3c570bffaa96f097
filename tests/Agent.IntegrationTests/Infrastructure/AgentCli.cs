using System.Diagnostics;

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

    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryRoot };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "agent.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
