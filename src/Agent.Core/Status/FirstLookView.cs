using Agent.Core.Model;

namespace Agent.Core.Status;

/// <summary>One container of an object as the engine's listing shows it (its full id, the agent's labels read).</summary>
public sealed record ListedContainer(string Id, string Name, string Service, int Replica, ContainerState State, HealthState Health, bool HealthKnown,
    string SpecHash, DateTimeOffset Created);

/// <summary>
/// What a group shows before its first reconcile since the agent started has reported (probe-33 F8: after a kill -9
/// during an update, READY read "-" and AGE counted from the restart for some 20 s, while the first reconcile finished the
/// update): its containers as listed, READY counting the replicas running and healthy (or without a healthcheck), and
/// AGE from its oldest container. Ready stays Unknown "not reconciled yet": nothing is judged before the reconcile.
/// </summary>
public static class FirstLookView
{
    public static ObjectStatus Of(ObjectStatus unreported, ServiceGroup group, IReadOnlyCollection<ListedContainer> listed)
    {
        if (listed.Count == 0) return unreported;
        return unreported with
        {
            Since = listed.Min(c => c.Created),
            Services = group.Spec.Services.Select(s =>
            {
                var containers = listed.Where(c => c.Service == s.Name).OrderBy(c => c.Replica).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
                var ready = ServiceReadiness.Count(containers.Select(c => (c.Replica, Serves(c))), s.Replicas);
                return new ServiceStatus(s.Name, s.Replicas, ready, containers.Select(c => ContainerStatus.Of(c.Name, c.Id, c.State, c.Health, c.SpecHash)).ToList());
            }).ToList(),
        };
    }

    private static bool Serves(ListedContainer c) =>
        c.State == ContainerState.Running && (c.Health == HealthState.Healthy || (c.Health == HealthState.None && c.HealthKnown));
}
