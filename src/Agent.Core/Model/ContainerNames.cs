namespace Agent.Core.Model;

/// <summary>How the agent names what it creates, like Compose: {group}-{service}-{replica}, network {group}_default.</summary>
public static class ContainerNames
{
    public static string Replica(string group, string service, int replica) => $"{group}-{service}-{replica}";
    public static string Network(string group) => $"{group}_default";

    /// <summary>Whether a container name is one a service of a group can give its containers: a replica's
    /// ({group}-{service}-N, or its own container_name), also as the temporary name of an update ("-next" of a start-first
    /// update, "-prev" while it swaps): a container of someone else under it would block the group's scale or update.</summary>
    public static bool IsGroupName(string name, string group, ServiceSpec service)
    {
        var bare = name.EndsWith("-next", StringComparison.Ordinal) || name.EndsWith("-prev", StringComparison.Ordinal) ? name[..^5] : name;
        if (service.ContainerName is { } own) return bare == own;
        var prefix = $"{group}-{service.Name}-";
        return bare.Length > prefix.Length && bare.StartsWith(prefix, StringComparison.Ordinal) && bare[prefix.Length..].All(char.IsAsciiDigit);
    }

    /// <summary>The services of <paramref name="groups"/> that may give a container the name <paramref name="name"/>
    /// (<see cref="IsGroupName"/>): what POST /run and a compose <c>container_name</c> may not take.</summary>
    public static IEnumerable<(ServiceGroup Group, ServiceSpec Service)> Claiming(string name, IEnumerable<ServiceGroup> groups) =>
        groups.SelectMany(g => g.Spec.Services.Where(s => IsGroupName(name, g.Metadata.Name, s)).Select(s => (g, s)));

    /// <summary>Whether <paramref name="name"/> has the shape of a name group <paramref name="group"/> gives a replica
    /// of some service ({group}-{service}-N, or an update's -next/-prev of one), when its services are not known.</summary>
    public static bool MayBeReplicaOf(string name, string group)
    {
        var bare = name.EndsWith("-next", StringComparison.Ordinal) || name.EndsWith("-prev", StringComparison.Ordinal) ? name[..^5] : name;
        if (!bare.StartsWith(group + "-", StringComparison.Ordinal)) return false;
        var rest = bare[(group.Length + 1)..];
        var dash = rest.LastIndexOf('-');
        return dash > 0 && dash < rest.Length - 1 && rest[(dash + 1)..].All(char.IsAsciiDigit);
    }

    /// <summary>The object held without its spec (a manifest that cannot be read after a restart, a prune held) that may
    /// own a container named <paramref name="name"/>: one of its containers has that name, or the name has its replica
    /// shape. Its services and container_names are not known, so a run taking such a name could block it when it comes
    /// back (probe-15i H3). Null when none.</summary>
    public static ObjectKey? HeldClaim(string name, IEnumerable<ObjectKey> heldWithoutSpec, IEnumerable<(string Name, ObjectKey Owner)> containers)
    {
        var held = heldWithoutSpec.ToHashSet();
        foreach (var (container, owner) in containers)
            if (container == name && held.Contains(owner)) return owner;
        return held.OrderBy(k => k.ToString(), StringComparer.Ordinal).Select(k => (ObjectKey?)k).FirstOrDefault(k => MayBeReplicaOf(name, k!.Value.Name));
    }

    /// <summary>How a claim is named in errors: "ServiceGroup/shop (service web)".</summary>
    public static string Describe(ServiceGroup group, ServiceSpec service) => $"{group.Kind}/{group.Metadata.Name} (service {service.Name})";
}
