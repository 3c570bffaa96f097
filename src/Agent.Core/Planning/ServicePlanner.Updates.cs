using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>
/// Updates, and updates that were interrupted. The replica's own name always belongs to the container that serves (or
/// served last): stop-first without a health gate removes the old container and creates the new one under the name;
/// every other update creates the new container beside the old one as "{name}-next", labelled
/// <c>agent.update-role=next</c> and <c>agent.update-from=&lt;old hash&gt;</c>, waits until it is healthy, removes the old
/// one and only then renames the new one. Whatever an interruption (agent killed, engine stopped) leaves is a slot with
/// an old and a new container in some state, and the next plan finishes the update or rolls it back (<see cref="Resume"/>).
/// </summary>
internal sealed partial class ServicePlanner
{
    private bool HasHealthcheck => service.Container.Healthcheck is { Disabled: false };

    private bool StartFirst => service.Update.Strategy == UpdateStrategy.StartFirst;

    private string Strategy => StartFirst ? "start-first" : "stop-first";

    /// <summary>Stop-first without a health gate has nothing to roll back to: the new container is made under the name.</summary>
    private bool RecreatesInPlace => !StartFirst && !(service.Update.RollbackOnFailure && HasHealthcheck);

    /// <summary>The update waits for the new container's health within its apply: every update of a service with a
    /// healthcheck except a plain stop-first, which recreates in place.</summary>
    private bool HealthGated => HasHealthcheck && !RecreatesInPlace;

    private IEnumerable<int> Update(ObservedContainer old, string name, int replica, List<int> after)
    {
        // Left under an update's temporary name (X-next: an update interrupted, then the manifest changed again): it takes
        // the replica's name first, so this update's own new container can be X-next (probe-35: a create of X-next onto
        // itself failed with 409 for ever, the service left down under stop-first).
        if (old.Name == $"{name}-next" && !RecreatesInPlace && TakeName(old, name, $"takes back the name {name} before it is updated (an interrupted update left it as {old.Name})", after) is { } renamed)
        {
            freedBy[old.Name] = renamed;
            after = [.. after, renamed];
            old = old with { Name = name };
        }
        var named = SpecDiff.Between(old.AppliedSpec, service.Container).Select(f => f[2..f.IndexOf(':')]).Distinct().ToList();
        var cause = named.Count == 0 ? $"spec changed ({old.SpecHash} -> {hash})" : $"spec changed: {string.Join(", ", named)} ({old.SpecHash} -> {hash})";
        return RecreatesInPlace ? RecreateInPlace(old, name, replica, after, cause) : Replace(old, null, name, replica, after, cause);
    }

    private IEnumerable<int> RecreateInPlace(ObservedContainer old, string name, int replica, List<int> after, string cause)
    {
        // The old container goes only once what the new one needs is in place (volumes, networks, image, dependencies):
        // a volume or network that cannot be made leaves it running, not removed.
        List<int> ready = [EnsureImage(), .. after];
        List<int> stopped = old.IsRunning ? [Stop(old, cause + Planning.Plan.StopFirstCause, ready)] : ready;
        var removed = freedBy[old.Name] = plan.Add(OperationKind.RemoveContainer, $"container:{old.Name}", cause, stopped, old.Id);
        var created = plan.Add(CreateOperation(name, replica, [.. after, removed, .. Free(name)], cause) with { PreviousSpec = old.AppliedSpec ?? "" });
        return [plan.Add(OperationKind.StartContainer, $"service:{service.Name}:{replica}", "created", [created], name)];
    }

    /// <summary>
    /// A slot with the container being replaced (<paramref name="old"/>) and the new one (<paramref name="next"/>): the update
    /// was interrupted. A new container that is created or running is carried on (started, waited for, promoted); one that
    /// exited, died or is crash-looping is removed and the old one restored under its name and started. Such a rollback is
    /// not remembered (the next reconcile tries again); only a failed health gate holds the spec, in the state dir, so
    /// across restarts too.
    /// </summary>
    private IEnumerable<int> Resume(ObservedContainer old, ObservedContainer next, string name, int replica, List<int> after, bool failedUpdate)
    {
        var change = $"({old.SpecHash} -> {hash})";
        if (failedUpdate)
        {
            plan.Hold(Hold.RolledBack, $"{old.Name}: the update to spec {hash} was rolled back; it is not retried until the manifest changes");
            return RollBack(old, next, name, after, $"the update {change} was rolled back");
        }
        if (input.Suspended) return RollBack(old, next, name, after, $"group is suspended during an update {change}");
        // A running one goes through the health gate again (unhealthy included: healthTimeout decides, as in any update).
        if (next.State is ContainerState.Created or ContainerState.Running)
            return Replace(old, next, name, replica, after, $"interrupted update {change} resumed");
        return RollBack(old, next, name, after, $"interrupted update {change} rolled back: the new container is {next.State.ToString().ToLowerInvariant()}");
    }

