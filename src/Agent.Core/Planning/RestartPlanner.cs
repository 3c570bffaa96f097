using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>
/// The group restart (POST /servicegroups/{name}/restart), like `docker compose restart` ("restarts all stopped and
/// running services"): services in dependsOn order, each running or paused replica restarted with its own stop signal
/// (set on the container) and grace period, and each replica's exited or created container (the one holding the replica's
/// name) started by the same restart; a service starts its restart only after the services it depends on have been
/// restarted. An object stopped, down or suspended (<paramref name="suspended"/>) restarts nothing: the agent is stopping
/// what still runs of it (probe-23 F6: a restart during a suspend ran db again until the suspend killed it).
/// </summary>
public static class RestartPlanner
{
    public static Plan PlanRestart(ServiceGroup group, ObservedState observed, bool suspended = false)
    {
        var plan = new PlanBuilder();
        if (suspended) return plan.Build();
        var done = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var service in ServiceOrder.Sort(group.Spec.Services))
        {
            var after = service.DependsOn.SelectMany(d => done.GetValueOrDefault(d.Service) ?? []).ToList();
            var grace = service.Container.StopGracePeriod ?? TimeSpan.FromSeconds(10);
            var ids = new List<int>();
            // A paused replica is restarted too, as docker compose restart does (the engine's restart unpauses it).
            var names = Enumerable.Range(1, Math.Max(0, service.Replicas)).Select(r => service.ReplicaName(group.Metadata.Name, r)).ToHashSet(StringComparer.Ordinal);
            foreach (var c in observed.Containers.Where(c => c.Service == service.Name && (c.IsRunning || c.State == ContainerState.Paused
                         || (c.State is ContainerState.Exited or ContainerState.Created && names.Contains(c.Name)))).OrderBy(c => c.Replica))
                ids.Add(plan.Add(OperationKind.RestartContainer, $"container:{c.Name}",
                    $"group restart ({service.Container.StopSignal ?? "SIGTERM"}, grace {grace.TotalSeconds:0.#}s)", after, c.Id, grace));
            // Its dependents restart once it is what their depends_on asks: healthy, or completed (probe-23 F10: a migration
            // ran against a db that was restarting, not healthy yet).
            var conditions = ServiceOrder.AskedOf(group, service.Name);
            var gate = new List<int>(ids);
            foreach (var restarted in ids.Select(id => plan[id]).ToList())
            {
                var target = restarted.ResourceId["container:".Length..];
                if (conditions.Contains(DependencyCondition.Healthy))
                    gate.Add(plan.Add(OperationKind.WaitHealthy, restarted.ResourceId, $"{service.Name} must be healthy before its dependents restart", [restarted.Id], target, PlanInput.DefaultDependencyTimeout));
                if (conditions.Contains(DependencyCondition.Completed))
                    gate.Add(plan.Add(OperationKind.WaitCompleted, restarted.ResourceId, $"{service.Name} must complete before its dependents restart", [restarted.Id], target, PlanInput.DefaultDependencyTimeout));
            }
            done[service.Name] = gate.Count > 0 ? gate : after;
        }
        return plan.Build();
    }
}
