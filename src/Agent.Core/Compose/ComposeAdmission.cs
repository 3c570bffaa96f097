using Agent.Core.Model;
using Agent.Core.Security;

namespace Agent.Core.Compose;

/// <summary>Every compose container through the same security policy as a group's; a violation points at the
/// compose field (file:line:column and its compose name), not at the agent's spelling of it.</summary>
internal static class ComposeAdmission
{
    private static readonly Dictionary<string, string> ComposeNames = new(StringComparer.Ordinal)
    {
        ["capAdd"] = "cap_add", ["capDrop"] = "cap_drop", ["securityOpt"] = "security_opt", ["networkMode"] = "network_mode",
        ["volumesFrom"] = "volumes_from", ["deviceCgroupRules"] = "device_cgroup_rules", ["readOnlyRootFilesystem"] = "read_only",
        ["userns"] = "userns_mode", ["cgroupns"] = "cgroupns_mode", ["noNewPrivileges"] = "security_opt", ["groupAdd"] = "group_add",
    };

    public static void Check(string project, IReadOnlyList<(ServiceSpec Service, ComposeCursor At)> services, IReadOnlyDictionary<string, VolumeSpec> volumes,
        ComposeContext context, SecurityPolicy policy)
    {
        var own = services.SelectMany(s => Enumerable.Range(1, Math.Max(1, s.Service.Replicas)).Select(i => s.Service.ReplicaName(project, i)))
            .ToHashSet(StringComparer.Ordinal);
        var admission = new AdmissionContext(context.Files.ResolveLinks, own.Contains) { ManifestsRoot = context.Files.Root, OwnBindRoots = context.Files.OwnBindRoots() };
        var failed = context.Errors.Select(e => e.Path).Where(p => p.Length > 0).ToHashSet(StringComparer.Ordinal);
        foreach (var (service, at) in services)
            foreach (var violation in policy.Check(service.Container, admission))
            {
                var cut = violation.Field.IndexOfAny(['[', '.']);
                var head = cut < 0 ? violation.Field : violation.Field[..cut];
                var key = ComposeNames.GetValueOrDefault(head, head);
                var node = at.Node is ComposeMapping m ? m[key] : null;
                var path = $"{at.Path}.{key}{(cut < 0 ? "" : violation.Field[cut..])}";
                // A field that already failed was read at its default: judging it would report the default, not what was written.
                if (failed.Any(f => f == path || f == $"{at.Path}.{key}" || f.StartsWith(path + ".", StringComparison.Ordinal) || f.StartsWith(path + "[", StringComparison.Ordinal))) continue;
                if (key == "image" && service.Container.Image.Length == 0) continue;
                var where = ItemAt(node, cut < 0 ? "" : violation.Field[cut..]) ?? node?.At ?? at.Node.At;
                context.Errors.Add(new Manifests.ManifestError(where.File, where.Line, where.Column, path, violation.Message));
            }
        foreach (var (name, volume) in volumes)
            foreach (var violation in policy.CheckVolume(volume))
            {
                var field = violation.Field.Replace("driverOpts", "driver_opts");
                var where = VolumeFieldAt(context.VolumeDeclarations.GetValueOrDefault(name)?.Node, field)
                    ?? new SourceLocation(context.ConfigFiles.Count > 0 ? context.Display(context.ConfigFiles[0]) : "", 1, 1);
                context.Errors.Add(new Manifests.ManifestError(where.File, where.Line, where.Column, $"volumes.{name}.{field}", violation.Message));
            }
    }

    /// <summary>The place of a volume's field ("driver_opts.o": that option's value), else of the volume itself.</summary>
    private static SourceLocation? VolumeFieldAt(ComposeNode? volume, string field)
    {
        var node = volume;
        foreach (var part in field.Split('.', 2))
            if (node is ComposeMapping m && m[part] is { } child) node = child;
            else break;
        return node?.At;
    }

    /// <summary>A list item's own place (`[1]` of ports is that item's line), when the violation names one.</summary>
    private static SourceLocation? ItemAt(ComposeNode? node, string rest)
    {
        if (node is not ComposeSequence list || !rest.StartsWith('[')) return null;
        var close = rest.IndexOf(']');
        return close > 1 && int.TryParse(rest[1..close], out var i) && i >= 0 && i < list.Items.Count ? list.Items[i].At : null;
    }
}
