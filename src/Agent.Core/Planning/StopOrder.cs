using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>
/// The order a stop goes in (agent stop of a ServiceGroup or ComposeProject, spec.suspend), like `docker compose stop`:
/// the reverse of the start order. A service's containers stop only once those of every service that depends on it
/// (dependsOn / depends_on, or uses its container: network_mode, volumes_from, pid, ipc) have stopped, also through a
/// dependent in between that has nothing to stop; services that do not depend on each other stop at the same time.
/// </summary>
public static class StopOrder
{
    /// <summary>The services that depend directly on each service of <paramref name="group"/>, in the manifest's order.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Dependents(ServiceGroup group)
    {
        var names = group.Spec.Services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var dependents = group.Spec.Services.ToDictionary(s => s.Name, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var service in group.Spec.Services)
            foreach (var dependency in service.DependsOn.Select(d => d.Service).Concat(Planner.UsedServices(group, service)).Distinct(StringComparer.Ordinal))
                if (names.Contains(dependency) && dependency != service.Name && !dependents[dependency].Contains(service.Name))
                    dependents[dependency].Add(service.Name);
        return dependents.ToDictionary(d => d.Key, d => (IReadOnlyList<string>)d.Value, StringComparer.Ordinal);
    }

    /// <summary>Services with their dependents first (dependencies last); ties keep the manifest's order. A cycle (refused
    /// at load for dependsOn) is broken at the first service left.</summary>
    public static IReadOnlyList<ServiceSpec> Sort(ServiceGroup group)
    {
        var dependents = Dependents(group);
        var result = new List<ServiceSpec>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        var pending = group.Spec.Services.ToList();
        while (pending.Count > 0)
        {
            var next = pending.FirstOrDefault(s => dependents[s.Name].All(done.Contains)) ?? pending[0];
            result.Add(next);
            done.Add(next.Name);
            pending.Remove(next);
        }
        return result;
    }

    /// <summary>Adds the stop of each container of <paramref name="stopping"/> (by service) through <paramref name="stop"/>
    /// (a StopContainer, or a down's stop and remove), each after the stops of the services that depend on its own; the
    /// containers of one service stop together. Returns the ids <paramref name="stop"/> gave.</summary>
    internal static List<int> Plan(ServiceGroup group, IReadOnlyDictionary<string, List<ObservedContainer>> stopping, Func<ObservedContainer, List<int>, int> stop)
    {
        var all = new List<int>();
        if (stopping.Values.All(s => s.Count == 0)) return all;
        var dependents = Dependents(group);
        var gates = new Dictionary<string, List<int>>(StringComparer.Ordinal); // a service's stops, or (none) what it waited for
        foreach (var service in Sort(group))
        {
            var after = dependents[service.Name].SelectMany(d => gates.GetValueOrDefault(d) ?? []).Distinct().Order().ToList();
            var stops = (stopping.GetValueOrDefault(service.Name) ?? []).OrderBy(c => c.Replica).ThenBy(c => c.Name, StringComparer.Ordinal)
                .Select(c => stop(c, after)).ToList();
            gates[service.Name] = stops.Count > 0 ? stops : after;
            all.AddRange(stops);
        }
        return all;
    }
}
