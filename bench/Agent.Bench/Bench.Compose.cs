using System.Diagnostics;
using System.Text;
using Agent.Cli;
using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Bench;

/// <summary>ComposeProject: cold converge of one compose file of N services by the agent, beside the raw Engine API (same
/// parallelism) and docker-compose 1.29 `up -d` in the same run; then the no-op resync of that project beside a
/// ServiceGroup of the same N services.</summary>
public sealed partial class Bench
{
    private static string ComposeServicesYaml(int count)
    {
        var yaml = new StringBuilder("services:\n");
        for (var i = 0; i < count; i++) yaml.Append($"  s{i}:\n    image: {Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n");
        return yaml.ToString();
    }

    public async Task ComposeAsync(int count)
    {
        Report.Line($"compose project of {count} services ...");
        var scenario = $"compose cold converge, {count} services";
        // The raw baseline runs before and after the agent (the mean of both is the 1.00x): a shared machine's load drifts.
        var rawBefore = await RawConvergeAsync(count, Parallelism);
        var rawWork = lastRaw;
        var rawLoad = Row.LoadAverage();

        var dir = Folder();
        var project = $"{run}proj";
        Directory.CreateDirectory(Path.Combine(dir, project));
        await File.WriteAllTextAsync(Path.Combine(dir, project, "compose.yaml"), ComposeServicesYaml(count));
        var instance = run + "-compose";
        await using var services = OneShotServices.Build(dir, instance, Folder());
        var manifests = services.GetRequiredService<Agent.Sources.ManifestStore>();
        manifests.Reload();
        var reconciler = services.GetRequiredService<Reconciler>();
        var projectKey = new ObjectKey(ServiceGroup.ComposeKindName, project);
        var agent = await CountCallsByOperationAsync(() => reconciler.ReconcileAsync(projectKey, default));
        var agentLoad = Row.LoadAverage();
        var running = (await engine.ListContainersAsync(LabelSelector.Of($"agent.instance={instance}"), default)).Count(c => c.State == ContainerState.Running);

        // The same services as a ServiceGroup, for the converge and resync comparison.
        var group = $"{run}-composegroup";
        await File.WriteAllTextAsync(Path.Combine(dir, "g.yaml"), GroupYaml(group, count));
        manifests.Reload();
        var groupKey = new ObjectKey(ServiceGroup.KindName, group);
        var groupConverge = await CountCallsByOperationAsync(() => reconciler.ReconcileAsync(groupKey, default));
        var groupLoad = Row.LoadAverage();
        var projectResync = await MedianResyncAsync(reconciler, projectKey);
        var groupResync = await MedianResyncAsync(reconciler, groupKey);
        var resyncLoad = Row.LoadAverage();
        await CleanAsync(instance);
        var raws = new RawPair(rawBefore, await RawConvergeAsync(count, Parallelism));
        var raw = raws.Mean;

        var compose = await ComposeUpAsync(count);
        results.Add(new Row(scenario, $"raw Engine API ({Parallelism} at a time)", F(raw), $"{raws.Note}; {Describe(rawWork)}") { Load = rawLoad });
        results.Add(new Row(scenario, "agent, ComposeProject (one reconcile)", F(agent.Ms / 1000), $"{agent.Ms / 1000 / raw:0.00}x raw; {running} running; {Describe(agent)}") { Load = agentLoad });
        results.Add(new Row(scenario, "agent, ServiceGroup (one reconcile)", F(groupConverge.Ms / 1000), $"{groupConverge.Ms / 1000 / raw:0.00}x raw; {Describe(groupConverge)}") { Load = groupLoad });
        results.Add(new Row(scenario, "docker-compose 1.29 up -d", compose.Up is { } up ? F(up) : "n/a", compose.Note));
        var resync = $"compose no-op resync, {count} services";
        results.Add(new Row(resync, "agent, ComposeProject (median of 10)", Ms(projectResync.Ms), $"per resync: {Describe(projectResync.Calls)}") { Load = resyncLoad });
        results.Add(new Row(resync, "agent, ServiceGroup (median of 10)", Ms(groupResync.Ms), $"{projectResync.Ms / groupResync.Ms:0.00}x the group's; per resync: {Describe(groupResync.Calls)}") { Load = resyncLoad });
        if (compose.Noop is { } noop) results.Add(new Row(resync, "docker-compose 1.29 up -d (again)", F(noop)));
    }

    /// <summary>The median time of 10 reconciles and the engine calls of one (all 10 counted, divided by 10).</summary>
    private static async Task<(double Ms, IReadOnlyDictionary<string, long> Calls)> MedianResyncAsync(Reconciler reconciler, ObjectKey key)
    {
        await reconciler.ReconcileAsync(key, default); // settles health state after the converge
        var samples = new List<double>();
        var measured = await CountCallsByOperationAsync(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                var clock = Stopwatch.StartNew();
                await reconciler.ReconcileAsync(key, default);
                samples.Add(clock.Elapsed.TotalMilliseconds);
            }
        });
        samples.Sort();
        return (samples[samples.Count / 2], measured.Calls.ToDictionary(c => c.Key, c => c.Value / 10, StringComparer.Ordinal));
    }
}
