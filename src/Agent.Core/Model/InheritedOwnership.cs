namespace Agent.Core.Model;

/// <summary>
/// Docker copies an image's labels into every container made from it, so ownership labels that came from the image
/// prove nothing: a container made by hand from an image that carries agent.managed / agent.instance / agent.object ...
/// (built with such a LABEL, or by an older agent) would otherwise look like the agent's. The agent's own containers
/// always carry ownership labels their image does not (their object, service, spec hash, run or job), so a container is
/// the agent's only when at least one of its ownership labels differs from its image's.
/// </summary>
public static class InheritedOwnership
{
    /// <summary>The container's labels, without its ownership labels when every one of them is its image's own.</summary>
    public static IReadOnlyDictionary<string, string> Resolve(AgentLabels keys, IReadOnlyDictionary<string, string> container,
        IReadOnlyDictionary<string, string> image)
    {
        var ownership = keys.OwnershipKeys.Where(container.ContainsKey).ToList();
        if (ownership.Count == 0 || ownership.Any(k => image.GetValueOrDefault(k) != container[k])) return container;
        return container.Where(kv => !ownership.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }

    /// <summary>True when the labels would need the rule above (they carry any ownership label).</summary>
    public static bool Claims(AgentLabels keys, IReadOnlyDictionary<string, string> labels) => keys.OwnershipKeys.Any(labels.ContainsKey);
}
