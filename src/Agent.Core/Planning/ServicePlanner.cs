using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>Plans one service of a group: create what is missing, update what drifted, heal what died, scale.</summary>
internal sealed class ServicePlanner(PlanInput input, ServiceGroup group, ServiceSpec service, string network, PlanBuilder plan)
{
    private readonly string hash = SpecHash.Of(service.Container, network);

    /// <summary>Returns the ids of the operations that (re)start the service's containers.</summary>
    public List<int> Plan(List<int> after)
    {
        var started = new List<int>();
        var observed = input.Observed.Containers.Where(c => c.Service == service.Name).ToList();
        var failedUpdate = input.FailedUpdates.Contains($"{service.Name}@{hash}");

        for (var replica = 1; replica <= service.Replicas; replica++)
        {
            var name = service.ReplicaName(group.Metadata.Name, replica);
            var candidates = observed.Where(c => c.Replica == replica)
                .OrderByDescending(c => c.SpecHash == hash)
                .ThenByDescending(c => c.IsRunning)
                .ThenByDescending(c => c.Name == name)
                .ToList();
            foreach (var extra in candidates.Skip(1))
                plan.Retire(extra, "duplicate of replica " + replica, []);
            var current = candidates.FirstOrDefault();

            if (current is null)
            {
                if (input.Suspended) continue;
                started.Add(CreateAndStart(name, replica, after, "no existing container"));
            }
            else if (current.SpecHash != hash && !input.Suspended && !failedUpdate)
            {
                started.AddRange(Update(current, name, replica, after));
            }
            else
            {
                if (current.SpecHash != hash && failedUpdate)
                    plan.Hold($"{current.Name}: the update to spec {hash} was rolled back; it is not retried until the manifest changes");
                Heal(current, name, after, started);
            }
        }

        foreach (var extra in observed.Where(c => c.Replica > service.Replicas || c.Replica < 1).OrderByDescending(c => c.Replica))
            plan.Retire(extra, $"scaled down to {service.Replicas} replicas", []);
        return started;
    }

    private void Heal(ObservedContainer current, string name, List<int> after, List<int> started)
    {
        var resource = $"container:{current.Name}";
        if (input.Suspended)
        {
            if (current.IsRunning) plan.Add(OperationKind.StopContainer, resource, "group is suspended", [], current.Id);
            return;
        }
        if (current.Name != name && input.Observed.Containers.All(c => c.Name != name))
            plan.Add(OperationKind.RenameContainer, resource, $"renamed back to {name} after an interrupted update", [], current.Id);
        switch (current.State)
        {
            case ContainerState.Restarting:
                plan.Hold($"{current.Name}: crash loop back-off, the engine is restarting it{(current.ExitCode is { } last ? $" (last exit code {last})" : "")}");
                plan.RequeueAfter(TimeSpan.FromSeconds(2));
                break;
            case ContainerState.Running when current.Health == HealthState.Unhealthy:
                if (current.UnhealthySince is { } since && input.Now - since >= input.UnhealthyGrace)
                    started.Add(plan.Add(OperationKind.RestartContainer, resource,
                        $"unhealthy for {(input.Now - since).TotalSeconds:0}s (grace {input.UnhealthyGrace.TotalSeconds:0}s)", [], current.Id));
                else
                    plan.RequeueAfter(current.UnhealthySince is { } s ? input.UnhealthyGrace - (input.Now - s) : input.UnhealthyGrace);
                break;
            case ContainerState.Exited or ContainerState.Created or ContainerState.Dead when ShouldStart(current):
                if (current.BackoffUntil is { } until && until > input.Now)
                {
                    plan.Hold($"{current.Name}: crash loop back-off, next start in {(until - input.Now).TotalSeconds:0.#}s");
                    plan.RequeueAfter(until - input.Now);
                    break;
                }
                started.Add(plan.Add(OperationKind.StartContainer, resource,
                    current.State == ContainerState.Created ? "created but not started"
                        : $"container exited{(current.ExitCode is { } code ? $" with code {code}" : "")}, restart: {Describe(service.Container.Restart)}",
                    after, current.Id));
                break;
        }
    }

    private bool ShouldStart(ObservedContainer c) => c.State == ContainerState.Created || service.Container.Restart.Mode switch
    {
        RestartMode.Always or RestartMode.UnlessStopped => true,
        RestartMode.OnFailure => c.ExitCode is not 0,
        _ => false,
    };

    private static string Describe(RestartPolicy p) => p.Mode switch
    {
        RestartMode.Always => "always",
        RestartMode.UnlessStopped => "unless-stopped",
        RestartMode.OnFailure => "on-failure",
        _ => "no",
    };

    private int EnsureImage() => plan.EnsureImage(service.Container.Image, service.Container.ImagePullPolicy);

