using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>
/// `agent run` as a separate process, for what an in-process agent cannot show: running without the capabilities that
/// let root read any file (so file permissions count, as for an agent that is not root). Its output is kept for checks.
/// </summary>
public sealed class UnprivilegedAgentProcess : IAsyncDisposable
{
    public const string AdminToken = "admin-token-process-0123456789";
    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();
    private readonly string tokens;

    private UnprivilegedAgentProcess(Process process, Uri address, string tokens)
    {
        this.process = process;
        this.tokens = tokens;
        BaseAddress = address;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }
    public IReadOnlyList<string> Output => output.ToList();

    /// <summary>Starts `agent run` without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (setpriv), like a non-root agent.</summary>
    public static UnprivilegedAgentProcess StartWithoutFileCapabilities(string manifests, TestInstance instance, string stateDir, IDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var tokens = Path.GetTempFileName();
        File.WriteAllText(tokens, $"admin:{AdminToken}\n");
        var info = new ProcessStartInfo("setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AgentCli.RepositoryRoot,
        };
        foreach (var arg in new[]
                 {
                     "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search",
                     "dotnet", Path.Combine(AppContext.BaseDirectory, "agent.dll"), "run",
                     "--manifests", manifests, "--instance", instance.Id, "--state-dir", stateDir, "--urls", $"http://127.0.0.1:{port}",
                 })
            info.ArgumentList.Add(arg);
        info.Environment["AGENT_Agent__Auth__TokensFile"] = tokens;
        info.Environment["AGENT_Agent__ManifestDebounce"] = "00:00:00.200";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Agent"] = "Information";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) info.Environment["AGENT_" + key.Replace(":", "__", StringComparison.Ordinal)] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("setpriv did not start");
        return new UnprivilegedAgentProcess(process, new Uri($"http://127.0.0.1:{port}"), tokens);
    }

    public HttpClient Client()
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    /// <summary>Waits until the group's condition has this status (and reason); returns the group's status as JSON.</summary>
    public Task<JsonElement> WaitForConditionAsync(string group, string type, string status, string? reason = null, TimeSpan? within = null) =>
        Eventually.ReturnsAsync(async () =>
            {
                using var client = Client();
                var response = await client.GetAsync($"/api/v1/servicegroups/{group}");
                return response.StatusCode == HttpStatusCode.OK ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : default;
            },
            s => s.ValueKind == JsonValueKind.Object && s.GetProperty("conditions").EnumerateArray().Any(c =>
                c.GetProperty("type").GetString() == type && c.GetProperty("status").GetString() == status
                && (reason is null || c.GetProperty("reason").GetString() == reason)),
            within ?? TimeSpan.FromSeconds(60), $"{group} {type}={status} {reason}; output:\n{string.Join("\n", output.TakeLast(20))}");

    public static string ConditionMessage(JsonElement status, string type) =>
        status.GetProperty("conditions").EnumerateArray().First(c => c.GetProperty("type").GetString() == type).GetProperty("message").GetString() ?? "";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
        File.Delete(tokens);
    }
}
