using Agent.Core.Model;

namespace Agent.Core.Status;

/// <summary>
/// What an object's services show while the engine is unreachable (probe-18 F2): the last observed state, the same the
/// container list (`GET /containers`, `agent get all`) and the gauges show. Each listed container takes the state and
/// health the agent last saw (a shutting-down engine's kills and exits arrive before its events stream closes); one no
/// longer seen is dropped; READY counts at most the containers last seen running and healthy (or without a healthcheck),
/// never more than before. Nothing is counted ready because the engine went away.
/// </summary>
public static class LastObservedServices
{
    public static IReadOnlyList<ServiceStatus> Apply(IReadOnlyList<ServiceStatus> services, IReadOnlyDictionary<string, (ContainerState State, HealthState Health)> lastSeen) =>
        services.Select(s =>
        {
            var containers = s.Containers.Where(c => lastSeen.ContainsKey(c.Name)).Select(c =>
            {
                var (state, health) = lastSeen[c.Name];
                return c with { State = state.ToString().ToLowerInvariant(), Health = health.ToString().ToLowerInvariant() };
            }).ToList();
            var serving = containers.Count(c => c.State == "running" && c.Health is "healthy" or "none");
            return s with { ReadyReplicas = Math.Min(s.ReadyReplicas, serving), Containers = containers };
        }).ToList();
}