    /// <summary>Removes the new container and brings the old one back: its name, and running (the update may have stopped it).</summary>
    private List<int> RollBack(ObservedContainer old, ObservedContainer next, string name, List<int> after, string cause)
    {
        Retire(next, cause);
        var started = new List<int>();
        if (old.IsRunning || input.Suspended)
        {
            Heal(old, name, after, started);
            return started;
        }
        if (TakeName(old, name, "rollback: the previous container takes its name back", []) is { } renamed) started.Add(renamed);
        started.Add(plan.Add(OperationKind.StartContainer, $"container:{old.Name}", "rollback: the previous spec runs again", [.. after, .. Free(next.Name)], old.Id));
        return started;
    }

    /// <summary>
    /// Replaces <paramref name="old"/> by a new container beside it, from the start (<paramref name="next"/> null) or from
    /// where an interrupted update left it. Returns the operation after which the new container serves under the name.
    /// </summary>
    private IEnumerable<int> Replace(ObservedContainer old, ObservedContainer? next, string name, int replica, List<int> after, string cause)
    {
        var resource = $"service:{service.Name}:{replica}";
        var nextName = next?.Name ?? $"{name}-next";
        var nextTarget = next?.Id ?? nextName;
        var oldStops = !StartFirst || !old.IsRunning; // a failure must start it again
        var rollbackOf = service.Update.RollbackOnFailure ? $"{service.Name}@{hash}" : null;

        // A new container the engine cannot start (its host port held, a device missing) fails the attempt like a failed
        // health gate: it goes and the old one serves again, never left stopped while the start is retried.
        int StartNew(string why, List<int> prerequisites, string target) => plan.Add(new Operation(0, OperationKind.StartContainer, resource, why, prerequisites)
        {
            Target = target,
            RollbackOf = rollbackOf,
            OnFailure = Restore(old, nextName, nextTarget, name, oldStops, "rollback: the new container could not be started"),
        });

        List<int> ready = [];
        if (!StartFirst && old.IsRunning) ready.Add(Stop(old, cause + Planning.Plan.StopFirstCause, next is null ? [EnsureImage(), .. after] : []));
        if (next is null)
        {
            var create = plan.Add(CreateOperation(nextName, replica, [.. after, EnsureImage(), .. ready, .. Free(nextName)], $"{cause}, {Strategy}", old)
                with { PreviousSpec = old.AppliedSpec ?? "" });
            ready = [StartNew($"new container of a {Strategy} update", [create], nextName)];
        }
        else if (next.State == ContainerState.Created)
        {
            ready = [StartNew($"{cause}: the new container was created but not started", [.. after, .. ready], next.Id)];
        }

        if (HasHealthcheck && next is not { IsReady: true })
        {
            var wait = plan.Add(new Operation(0, OperationKind.WaitHealthy, resource,
                $"new container must be healthy within {service.Update.HealthTimeout.TotalSeconds:0}s before the old one goes",
                [.. ready, .. old.Name == name ? [] : Free(name)])
            {
                Target = nextTarget,
                Timeout = service.Update.HealthTimeout,
                RollbackOf = rollbackOf,
                Replaces = (service.Name, old.SpecHash),
                OnFailure = Restore(old, nextName, nextTarget, name, oldStops, "rollback: new container never became healthy"),
            });
            ready = [wait];
        }

        var replaced = $"replaced by a {Strategy} update";
        List<int> gone = StartFirst && old.IsRunning ? [Stop(old, replaced, ready)] : ready;
        var removed = freedBy[old.Name] = plan.Add(OperationKind.RemoveContainer, $"container:{old.Name}", replaced, gone, old.Id);
        if (nextName == name) return [removed];
        return [plan.Add(new Operation(0, OperationKind.RenameContainer, resource, $"takes the name {name}", [removed, .. Free(name)])
        {
            Target = nextTarget,
            NewName = name,
        })];
    }

    /// <summary>What a failed start or health wait of the new container runs: it goes, the old one gets its name back and runs again.</summary>
    private static List<Operation> Restore(ObservedContainer old, string nextName, string nextTarget, string name, bool startOld, string why)
    {
        var steps = new List<Operation>
        {
            new(0, OperationKind.RemoveContainer, $"container:{nextName}", why, []) { Target = nextTarget },
        };
        if (old.Name != name)
            steps.Add(new(0, OperationKind.RenameContainer, $"container:{old.Name}", "rollback: the previous container takes its name back", []) { Target = old.Id, NewName = name });
        if (startOld)
            steps.Add(new(0, OperationKind.StartContainer, $"container:{name}", "rollback: the previous spec runs again", []) { Target = old.Id });
        return steps;
    }

    private int Stop(ObservedContainer container, string cause, IEnumerable<int> after)
    {
        var stop = plan.Add(OperationKind.StopContainer, $"container:{container.Name}", cause, after, container.Id);
        plan[stop] = plan[stop] with { Timeout = service.Container.StopGracePeriod };
        return stop;
    }
}
