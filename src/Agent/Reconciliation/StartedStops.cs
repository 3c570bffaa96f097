using Agent.Core.Model;
using Agent.Engine;

namespace Agent.Reconciliation;

/// <summary>
/// Ends the records of stops (user-stops.json: the agent's, a user's, the engine's shutdown) whose containers a listing
/// finds running since: a record ends when its container starts, and its start event is not the only way a start is
/// seen. A start made while no agent watched (a `docker start` while the agent was down), one an agent made just before a
/// kill -9 (it never recorded it: probe-39, the agent's start of a group's replicas), or one whose event was lost leaves a
/// record that no event will end; kept, an "agent" record made a user's later `docker stop` read as the agent's own stop
/// (started again under `restart: unless-stopped`), and a user's record a later exit by itself read as a user's stop.
/// Looked at after every listing (the agent's start, a reconnect, each resync): each container with a record that the
/// listing shows running is inspected for its start time (<see cref="UserStops.EndIfStartedSince"/> keeps a stop that is
/// still under way).
/// </summary>
public sealed class StartedStops(IContainerEngine engine, ObservedCache cache, UserStops userStops, EngineStartStops startStops, ILogger<StartedStops> logger)
{
    /// <summary>Never throws but for shutdown: a record that cannot be looked at now is looked at after the next listing.</summary>
    public async Task EndAsync(CancellationToken ct)
    {
        foreach (var listed in cache.Containers.Where(c => c.State is ContainerState.Running or ContainerState.Paused or ContainerState.Restarting && userStops.IsRecorded(c.Id)))
        {
            try
            {
                if (await engine.InspectContainerAsync(listed.Id, ct) is not { State: ContainerState.Running or ContainerState.Paused or ContainerState.Restarting, StartedAt: { } started } running)
                    continue;
                if (userStops.EndIfStartedSince(running.Id, started, startStops.StopsUnderWayJudged) is { } by)
                    logger.LogInformation("{Name} runs, started at {Started:u} after its stop was recorded ({By}): the record ends, as at a start event " +
                                          "(its start was made or seen while no agent watched its events, e.g. just before a kill -9 of the agent)", running.Name, started, by);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is EngineException or OperationCanceledException)
            {
                logger.LogDebug("Could not look at the start of {Name}: {Error}", listed.Name, e.Message);
            }
        }
    }
}
