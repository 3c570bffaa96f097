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
        var byName = group.Spec.Services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        return Sort(group.Spec.Services.Select(s => s.Name).ToList(), Dependents(group)).Select(n => byName[n]).ToList();
    }

    private static List<string> Sort(IReadOnlyList<string> services, IReadOnlyDictionary<string, IReadOnlyList<string>> dependents)
    {
        var result = new List<string>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        var pending = services.ToList();
        while (pending.Count > 0)
        {
            var next = pending.FirstOrDefault(s => dependents[s].All(done.Contains)) ?? pending[0];
            result.Add(next);
            done.Add(next);
            pending.Remove(next);
        }
        return result;
    }

    /// <summary>Adds the stop of each container of <paramref name="stopping"/> (by service) through <paramref name="stop"/>
    /// (a StopContainer, or a down's stop and remove), each after the stops of the services that depend on its own; the
    /// containers of one service stop together. Returns the ids <paramref name="stop"/> gave.</summary>
    internal static List<int> Plan(ServiceGroup group, IReadOnlyDictionary<string, List<ObservedContainer>> stopping, Func<ObservedContainer, List<int>, int> stop) =>
        Plan(group.Spec.Services.Select(s => s.Name).ToList(), Dependents(group), stopping, stop);

    /// <summary>The same order for containers whose manifest is gone (a prune), from the <c>depends_on</c> each recorded
    /// (<see cref="ObservedContainer.DependsOn"/>), as `docker compose down` goes: dependents first. Services are taken in
    /// name order; without such records all stop at once.</summary>
    internal static List<int> Plan(IReadOnlyList<ObservedContainer> containers, Func<ObservedContainer, List<int>, int> stop)
    {
        var byService = containers.GroupBy(c => c.Service, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var services = byService.Keys.Order(StringComparer.Ordinal).ToList();
        var dependents = services.ToDictionary(s => s, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var service in services)
            foreach (var dependency in byService[service].SelectMany(c => c.DependsOn).Distinct(StringComparer.Ordinal))
                if (dependents.TryGetValue(dependency, out var of) && dependency != service && !of.Contains(service)) of.Add(service);
        return Plan(services, dependents.ToDictionary(d => d.Key, d => (IReadOnlyList<string>)d.Value, StringComparer.Ordinal), byService, stop);
    }

    private static List<int> Plan(IReadOnlyList<string> services, IReadOnlyDictionary<string, IReadOnlyList<string>> dependents,
        IReadOnlyDictionary<string, List<ObservedContainer>> stopping, Func<ObservedContainer, List<int>, int> stop)
    {
        var all = new List<int>();
        if (stopping.Values.All(s => s.Count == 0)) return all;
        var gates = new Dictionary<string, List<int>>(StringComparer.Ordinal); // a service's stops, or (none) what it waited for
        foreach (var service in Sort(services, dependents))
        {
            var after = dependents[service].SelectMany(d => gates.GetValueOrDefault(d) ?? []).Distinct().Order().ToList();
            var stops = (stopping.GetValueOrDefault(service) ?? []).OrderBy(c => c.Replica).ThenBy(c => c.Name, StringComparer.Ordinal)
                .Select(c => stop(c, after)).ToList();
            gates[service] = stops.Count > 0 ? stops : after;
            all.AddRange(stops);
        }
        return all;
    }
}
