using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>
/// The networks of an object: each found by its key label (never by name: another instance may hold the name), created
/// when missing with its definition, or an external one found by name. A network whose definition changed in the files
/// is not recreated under running containers: the plan holds with NetworkChanged, like docker-compose 1.29's "needs to be
/// recreated", until the project is taken down and up again (down removes its networks, up creates them anew).
/// </summary>
internal static class NetworkPlanner
{
    public const string Changed = "NetworkChanged";
    public const string ExternalMissing = "ExternalNetworkMissing";
    public const string ExternalRefused = "ExternalNetworkRefused";

    /// <summary>The networks services join by key, or null when the plan must hold (a hold says why).</summary>
    public static IReadOnlyDictionary<string, NetworkRef>? Plan(PlanInput input, ServiceGroup group, PlanBuilder plan, List<int> foundation)
    {
        var refs = new Dictionary<string, NetworkRef>(StringComparer.Ordinal);
        var problems = new List<(string Reason, string Message)>();
        foreach (var (key, spec) in Desired(group))
        {
            if (spec.External && input.Observed.RefusedExternalNetworks.Contains(spec.Name))
            {
                problems.Add((ExternalRefused, $"external network {spec.Name} (networks.{key}) is not joined: it is not one of this agent's networks " +
                    "and not allowed by Agent:Security:AllowedExternalNetworks (a project joins only its agent's networks, or those the operator allows)"));
                continue;
            }
            if (spec.External)
            {
                var ids = input.Observed.ExternalNetworks.GetValueOrDefault(spec.Name) ?? [];
                if (ids.Count == 1) refs[key] = new NetworkRef(spec.Name, ids[0]);
                else problems.Add((ExternalMissing, ids.Count == 0
                    ? $"external network {spec.Name} (networks.{key}) does not exist: create it (docker network create {spec.Name}); the agent never creates an external network"
                    : $"external network {spec.Name} (networks.{key}) is ambiguous: {ids.Count} networks have that name"));
                continue;
            }
            var observed = input.Observed.Networks.Where(n => n.Key == key)
                .OrderByDescending(n => n.Name == spec.Name).ThenBy(n => n.Id, StringComparer.Ordinal).FirstOrDefault()
                ?? ComposeAdoption.TakeOverNetwork(input, group, plan, spec.Name);
            if (observed?.DefinitionHash is { } applied && applied != spec.DefinitionHash())
                problems.Add((Changed, $"network {observed.Name} (networks.{key}) was created from another definition than the files now give: " +
                    "the agent does not recreate a network under running containers; take the project down and up again (agent down, agent up) to recreate it"));
            if (observed is null && !input.Suspended)
            {
                var labels = Planner.WithCompose(input.Labels.ForObject(group.Key), group, ComposeLabelNames.Network, key);
                foreach (var (k, v) in input.Labels.UserLabels(spec.Labels)) labels.TryAdd(k, v);
                labels[input.Labels.Network] = key;
                labels[input.Labels.NetworkHash] = spec.DefinitionHash();
                foundation.Add(plan.Add(new Operation(0, OperationKind.CreateNetwork, $"network:{spec.Name}", "network missing", [])
                {
                    Target = spec.Name,
                    Labels = labels,
                    NetworkDefinition = spec,
                }));
            }
            refs[key] = new NetworkRef(spec.Name, observed?.Id);
        }
        foreach (var (reason, message) in problems) plan.Hold(reason, message);
        return problems.Count == 0 ? refs : null;
    }

    /// <summary>A group's one network, or the networks a compose project's services use; none when every service sets
    /// its own network mode (`none`, `bridge`), as docker compose makes no default network no service joins (probe-13b B7:
    /// each such group took a bridge network and an address pool).</summary>
    public static IReadOnlyDictionary<string, NetworkSpec> Desired(ServiceGroup group) =>
        group.Spec.Networks.Count > 0
        || (group.Compose is not null || group.Spec.Services.Count > 0) && group.Spec.Services.All(s => s.Container.NetworkMode is not null)
            ? group.Spec.Networks
            : new Dictionary<string, NetworkSpec> { [ObservedNetwork.DefaultKey] = new(ContainerNames.Network(group.Metadata.Name)) };
}
