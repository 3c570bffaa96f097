using System.Diagnostics.Metrics;

namespace Agent.Telemetry;

/// <summary>The agent's own instruments. Labels have bounded values: kind, result, operation, state.</summary>
public static class AgentMetrics
{
    public const string MeterName = "Agent";
    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Reconciles = Meter.CreateCounter<long>(
        "agent.reconcile.runs", "{run}", "Reconciles of one object, by kind and result.");

    public static readonly Histogram<double> ReconcileDuration = Meter.CreateHistogram<double>(
        "agent.reconcile.duration", "s", "Time one reconcile of one object took, by kind and result.");

    public static readonly Counter<long> DriftCorrections = Meter.CreateCounter<long>(
        "agent.drift.corrections", "{operation}", "Mutating operations the reconciler applied to bring the engine back to the manifests, by operation.");

    public static readonly Counter<long> QueueRetries = Meter.CreateCounter<long>(
        "agent.workqueue.retries", "{retry}", "Keys put back on the work queue with backoff after a failed reconcile.");

    public static readonly Counter<long> CacheRelists = Meter.CreateCounter<long>(
        "agent.cache.relists", "{listing}", "Full listings of the observed-state cache (one list call per resource type), by reason: start, resync, reconnect.");

    public static readonly Counter<long> ManifestLoadErrors = Meter.CreateCounter<long>(
        "agent.manifest.load.errors", "{error}", "Errors found while loading manifests, per load.");

    public static readonly Counter<long> SourceSyncs = Meter.CreateCounter<long>(
        "agent.source.sync", "{sync}", "GitRepository syncs by result: applied (a new revision), unchanged, or the reason it failed (fetch_failed, invalid_revision, verification_failed, ...).");
}
