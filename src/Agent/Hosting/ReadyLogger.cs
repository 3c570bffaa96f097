using Microsoft.AspNetCore.Hosting.Server;
using Agent.Core.Model;
using Agent.Engine;
using Microsoft.Extensions.Options;

namespace Agent.Hosting;

/// <summary>Logs one line once the HTTP surface listens, with where and as which instance, and whether the engine answers;
/// records the address in the state dir for client commands (<see cref="ServerFile"/>).</summary>
public sealed class ReadyLogger(
    IHostApplicationLifetime lifetime,
    IServer server,
    IContainerEngine engine,
    AgentLabels labels,
    IOptions<AgentOptions> options,
    Reconciliation.ControllerState controller,
    ILogger<ReadyLogger> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        try
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return; // the host did not start
        }
        StartupTimeline.Mark("listening");
        var addresses = server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
        try
        {
            ServerFile.Write(options.Value.StateDir, addresses);
            ServerFile.WriteTokensPointer(options.Value.StateDir, options.Value.Auth.TokensFile);
            ServerFile.WriteRunning(options.Value.StateDir, labels.InstanceId, options.Value.HostLabels);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or State.StateWriteException)
        {
            logger.LogWarning("Cannot record the listen address in {StateDir}: client commands need --server: {Error}", options.Value.StateDir, e.Message);
        }
        string engineState;
        try
        {
            var version = await engine.GetVersionAsync(stoppingToken);
            engineState = $"engine {version.Version} (API {version.ApiVersion})";
        }
        catch (EngineException e)
        {
            engineState = $"engine not reachable: {e.Message}";
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // An engine that accepts the call and never answers: Agent:EngineRequestTimeout ran out (the host must not stop).
            engineState = $"engine at {Engine.EngineEndpoint.Resolve(options.Value.DockerHost)} did not answer within {options.Value.EngineRequestTimeout.TotalSeconds:0.#}s";
        }
        logger.LogInformation("Agent ready on {Addresses} as instance {Instance}, manifests {Manifests}, {Engine}",
            string.Join(", ", addresses), labels.InstanceId, Path.GetFullPath(options.Value.Manifests), engineState);
        try
        {
            await controller.FirstSync.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        logger.LogInformation("First sync done (/readyz): {Timeline}", StartupTimeline.Describe());
    }
}
