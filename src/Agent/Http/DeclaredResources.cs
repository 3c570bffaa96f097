using Agent.Core.Model;
using Agent.Sources;
using Agent.Reconciliation;

namespace Agent.Http;

/// <summary>Which of the agent's volumes and networks the manifests still declare: those are not pruned, and removing
/// one needs force (the object would recreate it, empty).</summary>
public static class DeclaredResources
{
    /// <summary>The group or compose project in the manifests whose engine names a volume named <paramref name="name"/>
    /// would take (GROUP_VOLUME, for a volume it declares now or later), or a CronJob/Job that mounts it; null when none.</summary>
    public static ObjectKey? VolumeNameOwner(string name, ManifestStore manifests) =>
        Volumes(manifests).TryGetValue(name, out var declared) ? declared : PrefixOwner(name, manifests);

    /// <summary>The group or compose project in the manifests that names a network <paramref name="name"/>: its own
    /// (GROUP_default, PROJECT_NET, now or later) or one its compose file names with `name:`; null when none.</summary>
    public static ObjectKey? NetworkNameOwner(string name, ManifestStore manifests) =>
        manifests.All().Where(e => e.Object is ServiceGroup g && g.Spec.Networks.Values.Any(n => !n.External && n.Name == name))
            .Select(e => (ObjectKey?)e.Key).FirstOrDefault() ?? PrefixOwner(name, manifests);

    private static ObjectKey? PrefixOwner(string name, ManifestStore manifests) =>
        manifests.All().Select(e => e.Key)
            .Where(k => k.Kind is ServiceGroup.KindName or ServiceGroup.ComposeKindName && name.StartsWith(k.Name + "_", StringComparison.Ordinal))
            .Select(k => (ObjectKey?)k).FirstOrDefault();

    /// <summary>Engine volume name to the object that declares it (its own volumes, not external ones).</summary>
    public static IReadOnlyDictionary<string, ObjectKey> Volumes(ManifestStore manifests)
    {
        var declared = new Dictionary<string, ObjectKey>(StringComparer.Ordinal);
        foreach (var entry in manifests.All())
        {
            var names = entry.Object switch
            {
                ServiceGroup g => g.Spec.Volumes.Values.Where(v => !v.External).Select(v => v.Name),
                CronJob c => OwnVolumes.NamesOf(c.Spec.JobTemplate.Container),
                Job j => OwnVolumes.NamesOf(j.Spec.Container),
                _ => [],
            };
            foreach (var name in names) declared.TryAdd(name, entry.Key);
        }
        return declared;
    }

    /// <summary>Why a volume of <paramref name="owner"/> is kept although no manifest declares it now: the owner's manifest
    /// cannot be read (held without its spec, as after an agent restart), or the owner is not known to be deleted (its
    /// prune is held). A failed read is never a deletion, of a volume's data either. Null when nothing keeps it.</summary>
    public static string? HeldBy(ObjectKey? owner, ManifestStore manifests) => owner is not { } key ? null
        : manifests.Get(key) is { } entry
            ? entry.Object is null && entry.NotSelected is null ? $"{key}'s manifest cannot be read now, so what it declares is not known" : null
            : manifests.PruneHold(key) is { } hold ? $"{key} is not known to be deleted ({hold})" : null;

    /// <summary>Docker's rule for volume and network names: what else could name one is answered 404 unasked.</summary>
    public static bool IsPlausibleName(string? name) =>
        name is { Length: > 0 and <= 255 } && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    /// <summary>The first requested label key that is the agent's own, as "labels.KEY: why" (as a manifest names it).</summary>
    public static string? ReservedLabel(AgentLabels labels, IEnumerable<string>? keys) =>
        keys?.Select(k => AgentLabels.ReservedKeyProblem(k, labels.Prefix) is { } problem ? $"labels.{k}: {problem}" : null).OfType<string>().FirstOrDefault();

    /// <summary>The labels of a volume or network made through the API: the caller's, then this instance's and
    /// imperative=true. A caller's label in the agent's own namespace is a problem (null otherwise).</summary>
    public static string? ApiLabels(AgentLabels labels, IReadOnlyDictionary<string, string>? requested, out Dictionary<string, string> all)
    {
        all = new Dictionary<string, string>(requested ?? new Dictionary<string, string>());
        if (ReservedLabel(labels, requested?.Keys) is { } reserved) return reserved;
        foreach (var (k, v) in labels.ForInstance()) all[k] = v;
        all[labels.Imperative] = "true";
        return null;
    }
}
