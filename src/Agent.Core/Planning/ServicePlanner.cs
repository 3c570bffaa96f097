using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>
/// Plans one service of a group: create what is missing, update what drifted (ServicePlanner.Updates.cs: also finishes
/// or rolls back an update that was interrupted), heal what died, scale.
/// </summary>
internal sealed partial class ServicePlanner(PlanInput input, ServiceGroup group, ServiceSpec service, IReadOnlyDictionary<string, NetworkRef> networks, PlanBuilder plan)
{
    private readonly string hash = SpecHash.Of(service.Container, ContainerNames.Network(group.Metadata.Name));

    // Names a container removed by this plan frees: a create or rename to one of them runs after that removal.
    private readonly Dictionary<string, int> freedBy = new(StringComparer.Ordinal);

    /// <summary>Set when this plan recreates a container the service uses (network_mode container:/service:, volumes_from,
    /// pid or ipc container:): why its own containers are recreated after it.</summary>
    public string? UsedRecreated { get; init; }

    /// <summary>The replicas (by name) whose container this plan leaves stopped on purpose, with why, as a sentence's end
    /// ("is stopped by a user ..."): a stop a user made, a restart policy that does not start it, a crash back-off. A
    /// health or completion wait of a dependent on one of them could only fail (<see cref="Planner"/> drops it).</summary>
    public Dictionary<string, string> LeftDown { get; } = new(StringComparer.Ordinal);

    /// <summary>The containers of the service that run or are paused while the group is suspended: the
    /// <see cref="Planner"/> stops them, dependents first (<see cref="StopOrder"/>).</summary>
    public List<ObservedContainer> Stopping { get; } = [];

    /// <summary>Returns the ids of the operations that (re)start the service's containers.</summary>
    public List<int> Plan(List<int> after)
    {
        var started = new List<int>();
        var observed = input.Observed.Containers.Where(c => c.Service == service.Name).ToList();
        var failedUpdate = input.FailedUpdates.Contains($"{service.Name}@{hash}");
        // A rolling update, one replica at a time (swarm's update_config.parallelism 1): a replica's update starts once the
        // previous one's new container serves. All at once, a stop-first update took every replica down together (probe-63
        // M2). Behind a health gate the next replica's update waits in this plan for the previous one's gate; without one,
        // one replica is updated per plan, and the next only once it has run for RollMonitor without failing. A replica on
        // the new spec that does not serve stops the roll (probe-64: replicas 2 and 3 were replaced while 1 crash-looped).
        List<int> previousUpdate = [];
        var updatedOne = false;
        var unproven = Unproven(observed) is { } waiting && (waiting.Failing || !input.WholeRoll) ? waiting : null;

        for (var replica = 1; replica <= service.Replicas; replica++)
        {
            var name = service.ReplicaName(group.Metadata.Name, replica);
            var slot = ReplicaSlot.Of(observed.Where(c => c.Replica == replica), hash, name);
            foreach (var extra in slot.Extras)
                Retire(extra, "duplicate of replica " + replica);

            if (slot is { Reverted: true, Current: { } kept, Next: { } abandoned })
            {
                started.AddRange(RollBack(kept, abandoned, name, after,
                    $"manifest reverted to {hash} during the update ({hash} -> {abandoned.SpecHash}): the new container is no longer wanted"));
            }
            else if (slot is { Current: { } old, Next: { } next })
            {
                started.AddRange(Resume(old, next, name, replica, after, failedUpdate));
            }
            else if (slot.Current is not { } current)
            {
                if (input.Suspended) continue;
                started.Add(CreateAndStart(name, replica, after, "no existing container"));
            }
            else if (current.SpecHash != hash && !input.Suspended && !failedUpdate && !IsRespectedUserStop(current))
            {
                // A container a user stopped keeps its stop: its update waits until it is started again, as an edit of a
                // stopped object waits for its start (probe-23 F8: a maintenance stop of db was undone by an edit).
                if (unproven is not null || updatedOne && !HealthGated && !input.WholeRoll)
                {
                    if (unproven is { Failing: true } failing)
                        plan.Hold(Hold.UpdatePaused, $"{current.Name}: its update waits, {failing.Container.Name} on the new spec {hash} does not serve ({failing.Why})");
                    plan.RequeueAfter(unproven?.Left ?? RollMonitor);
                    Heal(current, name, after, started); // it keeps serving on its spec meanwhile
                }
                else
                {
                    previousUpdate = Update(current, name, replica, [.. after, .. previousUpdate]).ToList();
                    started.AddRange(previousUpdate);
                    updatedOne = true;
                }
            }
            else if (current.SpecHash == hash && !input.Suspended && UsedRecreated is { } used && !IsRespectedUserStop(current) && current.Name == name)
            {
                // Like Compose: a container in another's network namespace, or with its volumes, follows it when it is recreated
                // (it would stay in the namespace, or keep the volumes, of the container that is gone).
                started.AddRange(RecreateInPlace(current, name, replica, after, used));
            }
            else if (current.SpecHash == hash && !input.Suspended && !IsRespectedUserStop(current) && current.Name == name && LeftNetwork(current) is { } left)
            {
                // The container it joined was recreated and this one was not (the agent stopped in between): it follows now.
                started.AddRange(RecreateInPlace(current, name, replica, after, left));
            }
            else if (current.SpecHash == hash && !input.Suspended && current.IsRunning && DisconnectedNetwork(current) is { } network)
            {
                // Like Compose on a network change: recreated (in place: it no longer serves on that network anyway).
                started.AddRange(RecreateInPlace(current, name, replica, after, $"disconnected from network {network}"));
            }
            else
            {
                if (current.SpecHash != hash && failedUpdate)
                    plan.Hold(Hold.RolledBack, $"{current.Name}: the update to spec {hash} was rolled back; it is not retried until the manifest changes");
                Heal(current, name, after, started);
            }
        }

        foreach (var extra in observed.Where(c => c.Replica > service.Replicas || c.Replica < 1).OrderByDescending(c => c.Replica))
            Retire(extra, $"scaled down to {service.Replicas} replicas");
        return started;
    }

