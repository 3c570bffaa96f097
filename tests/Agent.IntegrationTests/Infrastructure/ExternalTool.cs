using System.Diagnostics;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>Runs a program the tests use as an oracle (docker, helm, promtool) and collects what it printed.</summary>
public static class ExternalTool
{
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string program, IEnumerable<string> args, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (var arg in args) info.ArgumentList.Add(arg);
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
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout, await stderr);
        }
    }
}
