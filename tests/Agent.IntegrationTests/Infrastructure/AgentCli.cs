using System.Diagnostics;
using System.Text;

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

    /// <summary>How the agent is started: this build's agent.dll through dotnet, or the executable AGENT_TEST_AGENT names
    /// (e.g. the Native AOT binary of eng/publish-aot.sh), so the tests that start the agent process can run against it.</summary>
    public static (string File, string[] Prefix) Launcher =>
        System.Environment.GetEnvironmentVariable("AGENT_TEST_AGENT") is { Length: > 0 } binary
            ? (binary, [])
            : ("dotnet", [Path.Combine(AppContext.BaseDirectory, "agent.dll")]);

    private static Dictionary<string, string> Environment(IReadOnlyDictionary<string, string>? environment)
    {
        var all = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) all[k] = v;
        return all;
    }

    public static Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args) => RunAsync(null, args);

    public static Task<(int Exit, string Stdout, string Stderr)> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        ExternalTool.RunAsync(Launcher.File, [.. Launcher.Prefix, .. args], RepositoryRoot, Environment(environment), TimeSpan.FromMinutes(5));

    /// <summary>Runs it from another working directory (the repository root holds the demo's ./manifests).</summary>
    public static Task<(int Exit, string Stdout, string Stderr)> RunInAsync(string workingDirectory, params string[] args) =>
        ExternalTool.RunAsync(Launcher.File, [.. Launcher.Prefix, .. args], workingDirectory, Environment(null), TimeSpan.FromMinutes(5));

    /// <summary>A long-running command (--watch, -f): its output so far, readable while it runs; disposing kills it.</summary>
    public static RunningCommand Start(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(Launcher.File) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryRoot };
        foreach (var arg in Launcher.Prefix) info.ArgumentList.Add(arg);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (k, v) in Environment(environment)) info.Environment[k] = v;
        return new RunningCommand(Process.Start(info)!);
    }

    public sealed class RunningCommand : IDisposable
    {
        private readonly Process process;
        private readonly StringBuilder stdout = new();
        private readonly StringBuilder stderr = new();
        private readonly Lock sync = new();

        public RunningCommand(Process process)
        {
            this.process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (sync) stdout.Append(e.Data).Append('\n'); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (sync) stderr.Append(e.Data).Append('\n'); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Stdout { get { lock (sync) return stdout.ToString(); } }
        public string Stderr { get { lock (sync) return stderr.ToString(); } }
        /// <summary>Exited, and its output read to the end: Process.HasExited turns true before the last lines reach the
        /// output handlers (CI: exit code 1 read with stderr still empty), which WaitForExit() waits for.</summary>
        public bool HasExited
        {
            get
            {
                if (!process.HasExited) return false;
                process.WaitForExit();
                return true;
            }
        }
        public int ExitCode => process.ExitCode;

        public Task<string> WaitForOutputAsync(Func<string, bool> done, string what) =>
            Eventually.ReturnsAsync(() => Task.FromResult(Stdout), done, TimeSpan.FromSeconds(60), $"{what}; stdout so far:\n{Stdout}\nstderr:\n{Stderr}");

        public void Dispose()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
            process.Dispose();
        }
    }
}
