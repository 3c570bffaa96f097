using System.Net;
using System.Net.Sockets;
using Agent.Core.Model;
using Agent.Core.Security;

namespace Agent.Core.Compose;

/// <summary>Top-level networks (driver, options, ipam, internal, attachable, labels, external, name) and a service's
/// networks: (list, or map with aliases, ipv4_address, ipv6_address, priority), as Compose reads them.</summary>
internal static class ComposeNetworks
{
    private static readonly string[] Fields = ["name", "driver", "driver_opts", "ipam", "internal", "attachable", "labels", "external", "enable_ipv6"];

    public static void ReadDeclared(ComposeCursor cursor, ComposeContext context)
    {
        foreach (var (key, value) in cursor.Entries())
        {
            var network = new NetworkSpec($"{context.Project}_{key}");
            if (value.IsNull)
            {
                context.Networks[key] = network;
                continue;
            }
            var f = value.Mapping(Fields, "network field");
            if (f is null) continue;
            if (f.TryGetValue("name", out var n) && n.Scalar() is { } custom) network = network with { Name = custom };
            if (f.TryGetValue("external", out var e) && External(e) is { } external)
            {
                if (external.Name is { } legacy) network = network with { Name = legacy };
                else if (!f.ContainsKey("name")) network = network with { Name = key };
                if (external.Is)
                {
                    if (network.Name is "host" or "bridge" or "none")
                        e.Error(network.Name == "host"
                            ? "the engine's host network is not joined: host networking is refused by the security policy (namespaces: networkMode host never)"
                            : $"the engine's predefined network \"{network.Name}\" is not joined as a network (it takes no aliases): use network_mode: {network.Name} on the service instead");
                    foreach (var other in Fields.Where(k => k is not ("name" or "external") && f.ContainsKey(k)))
                        f[other].Error($"an external network cannot set {other}: the agent does not create it");
                    context.Networks[key] = network with { External = true };
                    continue;
                }
            }
            if (f.TryGetValue("driver", out var d) && d.Scalar() is { } driver)
            {
                if (driver != "bridge") d.Error($"network driver \"{driver}\" is not supported (bridge: overlay needs a swarm, and macvlan, ipvlan and host reach the host's own network)");
                network = network with { Driver = driver };
            }
            if (f.TryGetValue("driver_opts", out var opts))
                foreach (var (option, setting, at) in opts.KeyValues())
                    if (NetworkRules.OptionProblem(option, setting ?? "") is { } problem) at.Error(problem);
            network = network with
            {
                DriverOptions = f.TryGetValue("driver_opts", out var o) ? Map(o) : network.DriverOptions,
                Ipam = f.TryGetValue("ipam", out var ipam) ? ReadIpam(ipam) : null,
                Internal = f.TryGetValue("internal", out var i) && (i.Bool() ?? false),
                Attachable = f.TryGetValue("attachable", out var a) && (a.Bool() ?? false),
                EnableIpv6 = f.TryGetValue("enable_ipv6", out var v6) && (v6.Bool() ?? false),
                Labels = f.TryGetValue("labels", out var l) ? Map(l) : network.Labels,
            };
            context.Networks[key] = network;
        }
    }

    private static (bool Is, string? Name)? External(ComposeCursor e)
    {
        if (e.IsScalar) return e.Bool() is { } b ? (b, null) : null;
        // The legacy form external: { name: x }.
        var f = e.Mapping(["name"], "external field");
        return f is not null && f.TryGetValue("name", out var n) ? (true, n.Scalar()) : (true, null);
    }

    private static IpamSpec? ReadIpam(ComposeCursor cursor)
    {
        var f = cursor.Mapping(["driver", "config", "options"], "ipam field");
        if (f is null) return null;
        var pools = new List<IpamPool>();
        if (f.TryGetValue("config", out var config))
            foreach (var item in config.Sequence())
            {
                var p = item.Mapping(["subnet", "gateway", "ip_range", "aux_addresses"], "ipam.config field");
                if (p is null) continue;
                var subnet = p.TryGetValue("subnet", out var s) ? NotReserved(s, Cidr(s)) : null;
                var range = p.TryGetValue("ip_range", out var r) ? NotReserved(r, Cidr(r)) : null;
                var gateway = p.TryGetValue("gateway", out var g) ? NotReserved(g, Address(g)) : null;
                if (subnet is null && (range is not null || gateway is not null)) item.Error("ip_range and gateway need a subnet");
                var auxAddresses = Empty.Map;
                if (p.TryGetValue("aux_addresses", out var aux))
                {
                    auxAddresses = Map(aux);
                    foreach (var (host, value) in auxAddresses)
                        if (NetworkRules.ReservedProblem(value) is { } reserved) aux.Error($"aux_addresses.{host}: {reserved}");
                }
                pools.Add(new IpamPool(subnet, gateway, range, auxAddresses));
            }
        if (f.TryGetValue("driver", out var d) && d.Scalar() is { } ipamDriver and not "default")
            d.Error($"IPAM driver \"{ipamDriver}\" is not allowed: only the engine's default one (a plugin would hand out addresses the policy never judged)");
        if (f.TryGetValue("options", out var options))
            foreach (var (option, _, at) in options.KeyValues()) at.Error(NetworkRules.IpamOptionProblem(option));
        return new IpamSpec(f.TryGetValue("driver", out d) ? d.Scalar() : null, pools, f.TryGetValue("options", out var o) ? Map(o) : Empty.Map);
    }

