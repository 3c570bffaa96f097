using Agent.Core.Model;
using Agent.Core.Planning;

namespace Agent.Http;

/// <summary>Which containers a start of a ServiceGroup or ComposeProject (agent start, docker compose start) starts, and
/// which it leaves stopped.</summary>
public static class GroupStartTargets
{
    /// <summary>The containers that stay stopped when an object stopped as a whole starts only <paramref name="services"/>:
    /// those of the other services that do not run. They are kept stopped as user stops, as after docker compose stop
    /// SERVICE, so that a later start of the object (or of their service) starts them. One whose stop is still landing
    /// is one of them.</summary>
    public static IReadOnlyList<ObservedContainer> LeftStopped(ObservedState observed, IReadOnlySet<string> services) =>
        observed.Containers.Where(c => !services.Contains(c.Service) && (!c.IsRunning || c.StopInFlight)).ToList();

    /// <summary>The stopped containers a start will start (recorded first as stopped by the agent, so that a start cut off
    /// by an agent kill is finished after the restart): those of <paramref name="only"/> (all services when null) that
    /// are exited, dead or still being stopped, other than <paramref name="kept"/>. With <paramref name="seenOnArrival"/>
    /// (the ids seen when the start arrived while a reconcile ran), only containers seen then: one made since was made
    /// and run by that reconcile, the start does not run it again, and a record of it would have the next reconcile run
    /// it again (CI, session 59: a one-shot made by the reconcile that ran as agent up arrived ran twice).</summary>
    public static IReadOnlyList<string> ToStart(ObservedState seen, IReadOnlySet<string>? only, IReadOnlyCollection<string> kept, IReadOnlySet<string>? seenOnArrival) =>
        seen.Containers.Where(c => (c.State is ContainerState.Exited or ContainerState.Dead || c.StopInFlight) && (only is null || only.Contains(c.Service))
                && !kept.Contains(c.Id) && (seenOnArrival is null || seenOnArrival.Contains(c.Id)))
            .Select(c => c.Id).ToList();
}
