using System.Diagnostics;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>The independent oracle: the docker CLI, which shares no code with the agent's adapter.</summary>
public static class DockerCli
{
    public static async Task<string> RunAsync(params string[] args)
    {
        var (exit, stdout, stderr) = await TryRunAsync(args);
        if (exit != 0) throw new InvalidOperationException($"docker {string.Join(' ', args)} exited {exit}: {stderr}");
        return stdout.Trim();
    }

    public static async Task<(int Exit, string Stdout, string Stderr)> TryRunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start the docker CLI");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Ids of containers (running or not) with all these labels.</summary>
    public static async Task<IReadOnlyList<string>> ContainerIdsAsync(params string[] labels)
    {
        var args = new List<string> { "ps", "-aq", "--no-trunc" };
        foreach (var label in labels) { args.Add("--filter"); args.Add($"label={label}"); }
        var output = await RunAsync([.. args]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static async Task<string> InspectAsync(string id, string format) => await RunAsync("inspect", "--format", format, id);
}
