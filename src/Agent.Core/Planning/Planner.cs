using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>
/// The pure heart of the agent: from the desired object and what the engine has, the operations that make
/// them equal, each with its cause. Running it on its own result plans nothing (idempotence).
/// </summary>
public static class Planner
{
    public static Plan PlanGroup(PlanInput input)
    {
        var plan = new PlanBuilder();
        if (input.Desired is null) PlanDeletion(input, plan);
        else PlanConvergence(input, input.Desired, plan);
        return plan.Build();
    }

    private static void PlanDeletion(PlanInput input, PlanBuilder plan)
    {
        foreach (var c in input.Observed.Containers.Where(c => c.PruneDisabled).OrderBy(c => c.Name, StringComparer.Ordinal))
            plan.Hold(Hold.PruneDisabled, $"{c.Name}: kept, the group had prune: false");
        // Dependents first, as `docker compose down` goes: a manifest back meanwhile leaves what they depend on running.
        var removes = StopOrder.Plan(input.Observed.Containers.Where(c => !c.PruneDisabled).OrderBy(c => c.Name, StringComparer.Ordinal).ToList(),
            (c, after) => plan.Retire(c, input.PruneReason, after));
        if (removes.Count < input.Observed.Containers.Count) return;
        RemoveNetworks(input, plan, input.PruneReason, removes);
        foreach (var volume in input.Observed.PrunableVolumes.Order(StringComparer.Ordinal))
            plan.Add(OperationKind.RemoveVolume, $"volume:{volume}", $"{input.PruneReason} and pruneVolumes: true", removes, volume);
    }

