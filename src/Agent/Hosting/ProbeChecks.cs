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

/// <summary>The engine answers _ping within 3 s; while the heartbeat knows it does not answer, within 0.5 s, so a probe
/// gets its 503 before a kubelet's 1 s timeout (probe-24: 3.1 s during a freeze), and a quick answer ends it at once.</summary>
public sealed class EngineHealthCheck(IContainerEngine engine, Reconciliation.ObservedCache cache) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var awaySince = cache.EngineAwaySince;
        var bound = awaySince is null ? TimeSpan.FromSeconds(3) : TimeSpan.FromMilliseconds(500);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(bound);
            await engine.PingAsync(timeout.Token);
            return HealthCheckResult.Healthy("engine answers _ping");
        }
        catch (Exception e) when (e is EngineException or OperationCanceledException)
        {
            var since = awaySince is { } at ? $" (not answering since {at:HH:mm:ss} UTC, Agent:EngineHeartbeat)" : "";
            return HealthCheckResult.Unhealthy((e is EngineException ? e.Message : $"engine did not answer _ping within {bound.TotalSeconds:0.#} s") + since);
        }
    }
}

/// <summary>The state dir is still the one the agent locked (see <see cref="State.StateDirWatch"/>).</summary>
public sealed class StateDirHealthCheck(State.StateDirWatch watch) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        Task.FromResult(watch.Check() is { } problem ? HealthCheckResult.Unhealthy(problem) : HealthCheckResult.Healthy("the state dir is the one the agent locked"));
}

/// <summary>The manifests folder reads: a folder that cannot be read holds every object and fails readiness. Answers
/// from what the last read left (<see cref="Sources.ManifestStore.Readiness"/>), never waiting for a read under way.</summary>
public sealed class ManifestFolderHealthCheck(Sources.ManifestStore manifests, Status.StatusStore status) : IHealthCheck
{
    /// <summary>The objects held because the folder cannot be read, every kind (probe-16 F6): "; held: CronJob/c, Job/j, ...".</summary>
    private string Held()
    {
        var held = status.List().Where(s => s.Condition(Core.Status.ConditionTypes.Degraded) is { Status: "True", Reason: "SourceUnavailable" })
            .Select(s => $"{s.Kind}/{s.Name}").Order(StringComparer.Ordinal).ToList();
        if (held.Count == 0) return "";
        return $"; {held.Count} object(s) held: {string.Join(", ", held.Take(20))}{(held.Count > 20 ? $" and {held.Count - 20} more (GET /api/v1/objects)" : "")}";
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var folder = manifests.Root;
        if (manifests.ReadRunningFor is { } running && running > Sources.ManifestStore.ReadStalledAfter)
            return Task.FromResult(HealthCheckResult.Unhealthy(
                $"a read of the manifests in {folder} has been running for {running.TotalSeconds:0} s: no change is applied until it ends"));
        var read = manifests.Readiness;
        if (read.WritableBindsLost is { } lost)
            return Task.FromResult(HealthCheckResult.Unhealthy(
                $"the record of folders containers write was lost ({lost}): no manifest is applied until {Agent.Sources.ManifestIndex.WritableBindsLostFileName} is deleted from the state dir"));
        if (read.SourceError is { } error)
            return Task.FromResult(HealthCheckResult.Unhealthy($"{error}; every object is kept as it is until it reads again{Held()}"));
        try
        {
            _ = Directory.EnumerateFileSystemEntries(folder).FirstOrDefault();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"manifests folder {folder} cannot be read: {e.Message}; every object is kept as it is until it reads again"));
        }
        // Files whose errors belong to no object do not make the agent unready (everything else is applied), but
        // ?verbose names them: Degraded is a pass with a warning in the probes' writer.
        var files = read.FileProblems;
        if (files.Count == 0) return Task.FromResult(HealthCheckResult.Healthy($"{folder} is readable"));
        var listed = files.SelectMany(f => f.Errors).Take(10).ToList();
        var more = files.Sum(f => f.Errors.Count) - listed.Count;
        return Task.FromResult(HealthCheckResult.Degraded(
            $"{files.Count} file(s) with errors tied to no object (nothing in them is applied): {string.Join("; ", listed)}{(more > 0 ? $"; and {more} more (GET /api/v1/objects lists them as kind File)" : "")}"));
    }
}

/// <summary>Every GitRepository synced within Agent:SourceStaleAfter (since the agent started, for one that never did).</summary>
public sealed class GitSourcesHealthCheck(Sources.GitSyncService git, TimeProvider time, IOptions<AgentOptions> options) : IHealthCheck
{
    private readonly DateTimeOffset started = time.GetUtcNow();

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var limit = options.Value.SourceStaleAfter;
        var now = time.GetUtcNow();
        var stale = git.LastSyncTimes()
            .Where(p => now - (p.Value ?? started) > limit)
            .Select(p => p.Value is { } last
                ? $"GitRepository {p.Key} last synced {(now - last).TotalSeconds:0}s ago"
                : $"GitRepository {p.Key} has not synced since the agent started {(now - started).TotalSeconds:0}s ago")
            .ToList();
        return Task.FromResult(stale.Count == 0
            ? HealthCheckResult.Healthy("every GitRepository synced recently")
            : HealthCheckResult.Unhealthy($"{string.Join("; ", stale)} (Agent:SourceStaleAfter {Core.Manifests.Durations.Format(limit)}); what they brought keeps running at its last revision"));
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
        var stall = state.LongestStall;
        return Task.FromResult(stall <= options.Value.LivenessStall
            ? HealthCheckResult.Healthy("reconcile loop responsive")
            : HealthCheckResult.Unhealthy($"a reconcile has made no progress for {stall.TotalSeconds:0}s beyond its steps' own time bounds (limit {options.Value.LivenessStall.TotalSeconds:0}s)"));
    }
}

/// <summary>State records that exist but could not be read (probe-15j M7), until the operator deletes their marker: a lost
/// record of suspends holds every object (not ready); a lost record of user stops keeps stopped containers stopped
/// (a pass with a warning, named under ?verbose). Records kept in memory because the state dir cannot take them (a full
/// disk: <see cref="State.UnsavedRecords"/>) are a pass with a warning naming each file and the cause (probe-18 F10).</summary>
public sealed class StateRecordsHealthCheck(Reconciliation.RuntimeOverrides overrides, Reconciliation.UserStops stops, State.UnsavedRecords unsaved) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        if (overrides.Lost is { } suspends) return Task.FromResult(HealthCheckResult.Unhealthy(suspends));
        var warnings = new List<string>();
        if (stops.Lost is { } userStops) warnings.Add(userStops);
        warnings.AddRange(unsaved.Problems());
        return Task.FromResult(warnings.Count > 0 ? HealthCheckResult.Degraded(string.Join("; ", warnings))
            : HealthCheckResult.Healthy("the records of suspends and user stops read, and every state record is saved"));
    }
}
