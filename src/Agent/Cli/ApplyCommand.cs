using System.CommandLine;
using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;
using Agent.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Cli;

/// <summary>`agent apply DIR --once`: converge once and exit 0 when every object is Ready, 1 with the reasons otherwise.
/// Results go to standard output, logs to standard error.</summary>
public static class ApplyCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "Folder of manifests", DefaultValueFactory = _ => "manifests" };
        var once = new Option<bool>("--once") { Description = "Converge once and exit (the only mode: `agent run` keeps converging)" };
        var timeout = DurationOption.Create("--timeout", "How long to wait for every object to be Ready", TimeSpan.FromMinutes(5));
        var instance = new Option<string?>("--instance") { Description = "Instance id (default: the one stored in the state dir)" };
        var stateDir = new Option<string?>("--state-dir") { Description = "The agent's state dir" };
        var hostLabels = HostLabelsOption.Create("This host's labels for spec.placement.hostSelector (role=edge,zone=a), instead of those the running agent recorded in the state dir");
        var allowMassPrune = new Option<bool>("--allow-mass-prune") { Description = "Remove objects even when more than Agent:PruneGuard of the managed objects would go" };
        var command = new Command("apply", "Converge the engine to the manifests once, for scripts and CI.") { dir, once, timeout, instance, stateDir, allowMassPrune, hostLabels };
        command.SetAction(async (parse, ct) =>
        {
            if (HostLabelsOption.Parse(parse.GetValue(hostLabels), out var labelError) is not { } labels)
            {
                Console.Error.WriteLine($"error: {labelError}");
                return 1;
            }
            var allow = parse.GetValue(allowMassPrune);
            await using var services = OneShotServices.Build(parse.GetValue(dir)!, parse.GetValue(instance), parse.GetValue(stateDir),
                allow ? new Dictionary<string, string?> { ["Agent:AllowMassPrune"] = "true" } : null, labels);
            try
            {
                services.GetRequiredService<State.StateDirLock>(); // never beside a running agent of the same state dir
                services.GetRequiredService<State.InstanceLock>(); // or of the same instance id
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            if (!OneShotServices.LoadManifests(services)) return 1;
            Console.Error.WriteLine($"Applying as instance {services.GetRequiredService<AgentLabels>().InstanceId} ({services.GetRequiredService<InstanceSource>().Description}).");
            var manifests = services.GetRequiredService<ManifestStore>();
            foreach (var note in GitRepositoryNotes.Lines(manifests.Repositories, services.GetRequiredService<GitCheckouts>())) Console.Error.WriteLine(note);

            var observer = services.GetRequiredService<EngineObserver>();
            try
            {
                var inEngine = await observer.ListObjectKeysAsync(ct);
                var onceJobs = ActivatorUtilities.CreateInstance<OnceJobs>(services);
                var guard = OneShotServices.JudgePrunes(services, inEngine.Union(await onceJobs.KeysAsync(ct)).ToHashSet());
                if (guard.Blocked && !allow)
                {
                    Console.Error.WriteLine($"PruneBlocked: {guard.Message}");
                    Console.Error.WriteLine("Nothing was applied. Run again with --allow-mass-prune to remove them.");
                    return 1;
                }
                var keys = manifests.All().Where(e => e.NotSelected is null).Select(e => e.Key)
                    .Where(k => !Job.IsJobKind(k.Kind) && k.Kind != GitRepository.KindName).ToHashSet();
                keys.UnionWith(inEngine);
                var order = keys.OrderBy(k => manifests.Get(k)?.Object is ServiceGroup g ? (int)g.Spec.Phase : -1).ThenBy(k => k.Name, StringComparer.Ordinal).ToList();
                var convergence = ActivatorUtilities.CreateInstance<OnceConvergence>(services);
                var started = DateTimeOffset.UtcNow;
                var results = await convergence.RunAsync(order, parse.GetValue(timeout), ct);
                // Jobs after the groups (a Job may need a service), within what is left of --timeout.
                var left = parse.GetValue(timeout) - (DateTimeOffset.UtcNow - started);
                results = [.. results, .. await onceJobs.ApplyAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, ct)];
                foreach (var result in results) Console.WriteLine(result.Line);
                return results.All(r => r.Settled) ? 0 : 1;
            }
            catch (EngineException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
