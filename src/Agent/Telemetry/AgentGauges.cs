using System.Diagnostics.Metrics;
using Agent.Reconciliation;
using Agent.Status;

namespace Agent.Telemetry;

/// <summary>Gauges read at scrape time from the queue and the status store; a scrape never calls the engine.</summary>
public sealed class AgentGauges : IDisposable
{
    private readonly Meter meter = new(AgentMetrics.MeterName + ".Gauges");

    public const string MeterName = AgentMetrics.MeterName + ".Gauges";

    public AgentGauges(WorkQueue queue, StatusStore status, Sources.ManifestStore manifests, PruneGate pruneGate, Sources.GitSyncService git)
    {
        meter.CreateObservableGauge("agent.source.last_sync.timestamp", () => git.LastSyncTimes()
            .Where(p => p.Value is not null)
            .Select(p => new Measurement<double>(p.Value!.Value.ToUnixTimeMilliseconds() / 1000.0, new KeyValuePair<string, object?>("source", $"GitRepository/{p.Key}"))),
            "s", "When each GitRepository last synced successfully (Unix time).");
        meter.CreateObservableGauge("agent.workqueue.depth", () => queue.Depth, "{key}", "Keys waiting in the work queue.");
        meter.CreateObservableGauge("agent.managed.containers", () => status.List()
            .SelectMany(o => o.Services.SelectMany(s => s.Containers))
            .GroupBy(c => c.State)
            .Select(g => new Measurement<int>(g.Count(), new KeyValuePair<string, object?>("state", g.Key))),
            "{container}", "Managed containers by state, as last observed.");
        meter.CreateObservableGauge("agent.prune.blocked", () => pruneGate.BlockedCount, "{object}",
            "Objects whose removal the mass-prune guard holds (PruneBlocked) until their manifests come back or an admin confirms.");
        meter.CreateObservableGauge("agent.manifest.source.problems", () =>
            (manifests.SourceError is null ? [] : new[] { new Measurement<int>(1, new KeyValuePair<string, object?>("reason", "folder_unreadable")) })
                .Concat(manifests.Problems.GroupBy(p => p.Reason).Select(g => new Measurement<int>(g.Count(), new KeyValuePair<string, object?>("reason", g.Key)))),
            "{path}", "Paths of the manifests folder that could not be read at the last read, by reason; their objects are held.");
        meter.CreateObservableGauge("agent.objects", () => status.List()
            .SelectMany(o => o.Conditions.Where(c => c.Status == "True").Select(c => (o.Kind, c.Type)))
            .GroupBy(x => x)
            .Select(g => new Measurement<int>(g.Count(), new KeyValuePair<string, object?>("kind", g.Key.Kind), new KeyValuePair<string, object?>("condition", g.Key.Type))),
            "{object}", "Desired objects by kind and condition that is true.");
    }

    public void Dispose() => meter.Dispose();
}
