using Agent.Core.Planning;

namespace Agent.Core.Status;

/// <summary>
/// The services of an object held without its spec (its manifest cannot be read since the agent started, so no spec
/// is known): what runs is kept as it is, so each service's replicas are the ones its containers hold, and the ready
/// ones those that serve. An update's "-next" container is not a replica of its own.
/// </summary>
public static class HeldServices
{
    public static IReadOnlyList<ServiceStatus> From(IEnumerable<ObservedContainer> containers, DateTimeOffset now) =>
        containers.Where(c => c.Service.Length > 0).GroupBy(c => c.Service, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var replicas = g.GroupBy(c => c.Replica).ToList();
                return new ServiceStatus(g.Key, replicas.Count, replicas.Count(r => r.Any(c => c.IsServing(now))),
                    g.OrderBy(c => c.Replica).ThenBy(c => c.Name, StringComparer.Ordinal).Select(c => ContainerStatus.Of(c.Name, c.Id, c.State, c.Health, c.SpecHash)).ToList());
            }).ToList();
}
