using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>
/// The built `agent run` as a separate process, as a user starts it, so that a test can kill it for real (SIGKILL:
/// no shutdown code runs) or run it with fewer privileges (<see cref="StartWithoutFileCapabilities"/>). Its output is kept
/// for checks and the failure message.
/// </summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();
    private readonly string tokensFile;

    private AgentProcess(Process process, int port, string stateDir, string tokensFile)
    {
        this.process = process;
        this.tokensFile = tokensFile;
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
    public static AgentProcess Start(string instance, string manifests, string stateDir, string? dockerHost = null, IDictionary<string, string>? environment = null,
        int? port = null)
    {
        var settings = new Dictionary<string, string>(environment ?? new Dictionary<string, string>());
        if (dockerHost is not null) settings["Agent__DockerHost"] = dockerHost;
        return Start([], instance, manifests, stateDir, settings, Path.Combine(stateDir, "tokens"), port);
    }

    /// <summary>Starts `agent run` without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (setpriv), like a non-root agent, so file
    /// permissions count; its admin token is <paramref name="adminToken"/>. Settings are configuration keys (Agent:X).</summary>
    public static AgentProcess StartWithoutFileCapabilities(string instance, string manifests, string stateDir, string adminToken, IDictionary<string, string>? settings = null)
    {
        var tokens = Path.Combine(stateDir, "admin-tokens");
        File.WriteAllText(tokens, $"admin:{adminToken}\n");
        var environment = (settings ?? new Dictionary<string, string>()).ToDictionary(s => "AGENT_" + s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value);
        environment["AGENT_Agent__Auth__TokensFile"] = tokens;
        return Start(["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"],
            instance, manifests, stateDir, environment, tokens);
    }

    private static AgentProcess Start(IReadOnlyList<string> launcher, string instance, string manifests, string stateDir, IDictionary<string, string> environment,
        string tokensFile, int? fixedPort = null)
    {
        var port = fixedPort ?? FreePort.Next();
        var (agent, prefix) = AgentCli.Launcher;
        var info = new ProcessStartInfo(launcher.Count > 0 ? launcher[0] : agent)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AgentCli.RepositoryRoot,
        };
        foreach (var arg in launcher.Skip(1).Concat(launcher.Count > 0 ? [agent] : []).Concat(prefix).Concat(
                 [
                     "run", "--manifests", manifests, "--state-dir", stateDir,
                     "--instance", instance, "--urls", $"http://127.0.0.1:{port}",
                 ]))
            info.ArgumentList.Add(arg);
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Agent"] = "Information";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        info.Environment["Agent__ManifestDebounce"] = "00:00:00.200";
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return new AgentProcess(Process.Start(info) ?? throw new InvalidOperationException($"cannot start the agent ({info.FileName})"), port, stateDir, tokensFile);
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

    /// <summary>kill (SIGTERM), as systemctl stop does: the agent shuts down gracefully; waits for it to exit.</summary>
    public async Task TerminateAsync(TimeSpan within)
    {
        if (process.HasExited) return;
        var (exit, _, stderr) = await ExternalTool.RunAsync("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (exit != 0 && !process.HasExited) throw new InvalidOperationException($"kill {process.Id} failed: {stderr}");
        using var timeout = new CancellationTokenSource(within);
        await process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>Its generated admin token.</summary>
    public string AdminToken => File.ReadAllLines(tokensFile).First(l => l.StartsWith("admin:", StringComparison.Ordinal))[6..];

    /// <summary>A client of its API with the generated admin token; 30 s per request unless told.</summary>
    public HttpClient Client(TimeSpan? timeout = null)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
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

    /// <summary>Waits until the group's condition has this status (and reason); returns the group's status as JSON.</summary>
    public Task<JsonElement> WaitForConditionAsync(string group, string type, string status, string? reason = null, TimeSpan? within = null) =>
        Eventually.ReturnsAsync(async () =>
            {
                using var http = Client();
                var response = await http.GetAsync($"/api/v1/servicegroups/{group}");
                return response.StatusCode == HttpStatusCode.OK ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : default;
            },
            s => s.ValueKind == JsonValueKind.Object && s.GetProperty("conditions").EnumerateArray().Any(c =>
                c.GetProperty("type").GetString() == type && c.GetProperty("status").GetString() == status
                && (reason is null || c.GetProperty("reason").GetString() == reason)),
            within ?? TimeSpan.FromSeconds(60), () => $"{group} {type}={status} {reason}; output:\n{Output(20)}");

    public static string ConditionMessage(JsonElement status, string type) =>
        status.GetProperty("conditions").EnumerateArray().First(c => c.GetProperty("type").GetString() == type).GetProperty("message").GetString() ?? "";

    /// <summary>The last lines the agent printed.</summary>
    public string Output(int lines) => string.Join("\n", output.TakeLast(lines));

    /// <summary>Every line the agent printed so far.</summary>
    public IReadOnlyList<string> Lines => output.ToList();

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
    }
}
