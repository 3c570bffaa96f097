using Agent.Http;
using Agent.Telemetry;

namespace Agent.Hosting;

/// <summary>Builds the agent's web host: the daemon behind `agent run`, also started in-process by tests.</summary>
public static class AgentHost
{
    public const string DefaultUrls = "http://127.0.0.1:8098";

    /// <summary>How long a graceful shutdown (SIGTERM) may take: container stops the agent asked the engine for are
    /// waited for within it, so they do not land under the next agent.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    public static WebApplication Build(IReadOnlyDictionary<string, string?> settings, string[]? args = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args ?? [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddEnvironmentVariables("AGENT_");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls(builder.Configuration["Urls"] ?? DefaultUrls);
        // Probes call /readyz every few seconds: a down engine is logged once by the controller, not once per probe.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", LogLevel.Critical);

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddAgent(builder.Configuration);
        builder.AddAgentHttp();
        builder.AddAgentTelemetry();
        builder.Services.RemoveMediaTypeRouting(); // last: auth before a body's media type on every route

        var app = builder.Build();
        StartupTimeline.Mark("host built");
        try
        {
            var stateDir = app.Services.GetRequiredService<State.StateDirLock>(); // one agent per state dir: before anything reads or writes it
            app.Services.GetRequiredService<State.InstanceLock>(); // and per instance id on this host
            if (stateDir.LeftoversRemoved.Count > 0)
                app.Logger.LogInformation("Removed {Count} temporary file(s) of state writes a crash interrupted: {Files}",
                    stateDir.LeftoversRemoved.Count, string.Join(", ", stateDir.LeftoversRemoved));
        }
        catch
        {
            ((IDisposable)app).Dispose(); // releases whichever lock was taken
            throw;
        }
        app.MapAgentEndpoints();
        return app;
    }
}
