using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Engine;

namespace Agent.Reconciliation;

/// <summary>
/// The kills a dockerd made as it started after a crash, told from a user's stops when the agent did not see them
/// (probe-18 F1, the agent not running: the events are not replayed to it). The engine marks such a container stopped by
/// hand, so under unless-stopped it stays down, and the agent took the exit for a user's stop (an exited unless-stopped
/// container the engine did not restart): nothing was started and nothing said why. Looked at once per engine run, after
/// the agent's listing at its start and after a reconnect; an exit so judged is recorded as <see cref="UserStops.ByShutdown"/>,
/// as a clean engine stop's is: unless-stopped and always run again, restart: no reads "Exited when the engine stopped".
/// The same events tell a stop an earlier run of the agent asked for that is still under way (probe-27 F1.1):
/// <see cref="UserStops.MarkStopInFlight"/>.
/// </summary>
public sealed class EngineStartStops(IContainerEngine engine, AgentLabels labels, UserStops userStops, ILogger<EngineStartStops> logger)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private DateTimeOffset? judged; // the engine run (its serving time) already looked at

    /// <summary>The engine's retained events have been looked at once in this run of the agent for the stops an earlier run
    /// asked that are still under way (<see cref="UserStops.MarkStopInFlight"/>): until then a record an earlier run made
    /// is not ended by a listing that finds its container running (<see cref="UserStops.EndIfStartedSince"/>).</summary>
    public bool StopsUnderWayJudged { get; private set; }

    /// <summary>Records the exits the engine's current run made before it served (see <see cref="UnwatchedExits.StoppedAtEngineStart"/>)
    /// of containers that have no stop recorded. Never throws but for shutdown: what cannot be told stays as it was judged.</summary>
    public async Task RecordAsync(CancellationToken ct)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(Bound);
        try
        {
            // The stops under way are told without the engine's serving time (an engine without a default bridge too).
            var serving = await engine.ServingSinceAsync(bounded.Token);
            if (serving is not null && serving == judged) return;
            var events = await engine.PastEventsAsync(LabelSelector.ForInstance(labels), DateTimeOffset.UtcNow, bounded.Token);
            var stops = events
                .Where(e => e is { Type: "container", Action: "kill" or "stop" or "die" } && e.Attributes.ContainsKey(labels.Service)
                            && !e.Attributes.ContainsKey(labels.JobRun) && !e.Attributes.ContainsKey(labels.Imperative))
                .GroupBy(e => e.ActorId, StringComparer.Ordinal);
            foreach (var stop in stops)
            {
                var usersStop = userStops.Reason(stop.Key) is not null;
                if (userStops.StoppedByAgentItself(stop.Key) || usersStop)
                {
                    // A stop an earlier run of the agent asked for (a prune's, a suspend's, or a user's through the API)
                    // and did not see land.
                    if (await engine.InspectContainerAsync(stop.Key, bounded.Token) is { State: ContainerState.Running, StartedAt: { } started } running
                        && stop.Any(e => e.Action is "kill" or "stop" && e.Time >= started))
                    {
                        userStops.MarkStopInFlight(stop.Key);
                        if (usersStop)
                            logger.LogInformation("{Name} is being stopped by a user's stop that an earlier run of the agent asked for (before it restarted): " +
                                                  "it is not waited on as running, and it stays stopped once the stop has landed", running.Name);
                        else
                            logger.LogInformation("{Name} is being stopped by an earlier run of the agent (asked before it restarted): it is not waited on as running; " +
                                                  "it starts again once the stop has landed, in dependsOn order", running.Name);
                    }
                    continue;
                }
                if (userStops.StoppedByAgent(stop.Key) || serving is null) continue; // told already, or no serving time to judge by
                var beforeServing = stop.Where(e => e.Time <= serving).Select(e => e.Time).ToList();
                if (beforeServing.Count == 0) continue;
                if (await engine.InspectContainerAsync(stop.Key, bounded.Token) is not { State: ContainerState.Exited or ContainerState.Dead } exited) continue;
                if (!UnwatchedExits.StoppedAtEngineStart(exited.FinishedAt, beforeServing, serving.Value)) continue;
                userStops.RecordSeen(stop.Key, UserStops.ByShutdown); // it happened: kept in memory also on a full state dir
                logger.LogInformation("{Name} was stopped by the engine as it started (at {Finished:u}, after a crash), not by a user: recorded as exited with the engine",
                    exited.Name, exited.FinishedAt);
            }
            judged = serving;
            StopsUnderWayJudged = true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is EngineException or OperationCanceledException)
        {
            logger.LogWarning("Could not tell whether the engine stopped containers as it started: {Error}", e.Message);
        }
    }
}