    /// <summary>How a service joins its networks: null when it only joins a default network the file leaves as it is (its
    /// aliases then go to <paramref name="aliases"/>, as a ServiceGroup's do, so that its spec hash stays what it was).</summary>
    public static IReadOnlyList<NetworkAttachment>? ReadAttachments(ComposeCursor? cursor, ComposeContext context, List<string> aliases)
    {
        var plainDefault = context.Networks["default"] == new NetworkSpec($"{context.Project}_default");
        if (cursor is null)
        {
            context.UsedNetworks.Add("default");
            return plainDefault ? null : [new NetworkAttachment("default", context.Networks["default"].Name, [])];
        }
        var attachments = new List<NetworkAttachment>();
        var listed = 0;
        if (cursor.IsSequence)
        {
            foreach (var item in cursor.Sequence())
            {
                listed++;
                if (item.Scalar() is { } key && Declared(key, item, context) is { } network)
                    attachments.Add(new NetworkAttachment(key, network.Name, []));
            }
        }
        else
            foreach (var (key, value) in cursor.Entries())
            {
                listed++;
                if (Declared(key, value, context) is not { } network) continue;
                if (value.IsNull) { attachments.Add(new NetworkAttachment(key, network.Name, [])); continue; }
                var f = value.Mapping(["aliases", "ipv4_address", "ipv6_address", "priority", "link_local_ips"], "network setting");
                if (f is null) continue;
                var ipv4 = f.TryGetValue("ipv4_address", out var v4) ? Address(v4, AddressFamily.InterNetwork) : null;
                var ipv6 = f.TryGetValue("ipv6_address", out var v6) ? Address(v6, AddressFamily.InterNetworkV6) : null;
                if ((ipv4 ?? ipv6) is not null && !(network.Ipam?.Pools.Any(p => p.Subnet is not null) ?? false) && !network.External)
                    (v4 ?? v6)!.Error($"a fixed address needs a subnet on network \"{key}\" (ipam.config[].subnet), as the engine only assigns addresses from a user-configured pool");
                attachments.Add(new NetworkAttachment(key, network.Name,
                    f.TryGetValue("aliases", out var a) ? a.StringList() : [],
                    ipv4, ipv6,
                    f.TryGetValue("priority", out var p) ? p.Int() ?? 0 : 0)
                {
                    LinkLocalIps = f.TryGetValue("link_local_ips", out var ll) ? LinkLocal(ll) : null,
                });
            }
        if (attachments.Count == 0)
        {
            // Networks listed but refused (not declared, a bad entry) have their own errors: not also "lists no network".
            if (listed == 0) cursor.Error("lists no network (leave networks: out to join the project's default network)");
            return null;
        }
        if (plainDefault && attachments is [{ Key: "default", Ipv4Address: null, Ipv6Address: null, LinkLocalIps: null } only])
        {
            aliases.AddRange(only.Aliases);
            return null;
        }
        // Compose joins the network of the highest priority first (the one the engine's create takes), then by name.
        return attachments.OrderByDescending(a => a.Priority).ThenBy(a => a.Key, StringComparer.Ordinal).ToList();
    }

    private static NetworkSpec? Declared(string key, ComposeCursor at, ComposeContext context)
    {
        if (context.Networks.TryGetValue(key, out var network))
        {
            context.UsedNetworks.Add(key);
            return network;
        }
        at.Error($"network \"{key}\" is not declared under the top-level networks ({ComposeContext.DeclaredList(context.Networks.Keys)})");
        return null;
    }

    private static IReadOnlyDictionary<string, string> Map(ComposeCursor cursor) =>
        new SortedDictionary<string, string>(cursor.KeyValues().ToDictionary(x => x.Key, x => x.Value ?? ""), StringComparer.Ordinal);

    /// <summary>The value, unless it is in a range the host reserves (an error at its line then): the security policy's rule.</summary>
    private static string? NotReserved(ComposeCursor c, string? value)
    {
        if (value is null || NetworkRules.ReservedProblem(value) is not { } problem) return value;
        c.Error(problem);
        return null;
    }

    private static string? Cidr(ComposeCursor c)
    {
        var text = c.Scalar();
        if (text is null) return null;
        if (IPNetwork.TryParse(text, out _)) return text;
        c.Error($"\"{text}\" is not a subnet in CIDR form (like 172.28.0.0/16)");
        return null;
    }

    /// <summary>link_local_ips: addresses in 169.254.0.0/16 or fe80::/10, as the engine takes them; null when the list is empty.</summary>
    private static IReadOnlyList<string>? LinkLocal(ComposeCursor c)
    {
        var ips = new List<string>();
        foreach (var item in c.Sequence())
        {
            if (Address(item) is not { } text) continue;
            var ip = IPAddress.Parse(text);
            if (ip.AddressFamily == AddressFamily.InterNetwork ? ip.GetAddressBytes() is not [169, 254, ..] : !ip.IsIPv6LinkLocal)
                item.Error($"\"{text}\" is not a link-local address (169.254.0.0/16 or fe80::/10)");
            else ips.Add(text);
        }
        return ips.Count == 0 ? null : ips;
    }

    private static string? Address(ComposeCursor c, AddressFamily? family = null)
    {
        var text = c.Scalar();
        if (text is null) return null;
        if (IPAddress.TryParse(text, out var ip) && (family is null || ip.AddressFamily == family)) return text;
        c.Error($"\"{text}\" is not an {(family == AddressFamily.InterNetworkV6 ? "IPv6" : family == AddressFamily.InterNetwork ? "IPv4" : "IP")} address");
        return null;
    }
}
