using Agent.Core.Model;
using YamlDotNet.RepresentationModel;

namespace Agent.Core.Manifests;

/// <summary>
/// Fleet placement: any manifest may carry <c>spec.placement.hostSelector.matchLabels</c>; an agent applies it only when
/// every label matches its own host labels (Agent:HostLabels), like a Kubernetes nodeSelector. One repository drives
/// many hosts.
/// </summary>
public static class Placement
{
    public const string NotSelectedReason = "NotSelected";

    /// <summary>Takes <c>spec.placement</c> out of a spec (so the kind's own parser never sees it) and returns its
    /// matchLabels, or null when the manifest has no placement.</summary>
    internal static IReadOnlyDictionary<string, string>? Extract(YamlCursor spec)
    {
        if (spec.Node is not YamlMappingNode mapping) return null;
        var key = mapping.Children.Keys.FirstOrDefault(k => k is YamlScalarNode { Value: "placement" });
        if (key is null) return null;
        var placement = spec.Field(mapping.Children[key], "placement");
        mapping.Children.Remove(key);
        var f = placement.Mapping("hostSelector");
        if (f is null) return null;
        if (!f.TryGetValue("hostSelector", out var selector))
        {
            placement.Error("missing required field \"hostSelector\" (e.g. hostSelector: { matchLabels: { role: edge } })");
            return null;
        }
        var s = selector.Mapping("matchLabels");
        if (s is null) return null;
        if (!s.TryGetValue("matchLabels", out var labels))
        {
            selector.Error("missing required field \"matchLabels\"");
            return null;
        }
        var map = labels.StringMap();
        if (map is { Count: 0 }) labels.Error("matchLabels is empty: name at least one label, or leave placement out to run on every host");
        return map is { Count: > 0 } ? map : null;
    }

    /// <summary>A GitRepository is fetched wherever its manifest is read: placement is an error at <c>spec.placement</c>
    /// (it was ignored, so a repository meant for edge hosts ran everywhere); the objects in the repository are placed.</summary>
    internal static void RefuseOnRepository(YamlCursor spec)
    {
        if (spec.Node is not YamlMappingNode mapping || mapping.Children.Keys.FirstOrDefault(k => k is YamlScalarNode { Value: "placement" }) is not { } key) return;
        spec.Field(mapping.Children[key], "placement").Error(
            "a GitRepository is not placed: it is fetched on every host whose manifests define it; give the objects in the repository spec.placement, or define it only in the manifests of the hosts that need it");
        mapping.Children.Remove(key);
    }

    /// <summary>Whether no host can be selected by both: some label both name with different values. Only such
    /// manifests may share a name; any other pair is a duplicate on every host, whichever host it is read on.</summary>
    public static bool Disjoint(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b) =>
        a is not null && b is not null && a.Any(p => b.TryGetValue(p.Key, out var v) && v != p.Value);

    /// <summary>Null when the selector selects this host (or there is none); otherwise why not, for people.</summary>
    public static string? Decide(IReadOnlyDictionary<string, string>? selector, IReadOnlyDictionary<string, string> hostLabels)
    {
        if (selector is null) return null;
        var missing = selector.Where(p => !hostLabels.TryGetValue(p.Key, out var v) || v != p.Value).ToList();
        if (missing.Count == 0) return null;
        var host = hostLabels.Count == 0 ? "none" : string.Join(",", hostLabels.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
        return $"spec.placement.hostSelector {string.Join(",", selector.Select(p => $"{p.Key}={p.Value}"))} does not select this host (Agent:HostLabels: {host}); not applied here";
    }
}
