using Agent.Core.Jobs;
using System.CommandLine;
using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Engine;
using Agent.Reconciliation;
using Agent.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Cli;

/// <summary>`agent diff DIR`: what the agent would do, per container, and why. Changes nothing.
/// Exit 0 in sync, 2 changes pending, 1 errors (also: the folder cannot be read, or the mass-prune guard holds removals).</summary>
public static class DiffCommand
{
    private static readonly TimeSpan PingBound = TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "Folder of manifests", DefaultValueFactory = _ => "manifests" };
        var instance = new Option<string?>("--instance") { Description = "Instance id (default: the one stored in the state dir)" };
        var stateDir = new Option<string?>("--state-dir") { Description = "The agent's state dir" };
        var hostLabels = HostLabelsOption.Create("This host's labels for spec.placement.hostSelector (role=edge,zone=a), instead of those the running agent recorded in the state dir");
        var allowMassPrune = new Option<bool>("--allow-mass-prune") { Description = "Show removals the mass-prune guard would hold as pending" };
        var command = new Command("diff", "Compare the manifests with the engine and print what would be created, recreated, started, stopped or removed.")
        {
            dir, instance, stateDir, allowMassPrune, hostLabels,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var lookOnly = State.StateFile.LookOnly(); // never writes the state dir (of a running agent, often)
            if (HostLabelsOption.Parse(parse.GetValue(hostLabels), out var labelError) is not { } labels)
            {
                Console.Error.WriteLine($"error: {labelError}");
                return 1;
            }
            await using var services = OneShotServices.Build(parse.GetValue(dir)!, parse.GetValue(instance), parse.GetValue(stateDir), hostLabels: labels);
            var loaded = OneShotServices.LoadManifests(services);
            var manifests = services.GetRequiredService<ManifestStore>();
            if (!loaded && manifests.SourceError is not null) return 1;
            // probe-33 F13: a broken manifest no longer hides the whole diff: the other objects are compared, the broken
            // ones (and any object no manifest names while some cannot be read) are not, and the exit is 1.
            var manifestErrors = loaded ? 0 : manifests.Errors.Count;
            foreach (var note in GitRepositoryNotes.Lines(manifests.Repositories, services.GetRequiredService<GitCheckouts>())) Console.Error.WriteLine(note);

            var observer = services.GetRequiredService<EngineObserver>();
            var reconciler = services.GetRequiredService<Reconciler>();
            try
            {
                var agentLabels = services.GetRequiredService<AgentLabels>();
                var source = services.GetRequiredService<InstanceSource>();
                Console.Error.WriteLine($"Comparing as instance {agentLabels.InstanceId} ({source.Description}).");
                // A hung engine takes connections and never answers: say so in seconds, not after the request timeout (probe-22 F8).
                using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    bounded.CancelAfter(PingBound);
                    try
                    {
                        await services.GetRequiredService<IContainerEngine>().PingAsync(bounded.Token);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        Console.Error.WriteLine($"error: the Docker engine did not answer _ping within {PingBound.TotalSeconds:0}s: it is hung or overloaded; nothing was compared");
                        return 1;
                    }
                }
                var (wrongInstance, lonelyInstance) = source.Judge(agentLabels.InstanceId, await OwnersAsync(services.GetRequiredService<IContainerEngine>(), agentLabels, ct));
                if (wrongInstance is not null)
                {
                    Console.Error.WriteLine($"error: {wrongInstance}");
                    return 1;
                }
                if (lonelyInstance is not null) Console.Error.WriteLine($"warning: {lonelyInstance}");
                var inEngine = await observer.ListObjectKeysAsync(ct);
                var keys = manifests.All().Select(e => e.Key).Where(k => !Job.IsJobKind(k.Kind)).ToHashSet();
                keys.UnionWith(inEngine);
                var onceJobs = ActivatorUtilities.CreateInstance<OnceJobs>(services);
                var jobKeys = await onceJobs.KeysAsync(ct);
                keys.UnionWith(jobKeys);
                var guard = OneShotServices.JudgePrunes(services, inEngine.Union(jobKeys).ToHashSet());
                var blocked = guard.Blocked && !parse.GetValue(allowMassPrune) ? guard.Removals.ToHashSet() : [];
                var pending = 0;
                var heldJobs = 0; // Jobs whose history was lost: a hold needs the operator's decision, like the mass-prune guard
                foreach (var key in keys.OrderBy(k => k.Kind).ThenBy(k => k.Name, StringComparer.Ordinal))
                {
                    var entry = manifests.Get(key);
                    var desired = entry?.Object;
                    if (manifestErrors > 0 && (entry is { IsBroken: true } || entry is null))
                    {
                        Console.WriteLine(entry is null
                            ? $"{key}: not compared: no manifest defines it, and some manifests have errors (one of them may)"
                            : $"{key}: not compared: its manifest has errors ({entry.Errors[0]})");
                        continue;
                    }
                    if (blocked.Contains(key))
                    {
                        Console.WriteLine($"{key} (manifest deleted): PruneBlocked, not removed");
                        continue;
                    }
                    if (Job.IsJobKind(key.Kind))
                    {
                        var jobChanges = await onceJobs.DiffAsync(key, ct);
                        heldJobs += jobChanges.Count(c => c.Verb == JobChanges.Held);
                        pending += jobChanges.Count(c => c.Verb != JobChanges.Held);
                        Console.WriteLine(jobChanges.Count == 0 ? $"{key}: in sync" : $"{key}{(desired is null ? " (manifest deleted)" : $" ({desired.Source})")}:");
                        foreach (var change in jobChanges) Console.WriteLine($"  {change}");
                        continue;
                    }
                    var observed = await observer.ObserveAsync(key, ct, desired as ServiceGroup);
                    var (plan, onStart, onResume) = reconciler.PlanWithStart(key, desired, observed);
                    var changes = PlanSummary.Describe(plan);
                    pending += changes.Count;
                    // A project taken down is brought up, not started (start is refused while down: probe-23 F11).
                    var overrides = services.GetRequiredService<RuntimeOverrides>();
                    var down = overrides.IsDown(key);
                    var stoppedNote = onStart.Count > 0
                        ? down ? $" (down; agent up would apply {onStart.Count} change(s))"
                        : overrides.IsSuspended(key) ? $" (stopped; starting it would apply {onStart.Count} change(s))"
                        : $" ({onStart.Count} change(s) wait for the start of containers a user stopped)"
                        : onResume.Count > 0 ? $" (suspend: true in its manifest; without it, {onResume.Count} change(s) would apply)" : "";
                    Console.WriteLine(changes.Count == 0 ? $"{key}: in sync{stoppedNote}" : $"{key}{(desired is null ? " (manifest deleted)" : $" ({desired.Source})")}:");
                    foreach (var change in changes) Print(change, "");
                    foreach (var held in plan.Held) Console.WriteLine($"  held     {held}");
                    foreach (var change in onStart) Print(change, down ? "on up: " : "on start: ");
                    foreach (var change in onResume) Print(change, "on resume: ");
                }
                var holds = (manifestErrors > 0 ? [$"{manifestErrors} manifest error(s)"] : Array.Empty<string>())
                    .Concat(blocked.Count > 0 ? [$"{blocked.Count} removal(s) held by the mass-prune guard"] : [])
                    .Concat(heldJobs > 0 ? [$"{heldJobs} Job(s) held: HistoryLost"] : []).ToList();
                Console.WriteLine(holds.Count > 0
                    ? "not in sync: " + string.Join(", ", holds) + (pending == 0 ? "" : $", {pending} other change(s) pending")
                    : pending == 0 ? "in sync" : $"{pending} change(s) pending");
                if (blocked.Count > 0) Console.Error.WriteLine($"PruneBlocked: {guard.Message}");
                if (heldJobs > 0) Console.Error.WriteLine($"HistoryLost: {heldJobs} Job(s) start no run until their jobs/Job-NAME.json.lost marker is deleted");
                if (holds.Count > 0) return 1;
                return pending == 0 ? 0 : 2;
            }
            catch (EngineException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Console.Error.WriteLine("error: the Docker engine stopped answering during the comparison (no answer within Agent:EngineRequestTimeout); nothing was changed");
                return 1;
            }
        });
        return command;
    }

    /// <summary>How many containers and networks each instance of this label prefix owns on the engine.</summary>
    private static async Task<Dictionary<string, int>> OwnersAsync(IContainerEngine engine, AgentLabels labels, CancellationToken ct)
    {
        var managed = LabelSelector.Of($"{labels.Managed}=true");
        var containers = engine.ListContainersAsync(managed, ct);
        var networks = engine.ListNetworksAsync(managed, ct);
        await Task.WhenAll(containers, networks);
        return containers.Result.Select(c => c.Labels).Concat(networks.Result.Select(n => n.Labels))
            .Select(l => l.GetValueOrDefault(labels.Instance))
            .Where(id => !string.IsNullOrEmpty(id))
            .GroupBy(id => id!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
    }

    private static void Print(Change change, string prefix)
    {
        Console.WriteLine($"  {prefix}{change}");
        foreach (var field in change.Fields) Console.WriteLine($"      {field}");
    }
}
