using System.Diagnostics.Metrics;
using Agent.Core.Model;
using Agent.Core.Status;
using Agent.Engine;
using Agent.Reconciliation;
using Agent.Status;

namespace Agent.Telemetry;

/// <summary>Gauges read at scrape time from the queue and the status store; a scrape never calls the engine.</summary>
public sealed class AgentGauges : IDisposable
{
    private readonly Meter meter = new(AgentMetrics.MeterName + ".Gauges");
    private readonly GoneSeries<(string Kind, string State)> managedSeries = new();
    private readonly GoneSeries<(string Kind, string Condition)> objectSeries = new();
    private readonly GoneSeries<string> problemSeries = new();

    public const string MeterName = AgentMetrics.MeterName + ".Gauges";

    public AgentGauges(WorkQueue queue, StatusStore status, Sources.ManifestStore manifests, PruneGate pruneGate, Sources.GitSyncService git,
        StatusView view, AgentLabels labels, ObservedCache cache)
    {
        // Beside agent_managed_containers, which is absent while the engine was never listed (nothing was observed).
        meter.CreateObservableGauge("agent.engine.up", () => cache.Listings > 0 && !cache.EngineAway ? 1 : 0, null,
            "1 while the Docker engine answers: listed at least once and no two heartbeat _pings in a row unanswered since; 0 otherwise.");
        meter.CreateObservableGauge("agent.source.last_sync.timestamp", () => git.LastSyncTimes()
            .Where(p => p.Value is not null)
            .Select(p => new Measurement<double>(p.Value!.Value.ToUnixTimeMilliseconds() / 1000.0, new KeyValuePair<string, object?>("source", $"GitRepository/{p.Key}"))),
            "s", "When each GitRepository last synced successfully (Unix time).");
        meter.CreateObservableGauge("agent.workqueue.depth", () => queue.Depth, "{key}", "Keys waiting in the work queue.");
        meter.CreateObservableGauge("agent.managed.containers", () =>
            {
                var (objects, containers) = view.Read(); // one snapshot: while the engine is away, replicas as the container list shows them
                return managedSeries.Complete(ManagedContainers(objects, containers, labels).Select(c => ((c.Kind, c.State), c.Count)))
                    .Select(c => new Measurement<int>(c.Count, new KeyValuePair<string, object?>("kind", c.Series.Kind), new KeyValuePair<string, object?>("state", c.Series.State)));
            },
            "{container}", "Managed containers by the kind of their object and state, as last observed (group and project replicas, CronJob, Job and API job runs); 0 for a kind and state an earlier scrape showed.");
        meter.CreateObservableGauge("agent.prune.blocked", () => pruneGate.BlockedCount, "{object}",
            "Objects whose removal the mass-prune guard holds (PruneBlocked) until their manifests come back or an admin confirms.");
        meter.CreateObservableGauge("agent.manifest.source.problems", () =>
            problemSeries.Complete((manifests.SourceError is null ? [] : new[] { ("folder_unreadable", 1) })
                    .Concat(manifests.Problems.GroupBy(p => p.Reason).Select(g => (g.Key, g.Count()))))
                .Select(p => new Measurement<int>(p.Count, new KeyValuePair<string, object?>("reason", p.Series))),
            "{path}", "Paths of the manifests folder that could not be read at the last read, by reason; their objects are held. 0 for a reason seen before.");
        meter.CreateObservableGauge("agent.objects", () => objectSeries.Complete(status.List()
                    .SelectMany(o => o.Conditions.Where(c => c.Status == "True").Select(c => (o.Kind, c.Type)))
                    .GroupBy(x => x)
                    .Select(g => (g.Key, g.Count())))
                .Select(g => new Measurement<int>(g.Count, new KeyValuePair<string, object?>("kind", g.Series.Kind), new KeyValuePair<string, object?>("condition", g.Series.Condition))),
            "{object}", "Desired objects by kind and condition that is true; 0 for a kind and condition an earlier scrape counted.");
        meter.CreateObservableGauge("agent.object.condition", () => ObjectConditions(status.List())
                .Select(c => new Measurement<int>(1, new KeyValuePair<string, object?>("kind", c.Kind), new KeyValuePair<string, object?>("name", c.Name),
                    new KeyValuePair<string, object?>("condition", c.Condition), new KeyValuePair<string, object?>("status", c.Status))),
            null, "1 for each condition of each object, with its status (true, false, unknown), like kube-state-metrics' *_status_condition; objects made through the API (ApiJob) are left out.");
    }

    /// <summary>Each condition of each object from the manifests (probe-65: which project is not Ready could not be asked of
    /// /metrics); an API job's id is made per request, so those are left out to keep the series bounded.</summary>
    public static IEnumerable<(string Kind, string Name, string Condition, string Status)> ObjectConditions(IEnumerable<ObjectStatus> objects) =>
        objects.Where(o => o.Kind != Job.ImperativeKind)
            .SelectMany(o => o.Conditions.Select(c => (o.Kind, o.Name, c.Type, c.Status.ToLowerInvariant())));

    /// <summary>Replicas from the status store (groups and projects) and job containers from the observed-state cache
    /// (the status store has no containers of CronJobs and Jobs; probe-15j L1), counted by kind and state.</summary>
    public static IEnumerable<(string Kind, string State, int Count)> ManagedContainers(IEnumerable<ObjectStatus> objects, IEnumerable<ContainerSummary> cached, AgentLabels labels) =>
        objects.SelectMany(o => o.Services.SelectMany(s => s.Containers).Select(c => (o.Kind, c.State)))
            .Concat(cached.Where(c => labels.IsOwned(c.Labels) && c.Labels.ContainsKey(labels.JobRun) && c.Labels.TryGetValue(labels.Kind, out var k) && Job.IsJobKind(k))
                .Select(c => (Kind: c.Labels[labels.Kind], State: c.State.ToString().ToLowerInvariant())))
            .GroupBy(x => x)
            .OrderBy(g => g.Key.Kind, StringComparer.Ordinal).ThenBy(g => g.Key.State, StringComparer.Ordinal)
            .Select(g => (g.Key.Kind, g.Key.State, g.Count()));

    public void Dispose() => meter.Dispose();
}
