using Agent.Core.Manifests;
using Agent.Core.Model;

namespace Agent.Core.Compose;

/// <summary>Stage 6, normalise: the merged project onto <see cref="ServiceGroupSpec"/> (services, named volumes),
/// with the checks that span services (dependencies, undeclared volumes and networks, profiles).</summary>
internal static class ComposeNormalizer
{
    private static readonly string[] TopLevel = ["version", "name", "services", "networks", "volumes", "secrets", "configs"];

    public static ServiceGroupSpec? Normalize(ComposeMapping root, ComposeContext context, ServiceGroupSpec settings, IReadOnlyList<string> profiles, Security.SecurityPolicy policy)
    {
        var top = new ComposeCursor(root, "", context.Errors);
        var f = top.Mapping(TopLevel, "top-level field");
        if (f is null) return null;
        // "version" is obsolete and ignored, as in Compose v2; "name" yields to the manifest's name.
        if (f.TryGetValue("networks", out var networks)) ComposeNetworks.ReadDeclared(networks, context);
        if (f.TryGetValue("volumes", out var volumes)) ReadVolumes(volumes, context);
        if (f.TryGetValue("secrets", out var secrets)) ReadFileObjects(secrets, "secret", context.Secrets, context, policy.Options);
        if (f.TryGetValue("configs", out var configs)) ReadFileObjects(configs, "config", context.Configs, context, policy.Options);

        var reader = new ComposeServiceReader(context, policy.Options);
        var services = new List<(ServiceSpec Service, ComposeCursor At)>();
        var enabled = new List<string>();
        if (!f.TryGetValue("services", out var servicesCursor)) top.Error("missing \"services\"");
        else
            foreach (var (name, cursor) in servicesCursor.Entries())
            {
                if (!Enabled(cursor, profiles, out var own))
                {
                    context.DisabledServices[name] = own;
                    continue;
                }
                enabled.Add(name);
                if (reader.Read(name, cursor) is { } service) services.Add((service, cursor));
            }
        if (services.Count == 0 && context.Errors.Count == 0)
            top.Error(profiles.Count == 0 ? "no services (services with profiles: run only when the manifest lists one of their profiles, or COMPOSE_PROFILES in .env does)" : "no service is enabled by the listed profiles");
        for (var i = 0; i < services.Count; i++)
        {
            var (service, at) = services[i];
            if (service.DependsOn.Any(d => !enabled.Contains(d.Service) && reader.IsOptional(service.Name, d.Service)))
                services[i] = (service with { DependsOn = service.DependsOn.Where(d => enabled.Contains(d.Service) || !reader.IsOptional(service.Name, d.Service)).ToList() }, at);
        }
        AddLinkAliases(services, reader.LinkAliases);
        ComposeReferences.Resolve(context.Project, services, enabled, context);
        CheckDependencies(services, enabled, context);

        var named = new SortedDictionary<string, VolumeSpec>(StringComparer.Ordinal);
        foreach (var (shortName, volume) in context.Volumes)
            if (volume is not null) named[shortName] = volume;
        // Like compose, only the networks some service uses exist (an unused default network is not created).
        var usedNetworks = new SortedDictionary<string, NetworkSpec>(StringComparer.Ordinal);
        foreach (var key in context.UsedNetworks) usedNetworks[key] = context.Networks[key];
        ComposeAdmission.Check(context.Project, services, named, context, policy);
        return settings with { Services = services.Select(s => s.Service).ToList(), Volumes = named, Networks = usedNetworks };
    }

    /// <summary>The names links give a service (<c>links: [db:database]</c>) join its own on each network it is on.</summary>
    private static void AddLinkAliases(List<(ServiceSpec Service, ComposeCursor At)> services, Dictionary<string, SortedSet<string>> linkAliases)
    {
        for (var i = 0; i < services.Count; i++)
        {
            var (service, at) = services[i];
            if (!linkAliases.TryGetValue(service.Name, out var names)) continue;
            var container = service.Container;
            container = container.Networks is { } attachments
                ? container with { Networks = attachments.Select(a => a with { Aliases = a.Aliases.Union(names, StringComparer.Ordinal).ToList() }).ToList() }
                : container with { NetworkAliases = container.NetworkAliases.Union(names, StringComparer.Ordinal).ToList() };
            services[i] = (service with { Container = container }, at);
        }
    }

    private static bool Enabled(ComposeCursor service, IReadOnlyList<string> active, out IReadOnlyList<string> own)
    {
        own = [];
        if (service.Node is not ComposeMapping m || m["profiles"] is not { } node) return true;
        own = new ComposeCursor(node, service.Path + ".profiles", service.Errors).StringList();
        return own.Count == 0 || own.Any(p => active.Contains(p) || active.Contains("*"));
    }

