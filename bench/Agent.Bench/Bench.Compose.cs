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
        Console.WriteLine($"compose project of {count} services ...");
        var scenario = $"compose cold converge, {count} services";
        var raw = await RawConvergeAsync(count, Parallelism);

        var dir = Folder();
        var project = $"{run}proj";
        Directory.CreateDirectory(Path.Combine(dir, project));
        await File.WriteAllTextAsync(Path.Combine(dir, project, "compose.yaml"), ComposeServicesYaml(count));
        var instance = run + "-compose";
        await using (var services = OneShotServices.Build(dir, instance, Folder()))
        {
            var manifests = services.GetRequiredService<Agent.Sources.ManifestStore>();
            manifests.Reload();
            var reconciler = services.GetRequiredService<Reconciler>();
            var projectKey = new ObjectKey(ServiceGroup.ComposeKindName, project);
            var clock = Stopwatch.StartNew();
            await reconciler.ReconcileAsync(projectKey, default);
            var agent = clock.Elapsed.TotalSeconds;
            var running = (await engine.ListContainersAsync(LabelSelector.Of($"agent.instance={instance}"), default)).Count(c => c.State == ContainerState.Running);

            // The same services as a ServiceGroup, for the resync comparison.
            var group = $"{run}-composegroup";
            await File.WriteAllTextAsync(Path.Combine(dir, "g.yaml"), GroupYaml(group, count));
            manifests.Reload();
            var groupKey = new ObjectKey(ServiceGroup.KindName, group);
            await reconciler.ReconcileAsync(groupKey, default);
            var projectResync = await MedianResyncAsync(reconciler, projectKey);
            var groupResync = await MedianResyncAsync(reconciler, groupKey);
            await CleanAsync(instance);

            var compose = await ComposeUpAsync(count);
            results.Add(new Row(scenario, $"raw Engine API ({Parallelism} at a time)", F(raw)));
            results.Add(new Row(scenario, "agent, ComposeProject (one reconcile)", F(agent), $"{agent / raw:0.00}x raw; {running} running"));
            results.Add(new Row(scenario, "docker-compose 1.29 up -d", compose.Up is { } up ? F(up) : "n/a", compose.Note));
            results.Add(new Row($"compose no-op resync, {count} services", "agent, ComposeProject (median of 10)", Ms(projectResync), "3 list calls, 0 mutations"));
            results.Add(new Row($"compose no-op resync, {count} services", "agent, ServiceGroup (median of 10)", Ms(groupResync), $"{projectResync / groupResync:0.00}x the group's"));
            if (compose.Noop is { } noop) results.Add(new Row($"compose no-op resync, {count} services", "docker-compose 1.29 up -d (again)", F(noop)));
        }
    }

    private static async Task<double> MedianResyncAsync(Reconciler reconciler, ObjectKey key)
    {
        var samples = new List<double>();
        for (var i = 0; i < 11; i++)
        {
            var clock = Stopwatch.StartNew();
            await reconciler.ReconcileAsync(key, default);
            if (i > 0) samples.Add(clock.Elapsed.TotalMilliseconds); // the first settles health state after the converge
        }
        samples.Sort();
        return samples[samples.Count / 2];
    }
}