    /// <summary>How long a replica updated without a health gate must run without failing before the next one's update
    /// starts: swarm's update_config.monitor default.</summary>
    public static readonly TimeSpan RollMonitor = TimeSpan.FromSeconds(5);

    private sealed record Waiting(ObservedContainer Container, bool Failing, string Why, TimeSpan Left);

    /// <summary>A replica on the new spec that has not proven itself yet: failing (crash-looping, restarting, exited with a
    /// failure), or running for less than <see cref="RollMonitor"/> (without a health gate), or not yet ready. Replicas a
    /// user stopped, or that the engine's or the agent's stop left exited, and one-shots that completed never hold a roll.</summary>
    private Waiting? Unproven(IEnumerable<ObservedContainer> observed)
    {
        foreach (var c in observed.Where(c => c.SpecHash == hash && c.Replica >= 1 && c.Replica <= service.Replicas).OrderBy(c => c.Replica))
        {
            if (IsRespectedUserStop(c) || c.StoppedByAgent || c.StoppedWithEngine) continue;
            var exit = c.LatestExitCode is { } code ? $"last exit code {code}" : "it exited";
            switch (c.State)
            {
                case ContainerState.Restarting:
                    return new Waiting(c, true, $"crash loop, {exit}", RollMonitor);
                case ContainerState.Exited or ContainerState.Dead when c.ExitCode is not 0:
                    return new Waiting(c, true, exit, RollMonitor);
                case ContainerState.Running when c.InCrashWindow(input.Now):
                    return new Waiting(c, true, $"crash loop, {exit}", ObservedContainer.CrashWindow - (input.Now - c.LastFailure!.Value));
                case ContainerState.Running when !c.IsReady:
                    return new Waiting(c, false, "not ready yet", RollMonitor);
                case ContainerState.Running when !HasHealthcheck && c.Created is { } made && input.Now - made < RollMonitor:
                    return new Waiting(c, false, "just started", RollMonitor - (input.Now - made));
            }
        }
        return null;
    }

