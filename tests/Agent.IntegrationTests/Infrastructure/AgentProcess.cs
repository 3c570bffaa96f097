using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>
/// The built `agent run` as a separate process, as a user starts it, so that a test can kill it for real (SIGKILL:
/// no shutdown code runs). Its output is kept for the failure message.
/// </summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();

    private AgentProcess(Process process, int port, string stateDir)
    {
        this.process = process;
        Port = port;
        StateDir = stateDir;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }
    public string StateDir { get; }
    public int Pid => process.Id;
    public bool HasExited => process.HasExited;

    /// <summary>Starts `agent run` on a free loopback port, with this instance id, manifests folder and state dir.</summary>
    public static AgentProcess Start(string instance, string manifests, string stateDir, string? dockerHost = null, IDictionary<string, string>? environment = null)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AgentCli.RepositoryRoot,
        };
        foreach (var arg in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "agent.dll"), "run", "--manifests", manifests, "--state-dir", stateDir,
                     "--instance", instance, "--urls", $"http://127.0.0.1:{port}",
                 })
            info.ArgumentList.Add(arg);
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Agent"] = "Information";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        info.Environment["Agent__ManifestDebounce"] = "00:00:00.200";
        if (dockerHost is not null) info.Environment["Agent__DockerHost"] = dockerHost;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        return new AgentProcess(Process.Start(info) ?? throw new InvalidOperationException("cannot start the agent"), port, stateDir);
    }

    /// <summary>Waits until the agent logs that it listens (its reconcilers run from then on).</summary>
    public Task WaitReadyAsync(TimeSpan within) => WaitForOutputAsync(l => l.Contains("Agent ready on", StringComparison.Ordinal), within, "the agent logs that it is ready");

    /// <summary>Waits until the agent logs that it begins to apply a plan (one line per operation, logged before it runs).</summary>
    public Task WaitApplyingAsync(TimeSpan within) =>
        WaitForOutputAsync(l => l.Contains("Agent.Reconciliation.Reconciler", StringComparison.Ordinal) && l.Contains("ServiceGroup/", StringComparison.Ordinal), within,
            "the agent logs the operations of a plan");

    private Task WaitForOutputAsync(Func<string, bool> line, TimeSpan within, string what) => Eventually.TrueAsync(() =>
    {
        if (process.HasExited) throw new InvalidOperationException($"the agent exited with {process.ExitCode}:\n{Output(40)}");
        return Task.FromResult(output.Any(line));
    }, within, what);

    /// <summary>kill -9: the process ends at once, in the middle of whatever it was doing.</summary>
    public async Task KillAsync()
    {
        if (process.HasExited) return;
        var (exit, _, stderr) = await ExternalTool.RunAsync("kill", ["-9", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (exit != 0 && !process.HasExited) throw new InvalidOperationException($"kill -9 {process.Id} failed: {stderr}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>A client of its API with the generated admin token.</summary>
    public HttpClient Client()
    {
        var token = File.ReadAllLines(Path.Combine(StateDir, "tokens")).First(l => l.StartsWith("admin:", StringComparison.Ordinal))[6..];
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>The group's status as the API serves it (GET /api/v1/servicegroups/{name}), with the generated admin token.</summary>
    public async Task<JsonElement?> GroupStatusAsync(string group)
    {
        using var http = Client();
        var response = await http.GetAsync($"/api/v1/servicegroups/{group}");
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The last lines the agent printed.</summary>
    public string Output(int lines) => string.Join("\n", output.TakeLast(lines));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
    }
}
