using System.Diagnostics;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>Runs a program the tests use as an oracle (docker, helm, promtool) and collects what it printed.</summary>
public static class ExternalTool
{
    /// <summary>A bash script, for the few oracles that need a shell (redirections, pipes).</summary>
    public static Task<(int Exit, string Stdout, string Stderr)> ShellAsync(string script) => RunAsync("bash", ["-c", script]);

    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string program, IEnumerable<string> args,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{program} is not installed ({e.Message}): run `bash eng/ensure-tools.sh` or the README's test command", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(deadline.Token);
            return (process.ExitCode, await stdout, await stderr);
        }
    }
}