    /// <summary>A network the service joins (that exists already) which the container is not attached to (`docker network
    /// disconnect`); null when it is on all of them or its networks are not known.</summary>
    private string? DisconnectedNetwork(ObservedContainer container)
    {
        if (container.NetworkIds is not { } attached || service.Container.NetworkMode is not null) return null;
        IEnumerable<string> keys = service.Container.Networks?.Select(n => n.Key) ?? [ObservedNetwork.DefaultKey];
        return keys.Select(k => networks.GetValueOrDefault(k)).FirstOrDefault(n => n is { Id: { } id } && !attached.Contains(id))?.Name;
    }

    /// <summary>For a service in the network of another of the object's containers (networkMode <c>container:NAME</c>): why
    /// this container must be recreated when the engine lists it in the network of another container than the one that
    /// holds NAME now; null when it is in the right one or that is not known.</summary>
    private string? LeftNetwork(ObservedContainer current)
    {
        const string prefix = "container:";
        if (current.NetworkMode is not { } actual || !actual.StartsWith(prefix, StringComparison.Ordinal)
            || service.Container.NetworkMode is not { } wanted || !wanted.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var name = wanted[prefix.Length..];
        if (input.Observed.Containers.FirstOrDefault(c => c.Name == name) is not { } target) return null;
        var joined = actual[prefix.Length..];
        if (joined == target.Id || joined == target.Name) return null;
        return $"in the network of container {joined[..Math.Min(12, joined.Length)]}, which is no longer {name} ({target.Id[..Math.Min(12, target.Id.Length)]})";
    }

    private int Retire(ObservedContainer container, string cause, IEnumerable<int>? after = null) =>
        freedBy[container.Name] = plan.Retire(container, cause, after ?? []);

    /// <summary>What a create or rename to <paramref name="name"/> waits for: the removal of the container that holds it now.</summary>
    private IEnumerable<int> Free(string name) => freedBy.TryGetValue(name, out var removal) ? [removal] : [];

    /// <summary>
    /// Gives a container the replica's own name (after an interrupted update it can still be called X-next or X-prev),
    /// once whoever holds the name is removed. Null when nothing needs renaming or another container keeps the name.
    /// </summary>
    private int? TakeName(ObservedContainer container, string name, string cause, IEnumerable<int> after)
    {
        if (container.Name == name) return null;
        var holder = input.Observed.Containers.FirstOrDefault(c => c.Name == name && c.Id != container.Id);
        if (holder is not null && !freedBy.ContainsKey(name))
        {
            plan.Hold(Hold.NameTaken, $"{container.Name}: not renamed to {name}, which {holder.Id[..Math.Min(12, holder.Id.Length)]} holds");
            return null;
        }
        return plan.Add(new Operation(0, OperationKind.RenameContainer, $"container:{container.Name}", cause, [.. after, .. Free(name)])
        {
            Target = container.Id,
            NewName = name,
        });
    }

    private void Heal(ObservedContainer current, string name, List<int> after, List<int> started)
    {
        if (current.StopInFlight && !input.Suspended)
        {
            LeftDown[name] = current.StopInFlightByUser
                ? $"{current.Name} is being stopped through the API (its stop is under way): it stays stopped until started through the API"
                : $"{current.Name} is being stopped by the agent (a prune's or a stop's, its stop still under way): it starts again once it has exited";
            plan.RequeueAfter(TimeSpan.FromSeconds(2));
            return;
        }
        var before = started.Count;
        HealCore(current, name, after, started);
        if (input.Suspended || current.State is ContainerState.Running or ContainerState.Restarting) return;
        if (started.Skip(before).Any(id => plan[id].Kind is OperationKind.StartContainer or OperationKind.UnpauseContainer or OperationKind.RestartContainer)) return;
        LeftDown[name] = WhyDown(current);
    }

    /// <summary>Why <paramref name="c"/> (not running) stays so after this plan, for a dependent's hold.</summary>
    private string WhyDown(ObservedContainer c) =>
        c.State == ContainerState.Paused ? $"{c.Name} is paused by a user (start it through the API or docker unpause)"
        : c.StoppedByUser == "api" ? $"{c.Name} is stopped through the API (start it through the API)"
        : c.StoppedByUser is not null ? $"{c.Name} is stopped by a user (start it through the API or docker start)"
        : c.BackoffUntil is { } until && until > input.Now ? $"{c.Name} exited and waits out its crash back-off"
        : service.Container.Restart is { Mode: RestartMode.OnFailure, MaxRetries: > 0 } limit && c.ExitCode is not 0 && c.Failures > limit.MaxRetries
            ? $"{c.Name} failed {c.Failures} times and restart: on-failure:{limit.MaxRetries} gave up"
        : c.StoppedWithEngine ? $"{c.Name} exited when the engine stopped and restart: {Describe(service.Container.Restart)} leaves it so (agent up or agent restart starts it)"
        : $"{c.Name} is {c.State.ToString().ToLowerInvariant()}{(c.ExitCode is { } code ? $" (exit code {code})" : "")} and restart: {Describe(service.Container.Restart)} leaves it so";

    private void HealCore(ObservedContainer current, string name, List<int> after, List<int> started)
    {
        var resource = $"container:{current.Name}";
        if (TakeName(current, name, $"takes back the name {name} after an interrupted update", []) is { } renamed) started.Add(renamed);
        if (input.Suspended)
        {
            // docker stop works on a paused container too: a suspended group frees its memory as well. The Planner
            // stops them in reverse dependency order (StopOrder), once every service is planned. One whose stop is under
            // way already (asked by an earlier run of the agent) is not asked again: the reconcile is not held for its grace
            // (probe-30 F1: /readyz failed for the whole 40 s grace after a restart during `agent stop`, and a second kill was sent).
            if (current.IsRunning && current.StopInFlight) plan.RequeueAfter(TimeSpan.FromSeconds(2));
            else if (current.IsRunning || current.State == ContainerState.Paused) Stopping.Add(current);
            return;
        }
        switch (current.State)
        {
            case ContainerState.Restarting:
                plan.Hold(Hold.CrashLoopBackOff, $"{current.Name}: crash loop back-off, the engine is restarting it{(current.LatestExitCode is { } last ? $" (last exit code {last})" : "")}", current.Name);
                plan.RequeueAfter(TimeSpan.FromSeconds(2));
                break;
            case ContainerState.Running when current.Health == HealthState.Unhealthy:
                if (current.UnhealthySince is { } since && input.Now - since >= input.UnhealthyGrace)
                    started.Add(plan.Add(OperationKind.RestartContainer, resource,
                        $"unhealthy for {(input.Now - since).TotalSeconds:0}s (grace {input.UnhealthyGrace.TotalSeconds:0}s)", [], current.Id));
                else
                    plan.RequeueAfter(current.UnhealthySince is { } s ? input.UnhealthyGrace - (input.Now - s) : input.UnhealthyGrace);
                break;
            // Only a user pauses (the agent never does), and a pause is judged like a docker stop: under restart "always"
            // the desired state (running) wins; under the other modes it stays paused and status says "Paused by user".
            case ContainerState.Paused when service.Container.Restart.Mode == RestartMode.Always:
                started.Add(plan.Add(OperationKind.UnpauseContainer, resource, "container paused, restart: always", after, current.Id));
                break;
            case ContainerState.Exited or ContainerState.Dead when IsRespectedUserStop(current):
                break; // stays stopped until started again; status says "Stopped by user"
            case ContainerState.Exited or ContainerState.Dead when service.Container.Restart is { Mode: RestartMode.OnFailure, MaxRetries: > 0 } limit
                                                                   && current.ExitCode is not 0 && current.Failures > limit.MaxRetries:
                plan.Hold(Hold.BackoffLimitExceeded, $"{current.Name}: restart limit reached: failed {current.Failures} times (last exit code {current.ExitCode}), restart: on-failure:{limit.MaxRetries} allows {limit.MaxRetries} restarts");
                break;
            case ContainerState.Exited or ContainerState.Created or ContainerState.Dead when ShouldStart(current) && !input.LeaveStartsToStart:
                if (current.BackoffUntil is { } until && until > input.Now)
                {
                    plan.Hold(Hold.CrashLoopBackOff, $"{current.Name}: crash loop back-off, next start in {(until - input.Now).TotalSeconds:0.#}s", current.Name);
                    plan.RequeueAfter(until - input.Now);
                    break;
                }
                started.Add(plan.Add(OperationKind.StartContainer, resource,
                    current.State == ContainerState.Created ? "created but not started"
                        : current.StoppedByAgent ? "stopped by the agent (an agent stop, or a start cut off): it runs again once no stop holds it"
                        : $"container exited{(current.ExitCode is { } code ? $" with code {code}" : "")}, restart: {Describe(service.Container.Restart)}",
                    after, current.Id));
                break;
        }
    }

    /// <summary>The API's stop is always kept, and so is a stop of unknown origin (the agent's record of user stops was
    /// lost); a docker stop/kill is kept unless restart is "always" (which, like Kubernetes and like Docker after a daemon
    /// restart, brings the container back).</summary>
    private bool IsRespectedUserStop(ObservedContainer c) =>
        c.StoppedByUser is "api" or "unknown" || (c.StoppedByUser is not null && service.Container.Restart.Mode != RestartMode.Always);

    private bool ShouldStart(ObservedContainer c) => c.State == ContainerState.Created || c.StoppedByAgent || service.Container.Restart.Mode switch
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

    private int EnsureImage() => plan.EnsureImage(service.Container, group.Compose is not null);

    /// <summary>A create; <paramref name="replacing"/> is the container an update replaces, named in the new one's labels.</summary>
    private Operation CreateOperation(string name, int replica, IEnumerable<int> after, string cause, ObservedContainer? replacing = null)
    {
        var labels = input.Labels.ForReplica(group.Key, service.Name, replica, hash);
        labels[input.Labels.Spec] = SpecDiff.Serialize(service.Container);
        if (!group.Spec.Prune) labels[input.Labels.Prune] = "false";
        if (group.Compose is not null)
        {
            labels[ComposeLabelNames.ContainerNumber] = replica.ToString(System.Globalization.CultureInfo.InvariantCulture);
            labels[ComposeLabelNames.ConfigHash] = hash;
        }
        if (replacing is not null)
        {
            labels[input.Labels.UpdateFrom] = replacing.SpecHash;
        }
        return new Operation(0, OperationKind.CreateContainer, $"service:{service.Name}:{replica}", cause, after.Distinct().Order().ToList())
        {
            Target = name,
            Spec = service.Container,
            Labels = labels,
            Network = service.Container.NetworkMode is null && service.Container.Networks is null ? networks.GetValueOrDefault(ObservedNetwork.DefaultKey)?.Address : null,
            Endpoints = service.Container.Networks?.Select(n => new NetworkEndpoint(networks[n.Key].Address, n.Aliases, n.Ipv4Address, n.Ipv6Address) { LinkLocalIps = n.LinkLocalIps }).ToList(),
        };
    }

    private int CreateAndStart(string name, int replica, List<int> after, string cause)
    {
        var create = plan.Add(CreateOperation(name, replica, [.. after, EnsureImage(), .. Free(name)], cause));
        return plan.Add(OperationKind.StartContainer, $"service:{service.Name}:{replica}", "created", [create], name);
    }
}