    /// <summary>A compose project that is down (suspended) is like `docker compose down`: its containers and network
    /// are removed, its volumes kept unless it was brought down with volumes (`down -v`): then the named volumes the
    /// project owns go too, never an external one; `up` creates them again. As with `docker compose down`, the project's
    /// services go in reverse depends_on order (<see cref="StopOrder"/>); containers of services no longer in it at once.</summary>
    private static void PlanDown(PlanInput input, ServiceGroup group, PlanBuilder plan)
    {
        var services = group.Spec.Services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var byService = input.Observed.Containers.Where(c => services.Contains(c.Service)).GroupBy(c => c.Service)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var removes = StopOrder.Plan(group, byService, (c, after) => plan.Retire(c, "project is down", after));
        removes.AddRange(input.Observed.Containers.Where(c => !services.Contains(c.Service)).OrderBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => plan.Retire(c, "project is down", [])));
        RemoveNetworks(input, plan, "project is down", removes);
        if (!input.RemoveVolumes) return;
        var external = group.Spec.Volumes.Values.Where(v => v.External).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var volume in input.Observed.Volumes.Where(v => !external.Contains(v)).Order(StringComparer.Ordinal))
            plan.Add(OperationKind.RemoveVolume, $"volume:{volume}", "project is down with volumes=true", removes, volume);
    }

    /// <summary>Networks are removed by id: another instance may have a network of the same name.</summary>
    private static void RemoveNetworks(PlanInput input, PlanBuilder plan, string cause, List<int> after)
    {
        foreach (var network in input.Observed.Networks.OrderBy(n => n.Name, StringComparer.Ordinal).ThenBy(n => n.Id, StringComparer.Ordinal))
            plan.Add(OperationKind.RemoveNetwork, $"network:{network.Name}", cause, after, network.Id);
    }

    private static void PlanConvergence(PlanInput input, ServiceGroup group, PlanBuilder plan)
    {
        if (input.Suspended && group.Compose is not null && !input.StoppedOnly)
        {
            PlanDown(input, group, plan);
            return;
        }
        var foundation = new List<int>();
        if (ComposeAdoption.HoldsConflict(input, group, plan)) return;
        if (NetworkPlanner.Plan(input, group, plan, foundation) is not { } networks) return;
        foreach (var (shortName, volume) in group.Spec.Volumes)
        {
            if (volume.External || input.Observed.Volumes.Contains(volume.Name) || input.Suspended
                || ComposeAdoption.TakeOverVolume(input, group, plan, volume.Name)) continue;
            var volumeLabels = WithCompose(input.Labels.ForObject(group.Key), group, ComposeLabelNames.Volume, shortName);
            foreach (var (k, v) in input.Labels.UserLabels(volume.Labels)) volumeLabels.TryAdd(k, v);
            if (group.Spec.PruneVolumes) volumeLabels[input.Labels.PruneVolume] = "true";
            foundation.Add(plan.Add(new Operation(0, OperationKind.CreateVolume, $"volume:{volume.Name}", "volume missing", [])
            {
                Target = volume.Name,
                Labels = volumeLabels,
                Volume = volume,
            }));
        }

        RetireLeftServices(input, group, plan);

        var gates = new Dictionary<string, List<int>>(StringComparer.Ordinal); // ops that must finish before dependents start
        IReadOnlyList<int> adopted = []; // adoption replaces one service at a time: the last replaced service's starts
        var stopping = new Dictionary<string, List<ObservedContainer>>(StringComparer.Ordinal); // suspended: what runs, by service
        var unmet = new Dictionary<string, string>(StringComparer.Ordinal); // service -> why what its dependents wait for is not there
        foreach (var service in ServiceOrder.Sort(group.Spec.Services))
        {
            var after = new List<int>(foundation);
            foreach (var dep in service.DependsOn)
                if (gates.TryGetValue(dep.Service, out var gate)) after.AddRange(gate);
            var uses = UsedServices(group, service);
            foreach (var used in uses)
                if (gates.TryGetValue(used, out var gate)) after.AddRange(gate);
            var replaced = ComposeAdoption.Replace(input, group, service, plan, adopted);
            after.AddRange(replaced);
            var recreated = uses.Where(plan.CreatesContainerOf).ToList();
            var servicePlanner = new ServicePlanner(input, group, service, networks, plan)
            {
                UsedRecreated = recreated.Count == 0 ? null : $"{string.Join(", ", recreated)} recreated: this container uses its network or volumes",
            };
            var started = servicePlanner.Plan(after);
            started.AddRange(RestartForRecreatedDependencies(input, service, plan, after));
            var upstream = service.DependsOn.Select(d => unmet.GetValueOrDefault(d.Service)).FirstOrDefault(w => w is not null);
            gates[service.Name] = GateFor(input, group, service, started, servicePlanner.LeftDown, plan, upstream);
            if (started.Count == 0 && Unmet(input, group, service, servicePlanner.LeftDown, upstream) is { } why) unmet[service.Name] = why;
            if (replaced.Count > 0) adopted = started.Count > 0 ? started : replaced;
            stopping[service.Name] = servicePlanner.Stopping;
        }
        StopOrder.Plan(group, stopping, (c, after) => plan.Add(OperationKind.StopContainer, $"container:{c.Name}", "group is suspended", after, c.Id));
        ComposeAdoption.HoldStrays(input, group, plan);
    }

    /// <summary>The other services of the group whose container this service's containers use, by the container name
    /// (networkMode, pid, ipc <c>container:NAME</c>, volumesFrom <c>NAME[:ro|rw]</c>; compose's <c>service:X</c> is read
    /// as X's first container): they are planned first, and recreating them recreates this service's containers.</summary>
    internal static List<string> UsedServices(ServiceGroup group, ServiceSpec service)
    {
        var c = service.Container;
        var names = new[] { c.NetworkMode, c.PidMode, c.IpcMode }
            .Where(m => m?.StartsWith("container:", StringComparison.Ordinal) == true).Select(m => m!["container:".Length..])
            .Concat(c.VolumesFrom.Select(v => v.Split(':')[0]))
            .ToHashSet(StringComparer.Ordinal);
        if (names.Count == 0) return [];
        return group.Spec.Services.Where(s => s.Name != service.Name
                && Enumerable.Range(1, Math.Max(1, s.Replicas)).Any(r => names.Contains(s.ReplicaName(group.Metadata.Name, r))))
            .Select(s => s.Name).ToList();
    }

    /// <summary>The containers of services no longer in the manifest are removed, once the service has been gone for
    /// Agent:PruneDelay (<see cref="PlanInput.ServicesLeaving"/>); until then they stay as they are, and the plan says when.</summary>
    private static void RetireLeftServices(PlanInput input, ServiceGroup group, PlanBuilder plan)
    {
        var desiredServices = group.Spec.Services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var left in input.Observed.Containers.Where(c => !desiredServices.Contains(c.Service)).GroupBy(c => c.Service).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (input.ServicesLeaving.TryGetValue(left.Key, out var removable) && removable > input.Now)
            {
                var wait = removable - input.Now;
                plan.Hold(Hold.PrunePending, $"service {left.Key} is no longer in the manifest; its {left.Count()} container(s) are removed in " +
                                             $"{Math.Ceiling(wait.TotalSeconds)} s unless it comes back (Agent:PruneDelay)");
                plan.RequeueAfter(wait + TimeSpan.FromMilliseconds(100));
                continue;
            }
            foreach (var orphan in left.OrderBy(c => c.Name, StringComparer.Ordinal))
                plan.Retire(orphan, $"service {orphan.Service} is no longer in the manifest", []);
        }
    }

    /// <summary>Compose's depends_on.restart: true: when the plan recreates such a dependency, the service's running containers
    /// that the plan does not recreate themselves are restarted after it (its stop signal and grace, like a group restart).</summary>
    private static List<int> RestartForRecreatedDependencies(PlanInput input, ServiceSpec service, PlanBuilder plan, List<int> after)
    {
        var recreated = service.DependsOn.Where(d => d.Restart && plan.CreatesContainerOf(d.Service)).Select(d => d.Service).ToList();
        if (recreated.Count == 0 || plan.CreatesContainerOf(service.Name)) return [];
        var grace = service.Container.StopGracePeriod ?? TimeSpan.FromSeconds(10);
        return input.Observed.Containers.Where(c => c.Service == service.Name && c.IsRunning && c.Replica >= 1 && c.Replica <= service.Replicas)
            .OrderBy(c => c.Replica)
            .Select(c => plan.Add(OperationKind.RestartContainer, $"service:{service.Name}:{c.Replica}",
                $"{string.Join(", ", recreated)} recreated (depends_on.restart: true)", after, c.Id, grace))
            .ToList();
    }

    /// <summary>A compose project's networks and volumes also carry Compose's labels, so `docker compose` knows them.</summary>
    internal static Dictionary<string, string> WithCompose(Dictionary<string, string> labels, ServiceGroup group, string kindLabel, string shortName)
    {
        if (group.Compose is null) return labels;
        labels[ComposeLabelNames.Project] = group.Metadata.Name;
        labels[kindLabel] = shortName;
        labels[ComposeLabelNames.Version] = ComposeLabelNames.VersionValue;
        return labels;
    }

    /// <summary>The ops dependents wait for: the service's starts, plus a health or completion wait when someone needs it.
    /// A wait on a replica this plan leaves stopped (<paramref name="leftDown"/>: a user stopped it, its restart policy
    /// leaves it exited, a crash back-off) could only fail: it is marked blocked, and the plan keeps neither it nor what
    /// waits for it (<see cref="PlanBuilder.Block"/>): the dependents that run go on running, one that would be (re)started
    /// is held with the reason, and nothing is retried until the dependency is started (its start event wakes the group).</summary>
    /// <summary>Why a service this plan leaves as it is gives its dependents nothing to start on: a replica left down that
    /// did not complete, or replicas that completed (a one-shot like migrate) against a dependency that is down now
    /// (<paramref name="upstream"/>; probe-25: with db left exited after an engine restart, a removed app was made again
    /// and started at once, on migrate's old completion).</summary>
    private static string? Unmet(PlanInput input, ServiceGroup group, ServiceSpec service, IReadOnlyDictionary<string, string> leftDown, string? upstream)
    {
        var replicas = Enumerable.Range(1, service.Replicas).Select(r => (Name: service.ReplicaName(group.Metadata.Name, r),
            Current: input.Observed.Containers.FirstOrDefault(c => c.Service == service.Name && c.Replica == r))).ToList();
        if (replicas.FirstOrDefault(r => leftDown.ContainsKey(r.Name) && r.Current is not { State: ContainerState.Exited, ExitCode: 0 }) is { Name: { } down })
            return leftDown[down];
        return upstream is not null && replicas.All(r => r.Current is { State: ContainerState.Exited, ExitCode: 0 }) ? upstream : null;
    }

    private static List<int> GateFor(PlanInput input, ServiceGroup group, ServiceSpec service, List<int> started, IReadOnlyDictionary<string, string> leftDown, PlanBuilder plan,
        string? upstream)
    {
        var gate = new List<int>(started);
        if (input.Suspended) return gate; // nothing starts while stopped: a wait on a stopped dependency could only fail
        var conditions = ServiceOrder.AskedOf(group, service.Name);
        var observed = input.Observed.Containers.Where(c => c.Service == service.Name).ToList();
        for (var replica = 1; replica <= service.Replicas; replica++)
        {
            var target = service.ReplicaName(group.Metadata.Name, replica);
            var current = observed.Where(c => c.Replica == replica).OrderByDescending(c => c.Name == target).FirstOrDefault();
            var changed = started.Count > 0;
            var down = leftDown.GetValueOrDefault(target);
            if (conditions.Contains(DependencyCondition.Healthy) && (changed || current is not { Health: HealthState.Healthy, StopInFlight: false }))
            {
                var wait = plan.Add(OperationKind.WaitHealthy, $"container:{target}", $"{service.Name} must be healthy before its dependents start", started, target, input.DependencyTimeout);
                if (down is not null) plan.Block(wait, $"{service.Name} must be healthy first, and {down}");
                gate.Add(wait);
            }
            // A replica that completed (exited 0) and is left so has done what its dependents wait for.
            var completed = current is { State: ContainerState.Exited, ExitCode: 0 };
            var stale = !changed && completed && upstream is not null; // completed against a dependency that is down now
            if (conditions.Contains(DependencyCondition.Completed) && (changed || !completed || stale))
            {
                var wait = plan.Add(OperationKind.WaitCompleted, $"container:{target}", $"{service.Name} must complete before its dependents start", started, target, input.DependencyTimeout);
                if (down is not null && !completed) plan.Block(wait, $"{service.Name} must complete (exit 0) first, and {down}");
                else if (stale) plan.Block(wait, $"{service.Name} completed, but what it depends on is down now: {upstream}");
                gate.Add(wait);
            }
        }
        return gate;
    }
}
