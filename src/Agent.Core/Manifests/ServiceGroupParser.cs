using Agent.Core.Model;

namespace Agent.Core.Manifests;

/// <summary>Reads the spec of a ServiceGroup document and checks what one document alone can show.</summary>
internal static class ServiceGroupParser
{
    public static readonly string[] SpecFields = ["phase", "dependsOn", "suspend", "prune", "pruneVolumes", "volumes", "services"];

    /// <summary>The spec as far as it reads (services with errors included, their bad fields at defaults), so that the
    /// security policy still judges it and every error is reported in one pass; null only when spec is not a mapping.
    /// The caller loads it only when the document has no error.</summary>
    public static ServiceGroupSpec? Parse(YamlCursor spec, string group, string manifestDir, IManifestFiles files)
    {
        var f = spec.Mapping(SpecFields);
        if (f is null) return null;

        var volumes = f.TryGetValue("volumes", out var v) ? ReadVolumes(v, group) : new SortedDictionary<string, VolumeSpec>(StringComparer.Ordinal);
        var services = new List<ServiceSpec>();
        var parser = new ServiceParser(group, manifestDir, files) { Declared = volumes, AllowBuild = true };
        if (!f.TryGetValue("services", out var servicesCursor)) spec.Error("missing required field \"services\"");
        else
        {
            var items = servicesCursor.Sequence() ?? [];
            if (items.Count == 0 && servicesCursor.Node is YamlDotNet.RepresentationModel.YamlSequenceNode)
                servicesCursor.Error("a group needs at least one service");
            var parsed = new List<(ServiceSpec Service, string Path)>();
            foreach (var item in items)
            {
                var service = parser.ParseLeniently(item);
                if (service is null || service.Name.Length == 0) continue;
                if (parsed.Any(p => p.Service.Name == service.Name))
                    spec.Context.Errors.Add(spec.Context.ErrorAt($"{item.Path}.name", $"duplicate service name \"{service.Name}\""));
                else parsed.Add((service, item.Path));
            }
            CheckServiceDependencies(parsed, spec.Context);
            services.AddRange(parsed.Select(p => p.Service));
        }

        foreach (var used in parser.VolumesUsed)
            volumes.TryAdd(used, new VolumeSpec(ServiceParser.VolumeFullName(group, used), "local", Empty.Map));

        return ReadSettings(f, group) with { Services = services, Volumes = volumes };
    }

    /// <summary>The settings every kind compiled into a group shares: phase, dependsOn, suspend, prune, pruneVolumes.</summary>
    public static ServiceGroupSpec ReadSettings(Dictionary<string, YamlCursor> f, string name)
    {
        var result = new ServiceGroupSpec
        {
            Phase = f.TryGetValue("phase", out var p)
                ? p.Enum(("foundation", Phase.Foundation), ("core", Phase.Core), ("application", Phase.Application), ("support", Phase.Support)) ?? Phase.Application
                : Phase.Application,
            DependsOn = f.TryGetValue("dependsOn", out var d) ? d.StringList() ?? [] : [],
            Suspend = f.TryGetValue("suspend", out var s) && (s.Bool() ?? false),
            Prune = !f.TryGetValue("prune", out var pr) || (pr.Bool() ?? true),
            PruneVolumes = f.TryGetValue("pruneVolumes", out var pv) && (pv.Bool() ?? false),
        };
        if (result.DependsOn.Contains(name) && d is not null) d.Error($"{YamlCursor.Quote(name)} cannot depend on itself");
        return result;
    }

    private static SortedDictionary<string, VolumeSpec> ReadVolumes(YamlCursor cursor, string group)
    {
        var result = new SortedDictionary<string, VolumeSpec>(StringComparer.Ordinal);
        foreach (var (name, value, _) in cursor.Entries())
        {
            if (value.IsNull)
            {
                result[name] = new VolumeSpec(ServiceParser.VolumeFullName(group, name), "local", Empty.Map);
                continue;
            }
            var f = value.Mapping("driver", "driverOpts", "external", "name");
            if (f is null) continue;
            if (f.TryGetValue("external", out var external) && external.Bool() == true)
            {
                if (f.ContainsKey("driver") || f.ContainsKey("driverOpts"))
                    value.Error("an external volume is made by someone else: it takes no driver or driverOpts");
                var real = f.TryGetValue("name", out var n) ? n.String() ?? name : name;
                result[name] = new VolumeSpec(real, "local", Empty.Map) { External = true };
                continue;
            }
            if (f.TryGetValue("name", out var named)) named.Error("name is only for external volumes (the agent names its own {group}_{volume})");
            result[name] = new VolumeSpec(
                ServiceParser.VolumeFullName(group, name),
                f.TryGetValue("driver", out var d) ? d.Scalar() ?? "local" : "local",
                f.TryGetValue("driverOpts", out var o) ? o.StringMap() ?? Empty.Map : Empty.Map);
        }
        return result;
    }

    /// <summary>Service dependsOn must name services of this group and form no cycle.</summary>
    private static void CheckServiceDependencies(List<(ServiceSpec Service, string Path)> parsed, ParseContext context)
    {
        var byName = parsed.ToDictionary(p => p.Service.Name, p => p.Service, StringComparer.Ordinal);
        foreach (var (service, path) in parsed)
        {
            for (var j = 0; j < service.DependsOn.Count; j++)
            {
                var dep = service.DependsOn[j];
                var depPath = $"{path}.dependsOn[{j}]";
                if (dep.Service == service.Name)
                    context.Errors.Add(context.ErrorAt(depPath, $"service \"{service.Name}\" cannot depend on itself"));
                else if (!byName.ContainsKey(dep.Service))
                    context.Errors.Add(context.ErrorAt(depPath, $"no service \"{dep.Service}\" in this group (services: {string.Join(", ", byName.Keys)})"));
            }
        }
        var cycle = Graphs.FindCycle(byName.Keys, name => byName[name].DependsOn.Select(d => d.Service).Where(n => byName.ContainsKey(n) && n != name));
        if (cycle is not null)
        {
            var at = parsed.First(p => p.Service.Name == cycle[0]).Path;
            context.Errors.Add(context.ErrorAt($"{at}.dependsOn", $"dependency cycle: {string.Join(" -> ", cycle)}"));
        }
    }
}
