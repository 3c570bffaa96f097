using Agent.Core.Model;
using Agent.Engine;
using Agent.Hosting;
using Microsoft.Extensions.Options;

namespace Agent.Reconciliation;

/// <summary>
/// POST /run creates then starts; an agent killed in between leaves a container created and never started, whose
/// client never got its id. An interrupted operation is undone at the next start, as a run the engine cannot start
/// leaves nothing behind: such a container is removed at the start and at each resync. Only one made before this process
/// started (never a run in flight here) and labelled as made to start (not one of POST /containers, made to stay created).
/// </summary>
public sealed class InterruptedRuns(IContainerEngine engine, ObservedCache cache, AgentLabels labels, OwnCreates ownCreates, IOptions<AgentOptions> options,
    ILogger<InterruptedRuns> logger) : BackgroundService
{
    private readonly DateTimeOffset processStart = DateTimeOffset.UtcNow; // constructed before any hosted service or request runs

    /// <summary>The rule: a POST /run container still created, made before this process started and not by it.</summary>
    public static bool IsLeftover(AgentLabels labels, ContainerSummary c, DateTimeOffset processStart, Func<string, bool> madeHere) =>
        c.State == ContainerState.Created && labels.IsOwned(c.Labels) && c.Labels.ContainsKey(labels.Imperative)
        && c.Labels.TryGetValue(labels.RunStart, out var v) && v == "true" && c.Created < processStart && !madeHere(c.Id);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = options.Value.ResyncInterval;
            try
            {
                if (!await RemoveLeftoversAsync(stoppingToken)) next = Soon(next);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is EngineException or OperationCanceledException or HttpRequestException or IOException)
            {
                // The engine away or slow (its request timeout is a cancellation too): the controller reports that once;
                // this only tries again soon. Never fatal: an unhandled exception here would stop the agent.
                logger.LogDebug("Runs interrupted before their start not looked at yet: {Error}", e.Message);
                next = Soon(next);
            }
            catch (Exception e)
            {
                logger.LogWarning("Runs interrupted before their start not looked at yet: {Error}", e.Message);
                next = Soon(next);
            }
            try
            {
                await Task.Delay(next, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static TimeSpan Soon(TimeSpan next) => TimeSpan.FromSeconds(5) < next ? TimeSpan.FromSeconds(5) : next;

    /// <summary>Looks at the controller's cache of the engine (a resync costs no list of its own, issue 16); false before
    /// the cache is first listed (then it looks again soon).</summary>
    private async Task<bool> RemoveLeftoversAsync(CancellationToken ct)
    {
        if (!cache.IsCurrent)
        {
            logger.LogDebug("Runs interrupted before their start not looked at yet: the engine has not been listed yet");
            return false;
        }
        foreach (var c in cache.Containers.Where(c => IsLeftover(labels, c, processStart, ownCreates.MadeHere)))
        {
            await engine.RemoveContainerAsync(c.Id, force: true, ct);
            logger.LogWarning("Run {Name} was created but never started (the agent stopped between its create and its start): removed", c.Name);
        }
        return true;
    }
}
