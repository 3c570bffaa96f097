using Agent.Core.Model;
using Agent.Core.Status;
using Agent.Hosting;
using Agent.Status;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.IntegrationTests.Infrastructure;

/// <summary>A real agent, started in-process on a free loopback port, with its own instance id, manifests folder and state dir.</summary>
public sealed class AgentHarness : IAsyncDisposable
{
    private WebApplication? app;

    public AgentHarness(TestInstance instance, IDictionary<string, string?>? settings = null)
    {
        Instance = instance;
        Manifests = Directory.CreateTempSubdirectory("agent-it-manifests-").FullName;
        StateDir = Directory.CreateTempSubdirectory("agent-it-state-").FullName;
        Settings = new Dictionary<string, string?>
        {
            ["Agent:Manifests"] = Manifests,
            ["Agent:Instance"] = instance.Id,
            ["Agent:StateDir"] = StateDir,
            ["Agent:ManifestDebounce"] = "00:00:00.200",
            // In-process hosts share the test runner's process: a full GC and paging out the runner's files at every
            // host's first sync would only slow the suite (agent processes started by tests keep the default).
            ["Agent:ReleaseStartupMemory"] = "false",
            ["Urls"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Agent"] = "Information",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) Settings[k] = v;
    }

    public TestInstance Instance { get; }
    public string Manifests { get; }
    public string StateDir { get; }
    public Dictionary<string, string?> Settings { get; }
    public Uri BaseAddress { get; private set; } = null!;
    public IServiceProvider Services => app!.Services;
    public StatusStore Status => Services.GetRequiredService<StatusStore>();

    /// <summary>What the agent logged, across restarts of this harness.</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>Runs a test's body; a failed wait or assertion carries the agent's last log lines, which tell why.</summary>
    public async Task WithLogAsync(Func<Task> body, int lines = 80)
    {
        try
        {
            await body();
        }
        catch (Exception e) when (e is TimeoutException or Xunit.Sdk.XunitException or InvalidOperationException) // a docker CLI call that failed too
        {
            throw new InvalidOperationException($"{e.Message}\nagent log:\n{string.Join("\n", Logs.Lines.TakeLast(lines))}", e);
        }
    }

    public async Task StartAsync()
    {
        // Started again in this process right after a stop: the stopped host's state-dir lock is released as its handle
        // closes, which can come a moment after DisposeAsync returned (CI: "another agent (pid <this test run>)"). A real
        // agent's lock goes with its process; a lock held by another process is still an error at once.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                app = AgentHost.Build(Settings);
                break;
            }
            catch (Agent.State.StateDirLockedException e) when (attempt < 20 && e.Message.Contains($"(pid {Environment.ProcessId})", StringComparison.Ordinal))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }
        app.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().AddProvider(Logs);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
    }

    public async Task StopAsync()
    {
        if (app is null) return;
        await app.StopAsync();
        await app.DisposeAsync();
        app = null;
    }

    public HttpClient Client() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>The admin token the agent wrote to its state dir when no tokens file is configured.</summary>
    public string GeneratedAdminToken => File.ReadAllLines(Path.Combine(StateDir, "tokens")).First(l => l.StartsWith("admin:", StringComparison.Ordinal))[6..];

    /// <summary>A client that sends <paramref name="token"/> as its bearer token (none when null).</summary>
    public HttpClient Client(string? token)
    {
        var client = Client();
        if (token is not null) client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public void Write(string file, string yaml)
    {
        var path = Path.Combine(Manifests, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, yaml);
    }
    public void Delete(string file) => File.Delete(Path.Combine(Manifests, file));

    /// <summary>Generous: on a loaded CI machine the engine has taken over 60 s to create and start a project's first two
    /// containers (session 52, load average 49).</summary>
    private static readonly TimeSpan ConditionWait = TimeSpan.FromSeconds(120);

    public Task<ObjectStatus> WaitForConditionAsync(string group, string type, string status, string? reason = null, TimeSpan? within = null, string kind = ServiceGroup.KindName) =>
        Eventually.ReturnsAsync(
            () => Task.FromResult(Status.Get(new ObjectKey(kind, group))!),
            s => s?.Condition(type) is { } c && c.Status == status && (reason is null || c.Reason == reason),
            within ?? ConditionWait,
            $"{group} {type}={status}{(reason is null ? "" : $" ({reason})")}");

    public Task<ObjectStatus> WaitReadyAsync(string group, TimeSpan? within = null) =>
        WaitForConditionAsync(group, ConditionTypes.Ready, "True", null, within);

    public Task<ObjectStatus> WaitProjectReadyAsync(string project, TimeSpan? within = null) =>
        WaitForConditionAsync(project, ConditionTypes.Ready, "True", null, within, ServiceGroup.ComposeKindName);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        // AGENT_TEST_LOG_DIR=DIR keeps what each in-process agent logged, one file per agent, to read after a failure.
        if (Environment.GetEnvironmentVariable("AGENT_TEST_LOG_DIR") is { Length: > 0 } logDir)
        {
            Directory.CreateDirectory(logDir);
            await File.WriteAllLinesAsync(Path.Combine(logDir, $"{Instance.Id}-{DateTime.UtcNow:HHmmss.fff}.log"), Logs.Lines);
        }
        // A container still writing into a bind of the manifests folder would fill it again while it is deleted.
        await Instance.RemoveContainersAsync();
        if (Directory.Exists(Manifests)) Directory.Delete(Manifests, recursive: true); // a test may have deleted it
        if (Directory.Exists(StateDir)) Directory.Delete(StateDir, recursive: true); // a test may have deleted it
    }
}
