using Agent.Engine;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Agent.Hosting;

/// <summary>Which probe a check belongs to: /livez runs the live ones, /readyz the ready ones, /healthz all.</summary>
public static class ProbeTags
{
    public const string Live = "live";
    public const string Ready = "ready";
}

public sealed class EngineHealthCheck(IContainerEngine engine) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await engine.PingAsync(timeout.Token);
            return HealthCheckResult.Healthy("engine answers _ping");
        }
        catch (Exception e) when (e is EngineException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy(e is EngineException ? e.Message : "engine did not answer _ping within 3 s");
        }
    }
}

public sealed class ManifestFolderHealthCheck(IOptions<AgentOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var folder = options.Value.Manifests;
        try
        {
            _ = Directory.EnumerateFileSystemEntries(folder).FirstOrDefault();
            return Task.FromResult(HealthCheckResult.Healthy($"{folder} is readable"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"manifests folder {folder} is not readable: {e.Message}"));
        }
    }
}

public sealed class FirstSyncHealthCheck(Reconciliation.ControllerState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        Task.FromResult(state.FirstSyncDone
            ? HealthCheckResult.Healthy("first full sync done")
            : HealthCheckResult.Unhealthy("first full sync of the manifests not done yet"));
}

public sealed class ReconcileLoopHealthCheck(Reconciliation.ControllerState state, IOptions<AgentOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var longest = state.LongestRunning;
        return Task.FromResult(longest <= options.Value.LivenessStall
            ? HealthCheckResult.Healthy("reconcile loop responsive")
            : HealthCheckResult.Unhealthy($"a reconcile has been running for {longest.TotalSeconds:0}s (limit {options.Value.LivenessStall.TotalSeconds:0}s)"));
    }
}
