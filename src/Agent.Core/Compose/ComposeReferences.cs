using Agent.Core.Model;

namespace Agent.Core.Compose;

/// <summary>
/// A service that uses another container: <c>network_mode: service:X</c> / <c>container:NAME</c> and <c>volumes_from:
/// [X, X:ro, container:NAME[:ro|rw]]</c>. As in compose-go, a service named this way is a dependency (created and started
/// first) and is addressed by its container (replica 1, or its container_name); the agent resolves that name to the
/// container's id when it creates the dependent, and recreates the dependent whenever the plan recreates the container it
/// uses (<see cref="Planning.Planner"/>). A <c>container:NAME</c> that is not one of the project's own containers is left
/// to the security policy, which refuses it (the agent never joins or reads a container it does not manage).
/// </summary>
internal static class ComposeReferences
{
    public static void Resolve(string project, List<(ServiceSpec Service, ComposeCursor At)> services, IReadOnlyList<string> enabled, ComposeContext context)
    {
        var byName = services.ToDictionary(s => s.Service.Name, s => s.Service, StringComparer.Ordinal);
        // Every container name of the project and the service it belongs to (container:NAME of a sibling is a dependency too).
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in byName.Values)
            for (var replica = 1; replica <= Math.Max(1, service.Replicas); replica++)
                owners.TryAdd(service.ReplicaName(project, replica), service.Name);

        for (var i = 0; i < services.Count; i++)
        {
            var (service, at) = services[i];
            var fields = at.Node as ComposeMapping;
            var uses = new List<string>();
            var container = service.Container;

            if (container.NetworkMode is { } mode && fields?["network_mode"] is { } modeNode)
            {
                var cursor = at.Child(modeNode, "network_mode");
                string? joined = null;
                if (mode.StartsWith("service:", StringComparison.Ordinal))
                {
                    var target = mode["service:".Length..];
                    if (Sibling(cursor, service.Name, target, byName, enabled, context, $"network_mode \"{mode}\"") is { } sibling)
                    {
                        container = container with { NetworkMode = $"container:{sibling.ReplicaName(project, 1)}" };
                        uses.Add(target);
                        joined = target;
                    }
                }
                else if (mode.StartsWith("container:", StringComparison.Ordinal))
                {
                    var name = mode["container:".Length..];
                    if (owners.TryGetValue(name, out var owner))
                    {
                        if (owner == service.Name) cursor.Error($"network_mode \"{mode}\": a service cannot join its own container's network");
                        else uses.Add(owner);
                    }
                    joined = name; // another container is refused by the security policy (ComposeAdmission)
                }
                // The engine refuses published ports in another container's network namespace: they belong to that container.
                if (joined is not null && container.Ports.Count > 0 && fields["ports"] is { } portsNode)
                    at.Child(portsNode, "ports").Error($"ports cannot be published by a service with network_mode \"{mode}\": it uses the network " +
                                                        $"of {joined}, so its ports are {joined}'s; publish them on {joined}");
            }

            if (container.VolumesFrom.Count > 0 && fields?["volumes_from"] is ComposeSequence list)
            {
                var resolved = new List<string>();
                var listCursor = at.Child(list, "volumes_from");
                for (var j = 0; j < container.VolumesFrom.Count && j < list.Items.Count; j++)
                {
                    var cursor = listCursor.Item(list.Items[j], j);
                    var text = container.VolumesFrom[j];
                    var isContainer = text.StartsWith("container:", StringComparison.Ordinal);
                    var rest = isContainer ? text["container:".Length..] : text;
                    var colon = rest.LastIndexOf(':');
                    var (name, access) = colon < 0 ? (rest, "") : (rest[..colon], rest[(colon + 1)..]);
                    if (access is not ("" or "ro" or "rw") || name.Length == 0)
                    {
                        cursor.Error($"\"{text}\" is not SERVICE[:ro|rw] or container:NAME[:ro|rw]");
                        continue;
                    }
                    var suffix = access.Length == 0 ? "" : ":" + access;
                    if (!isContainer)
                    {
                        if (Sibling(cursor, service.Name, name, byName, enabled, context, $"volumes_from \"{text}\"") is not { } sibling) continue;
                        resolved.Add(sibling.ReplicaName(project, 1) + suffix);
                        uses.Add(name);
                        continue;
                    }
                    if (owners.TryGetValue(name, out var owner))
                    {
                        if (owner == service.Name) { cursor.Error($"volumes_from \"{text}\": a service cannot mount its own container's volumes"); continue; }
                        uses.Add(owner);
                    }
                    resolved.Add(name + suffix); // another container is refused by the security policy (ComposeAdmission)
                }
                container = container with { VolumesFrom = resolved };
            }

            if (uses.Count == 0 && ReferenceEquals(container, service.Container)) continue;
            var dependsOn = service.DependsOn.ToList();
            foreach (var target in uses.Distinct(StringComparer.Ordinal))
                if (dependsOn.All(d => d.Service != target)) dependsOn.Add(new ServiceDependency(target, DependencyCondition.Started));
            services[i] = (service with { Container = container, DependsOn = dependsOn }, at);
        }
    }

    /// <summary>The service <paramref name="target"/> names, or null with an error at <paramref name="cursor"/>.</summary>
    private static ServiceSpec? Sibling(ComposeCursor cursor, string self, string target, Dictionary<string, ServiceSpec> byName, IReadOnlyList<string> enabled, ComposeContext context, string what)
    {
        if (target == self) cursor.Error($"{what}: a service cannot use itself");
        else if (byName.TryGetValue(target, out var sibling)) return sibling;
        else if (enabled.Contains(target)) return null; // it has errors of its own, reported there
        else if (context.DisabledServices.TryGetValue(target, out var profiles)) cursor.Error($"{what}: {ComposeContext.Disabled(target, profiles, $"used by \"{self}\"")}");
        else cursor.Error($"{what}: \"{target}\" is not a service of this project (services: {string.Join(", ", enabled)}); " +
                          "a service left out by its profiles cannot be used either");
        return null;
    }
}