    private static void ReadVolumes(ComposeCursor cursor, ComposeContext context)
    {
        foreach (var (name, value) in cursor.Entries())
        {
            var fullName = $"{context.Project}_{name}";
            context.VolumeDeclarations[name] = value;
            if (value.IsNull)
            {
                context.Volumes[name] = new VolumeSpec(fullName, "local", Empty.Map);
                continue;
            }
            var f = value.Mapping(["name", "driver", "driver_opts", "external", "labels"], "volume field");
            if (f is null) continue;
            if (f.TryGetValue("name", out var n) && n.Scalar() is { } custom) fullName = custom;
            if (f.TryGetValue("external", out var e) && e.Bool() == true)
            {
                foreach (var key in new[] { "driver", "driver_opts", "labels" })
                    if (f.ContainsKey(key)) f[key].Error($"an external volume cannot set {key}: the agent does not create it");
                context.ExternalVolumes[name] = f.ContainsKey("name") ? fullName : name;
                continue;
            }
            var options = f.TryGetValue("driver_opts", out var o) ? o.KeyValues().ToDictionary(x => x.Key, x => x.Value ?? "") : [];
            var labels = f.TryGetValue("labels", out var l) ? l.KeyValues().ToDictionary(x => x.Key, x => x.Value ?? "") : [];
            context.Volumes[name] = new VolumeSpec(fullName,
                f.TryGetValue("driver", out var d) ? d.Scalar() ?? "local" : "local",
                new SortedDictionary<string, string>(options, StringComparer.Ordinal))
            {
                Labels = new SortedDictionary<string, string>(labels, StringComparer.Ordinal),
            };
        }
    }

    /// <summary>Top-level secrets and configs: <c>file:</c> (relative to the project directory), <c>content:</c> or
    /// <c>environment:</c> (a variable of the project). <c>external:</c> needs a swarm, which the agent has not.</summary>
    private static void ReadFileObjects(ComposeCursor cursor, string what, Dictionary<string, ComposeFileObject> into, ComposeContext context, Security.SecurityOptions security)
    {
        foreach (var (name, value) in cursor.Entries())
        {
            // Declared, whatever error its declaration has (reported there): its services' uses are not "not declared"
            // as well (probe-15l L4), and nothing is built from a file with an error.
            into[name] = new ComposeFileObject(null, "");
            var f = value.Mapping(["file", "environment", "content", "external", "name"], $"{what} field");
            if (f is null) continue;
            if (f.TryGetValue("external", out var external) && external.Bool() == true)
                external.Error($"external {what}s live in a swarm, and the agent runs no swarm: use file:, content: or environment:");
            if (f.TryGetValue("name", out var n))
                n.Error($"{what}s.{name}.name only names an external swarm {what}, which the agent cannot use");
            var sources = new[] { "file", "content", "environment" }.Where(f.ContainsKey).ToList();
            if (sources.Count > 1) { value.Error($"a {what} takes one of file, content and environment, not {string.Join(" and ", sources)}"); continue; }
            if (sources.Count == 0) { if (external?.Bool() != true) value.Error($"a {what} needs file, content or environment"); continue; }
            if (f.TryGetValue("content", out var content))
            {
                if (content.Scalar() is { } text) into[name] = new ComposeFileObject(null, text);
                continue;
            }
            if (f.TryGetValue("environment", out var env))
            {
                if (env.Scalar() is not { } variable) continue;
                if (context.Lookup(variable) is { } fromEnv) into[name] = new ComposeFileObject(null, fromEnv);
                else env.Error($"variable \"{variable}\" is not set (the env files and the manifest's environment set variables)");
                continue;
            }
            if (f["file"].Scalar() is not { } relative) continue;
            var path = context.Resolve(relative);
            context.InputFilesAsked.Add(path);
            // Outside what a project may read: said so, never "not found" with a host path (probe-13 F10).
            if (ComposeFileRule.Problem(path, context.Files, security) is { } outside) f["file"].Error($"{what} file \"{relative}\" {outside}");
            // Its content is hashed (a change recreates its services): a huge one would stall every read (probe-15h L1).
            else if (context.Files.OverSizeLimit(path) is { } large) f["file"].Error($"{what} file \"{relative}\" {large}");
            else if (context.Files.Digest(path) is null) f["file"].Error($"{what} file \"{relative}\" not found ({path})");
            else into[name] = new ComposeFileObject(path, null);
        }
    }

    private static void CheckDependencies(List<(ServiceSpec Service, ComposeCursor At)> services, List<string> enabled, ComposeContext context)
    {
        var byName = services.ToDictionary(s => s.Service.Name, s => s.Service, StringComparer.Ordinal);
        foreach (var (service, at) in services)
            foreach (var dep in service.DependsOn)
            {
                var where = at.Node is ComposeMapping m && m["depends_on"] is { } node ? new ComposeCursor(node, at.Path + ".depends_on", context.Errors) : at;
                if (dep.Service == service.Name) where.Error($"service \"{service.Name}\" cannot depend on itself");
                else if (context.DisabledServices.TryGetValue(dep.Service, out var disabled))
                    where.Error($"{ComposeContext.Disabled(dep.Service, disabled, $"required by \"{service.Name}\"")}; or mark the dependency required: false");
                else if (!enabled.Contains(dep.Service)) where.Error($"depends on undefined service \"{dep.Service}\" (services: {string.Join(", ", enabled)})");
            }
        var cycle = Graphs.FindCycle(byName.Keys, name => byName[name].DependsOn.Select(d => d.Service).Where(n => byName.ContainsKey(n) && n != name));
        if (cycle is not null)
        {
            var at = services.First(s => s.Service.Name == cycle[0]).At;
            at.Error($"dependency cycle: {string.Join(" -> ", cycle)}");
        }
    }
}