    private Operation CreateOperation(string name, int replica, IEnumerable<int> after, string cause)
    {
        var labels = input.Labels.ForReplica(group.Key, service.Name, replica, hash);
        labels[input.Labels.Spec] = SpecDiff.Serialize(service.Container);
        if (!group.Spec.Prune) labels[input.Labels.Prune] = "false";
        if (group.Compose is not null)
        {
            labels[ComposeLabelNames.ContainerNumber] = replica.ToString(System.Globalization.CultureInfo.InvariantCulture);
            labels[ComposeLabelNames.ConfigHash] = hash;
        }
        return new Operation(0, OperationKind.CreateContainer, $"service:{service.Name}:{replica}", cause, after.Distinct().Order().ToList())
        {
            Target = name,
            Spec = service.Container,
            Labels = labels,
            Network = network,
        };
    }

    private int CreateAndStart(string name, int replica, List<int> after, string cause)
    {
        var create = plan.Add(CreateOperation(name, replica, [.. after, EnsureImage()], cause));
        return plan.Add(OperationKind.StartContainer, $"service:{service.Name}:{replica}", "created", [create], name);
    }

    private IEnumerable<int> Update(ObservedContainer old, string name, int replica, List<int> after)
    {
        var fields = SpecDiff.Between(old.AppliedSpec, service.Container);
        var named = fields.Select(f => f[2..f.IndexOf(':')]).Distinct().ToList();
        var cause = named.Count == 0 ? $"spec changed ({old.SpecHash} -> {hash})" : $"spec changed: {string.Join(", ", named)} ({old.SpecHash} -> {hash})";
        var resource = $"service:{service.Name}:{replica}";
        var update = service.Update;
        var healthcheck = service.Container.Healthcheck is { Disabled: false };
        var image = EnsureImage();

        if (update.Strategy == UpdateStrategy.StartFirst)
        {
            var next = $"{name}-next";
            var create = plan.Add(CreateOperation(next, replica, [.. after, image], cause + ", start-first") with { PreviousSpec = old.AppliedSpec ?? "" });
            var start = plan.Add(OperationKind.StartContainer, resource, "new container of a start-first update", [create], next);
            var ready = start;
            if (healthcheck)
            {
                ready = plan.Add(new Operation(0, OperationKind.WaitHealthy, resource, $"new container must be healthy within {update.HealthTimeout.TotalSeconds:0}s before the old one goes", [start])
                {
                    Target = next,
                    Timeout = update.HealthTimeout,
                    RollbackOf = update.RollbackOnFailure ? $"{service.Name}@{hash}" : null,
                    OnFailure = [new Operation(0, OperationKind.RemoveContainer, $"container:{next}", "rollback: new container never became healthy", []) { Target = next }],
                });
            }
            var stop = plan.Add(OperationKind.StopContainer, $"container:{old.Name}", "replaced by a start-first update", [ready], old.Id);
            plan[stop] = plan[stop] with { Timeout = service.Container.StopGracePeriod };
            var remove = plan.Add(OperationKind.RemoveContainer, $"container:{old.Name}", "replaced by a start-first update", [stop], old.Id);
            var rename = plan.Add(new Operation(0, OperationKind.RenameContainer, resource, $"takes the name {name}", [remove]) { Target = next, NewName = name });
            return [rename];
        }

        var stopOld = plan.Add(OperationKind.StopContainer, $"container:{old.Name}", cause + ", stop-first", [image], old.Id);
        plan[stopOld] = plan[stopOld] with { Timeout = service.Container.StopGracePeriod };
        if (!(update.RollbackOnFailure && healthcheck))
        {
            var removeOld = plan.Add(OperationKind.RemoveContainer, $"container:{old.Name}", cause, [stopOld], old.Id);
            var created = plan.Add(CreateOperation(name, replica, [.. after, removeOld], cause) with { PreviousSpec = old.AppliedSpec ?? "" });
            return [plan.Add(OperationKind.StartContainer, resource, "created", [created], name)];
        }

        // Stop-first with rollback: the old container is kept aside, stopped, until the new one is healthy.
        var previous = $"{name}-prev";
        var aside = plan.Add(new Operation(0, OperationKind.RenameContainer, $"container:{old.Name}", "kept aside for rollback", [stopOld]) { Target = old.Id, NewName = previous });
        var createNew = plan.Add(CreateOperation(name, replica, [.. after, aside], cause + ", stop-first with rollback") with { PreviousSpec = old.AppliedSpec ?? "" });
        var startNew = plan.Add(OperationKind.StartContainer, resource, "created", [createNew], name);
        var healthy = plan.Add(new Operation(0, OperationKind.WaitHealthy, resource, $"new container must be healthy within {update.HealthTimeout.TotalSeconds:0}s", [startNew])
        {
            Target = name,
            Timeout = update.HealthTimeout,
            RollbackOf = $"{service.Name}@{hash}",
            OnFailure =
            [
                new Operation(0, OperationKind.RemoveContainer, $"container:{name}", "rollback: new container never became healthy", []) { Target = name },
                new Operation(0, OperationKind.RenameContainer, $"container:{previous}", "rollback: previous container takes its name back", []) { Target = previous, NewName = name },
                new Operation(0, OperationKind.StartContainer, $"container:{name}", "rollback: previous spec runs again", []) { Target = name },
            ],
        });
        plan.Add(OperationKind.RemoveContainer, $"container:{previous}", "update succeeded", [healthy], previous);
        return [healthy];
    }
}
