using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>
/// The start of an object's stopped containers (POST /servicegroups/{name}/start, /composeprojects/{name}/up), like
/// `docker compose start` and `up -d`: services in dependsOn order; each replica's container (the one holding the
/// replica's name) that exited or was only created is started, a paused one unpaused, whatever its restart policy or who
/// stopped it; the dependents of a service they wait for (condition healthy or completed) start once its replicas are
/// healthy or completed, the started ones and the running ones alike, as the reconciler's plans wait. A container that
/// runs is left alone. A missing one is the reconciler's to make: the services that depend on its service (directly or
/// through others) are deferred, not started before it (probe-21: app and web started, then db was made). With
/// <c>deferDrifted</c>, a replica whose container's spec differs from the manifest's (edited while stopped) is the
/// reconciler's to recreate too: it is not started in its old form, and its dependents wait for the new one.
/// </summary>
public static class StartPlanner
{
    public static Plan PlanStart(ServiceGroup group, ObservedState observed, TimeSpan dependencyTimeout) => PlanInOrder(group, observed, dependencyTimeout).Plan;

    /// <summary>The start plan, and the services it defers because a service they depend on lacks a replica's container
    /// (or, with <paramref name="deferDrifted"/>, has one to recreate; such a service is deferred itself).</summary>
    /// <param name="startedAlready">Containers an earlier pass of the same start ran: never started again (a one-shot
    /// that exited since runs once per start, probe-22), their dependents gated as on a running one.</param>
    public static (Plan Plan, IReadOnlyList<string> Deferred) PlanInOrder(ServiceGroup group, ObservedState observed, TimeSpan dependencyTimeout,
        bool deferDrifted = false, IReadOnlySet<string>? startedAlready = null)
    {
        var plan = new PlanBuilder();
        var gates = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var waiting = new HashSet<string>(StringComparer.Ordinal); // a replica missing, or deferred: its dependents wait too
        var deferred = new List<string>();
        foreach (var service in ServiceOrder.Sort(group.Spec.Services))
        {
            if (service.DependsOn.Any(d => waiting.Contains(d.Service)))
            {
                waiting.Add(service.Name);
                deferred.Add(service.Name);
                continue;
            }
            var after = service.DependsOn.SelectMany(d => gates.GetValueOrDefault(d.Service) ?? []).Distinct().ToList();
            var conditions = ServiceOrder.AskedOf(group, service.Name);
            var gate = new List<int>();
            var hash = SpecHash.Of(service.Container, ContainerNames.Network(group.Metadata.Name));
            for (var replica = 1; replica <= service.Replicas; replica++)
            {
                var name = service.ReplicaName(group.Metadata.Name, replica);
                if (observed.Containers.FirstOrDefault(c => c.Name == name && c.Service == service.Name) is not { } container)
                {
                    waiting.Add(service.Name);
                    continue;
                }
                if (deferDrifted && container.SpecHash != hash && !container.IsRunning)
                {
                    waiting.Add(service.Name);
                    if (!deferred.Contains(service.Name)) deferred.Add(service.Name);
                    continue;
                }
                var resource = $"container:{name}";
                IReadOnlyList<int> started;
                if (startedAlready?.Contains(container.Id) == true)
                    started = [];
                else if (container.State is ContainerState.Exited or ContainerState.Created)
                    started = [plan.Add(OperationKind.StartContainer, resource, $"start requested ({container.State.ToString().ToLowerInvariant()})", after, container.Id)];
                else if (container.State == ContainerState.Paused)
                    started = [plan.Add(OperationKind.UnpauseContainer, resource, "start requested (paused)", after, container.Id)];
                else started = []; // running: its dependents still wait for its health or completion
                gate.AddRange(started);
                if (conditions.Contains(DependencyCondition.Healthy) && (started.Count > 0 || container.Health != HealthState.Healthy))
                    gate.Add(plan.Add(OperationKind.WaitHealthy, resource, $"{service.Name} must be healthy before its dependents start", started.Count > 0 ? started : after, name, dependencyTimeout));
                if (conditions.Contains(DependencyCondition.Completed) && (started.Count > 0 || container is not { State: ContainerState.Exited, ExitCode: 0 }))
                    gate.Add(plan.Add(OperationKind.WaitCompleted, resource, $"{service.Name} must complete before its dependents start", started.Count > 0 ? started : after, name, dependencyTimeout));
            }
            gates[service.Name] = gate.Count > 0 ? gate : after;
        }
        return (plan.Build(), deferred);
    }
}
