using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>
/// The start of an object's stopped containers (POST /servicegroups/{name}/start, /composeprojects/{name}/up), like
/// `docker compose start` and `up -d`: services in dependsOn order; each replica's container (the one holding the
/// replica's name) that exited or was only created is started, a paused one unpaused, whatever its restart policy or who
/// stopped it; the dependents of a service they wait for (condition healthy or completed) start once the started replicas
/// are healthy or completed, as the reconciler's plans wait. A container that runs, or is missing (the reconciler makes
/// it), is left alone.
/// </summary>
public static class StartPlanner
{
    public static Plan PlanStart(ServiceGroup group, ObservedState observed, TimeSpan dependencyTimeout)
    {
        var plan = new PlanBuilder();
        var gates = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var service in ServiceOrder.Sort(group.Spec.Services))
        {
            var after = service.DependsOn.SelectMany(d => gates.GetValueOrDefault(d.Service) ?? []).Distinct().ToList();
            var conditions = group.Spec.Services.SelectMany(s => s.DependsOn).Where(d => d.Service == service.Name).Select(d => d.Condition).ToHashSet();
            var gate = new List<int>();
            for (var replica = 1; replica <= service.Replicas; replica++)
            {
                var name = service.ReplicaName(group.Metadata.Name, replica);
                if (observed.Containers.FirstOrDefault(c => c.Name == name && c.Service == service.Name) is not { } container) continue;
                var resource = $"container:{name}";
                int started;
                if (container.State is ContainerState.Exited or ContainerState.Created)
                    started = plan.Add(OperationKind.StartContainer, resource, $"start requested ({container.State.ToString().ToLowerInvariant()})", after, container.Id);
                else if (container.State == ContainerState.Paused)
                    started = plan.Add(OperationKind.UnpauseContainer, resource, "start requested (paused)", after, container.Id);
                else continue;
                gate.Add(started);
                if (conditions.Contains(DependencyCondition.Healthy))
                    gate.Add(plan.Add(OperationKind.WaitHealthy, resource, $"{service.Name} must be healthy before its dependents start", [started], name, dependencyTimeout));
                if (conditions.Contains(DependencyCondition.Completed))
                    gate.Add(plan.Add(OperationKind.WaitCompleted, resource, $"{service.Name} must complete before its dependents start", [started], name, dependencyTimeout));
            }
            gates[service.Name] = gate.Count > 0 ? gate : after;
        }
        return plan.Build();
    }
}
