using Agent.Core.Model;

namespace Agent.Core.Planning;

public static class ServiceOrder
{
    /// <summary>Services with their dependencies first; ties keep the manifest's order. Cycles were refused at load.</summary>
    public static IReadOnlyList<ServiceSpec> Sort(IReadOnlyList<ServiceSpec> services)
    {
        var result = new List<ServiceSpec>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        var pending = services.ToList();
        while (pending.Count > 0)
        {
            var next = pending.FirstOrDefault(s => s.DependsOn.All(d => done.Contains(d.Service) || services.All(x => x.Name != d.Service)))
                ?? pending[0];
            result.Add(next);
            done.Add(next.Name);
            pending.Remove(next);
        }
        return result;
    }

    /// <summary>What the services that depend on <paramref name="service"/> wait for (started, healthy, completed): the
    /// gates a start, restart or reconcile puts after it.</summary>
    public static IReadOnlySet<DependencyCondition> AskedOf(ServiceGroup group, string service) =>
        group.Spec.Services.SelectMany(s => s.DependsOn).Where(d => d.Service == service).Select(d => d.Condition).ToHashSet();
}
