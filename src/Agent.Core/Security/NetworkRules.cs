namespace Agent.Core.Security;

/// <summary>A network made on request (POST /networks). Only a bridge network of the engine's own: other drivers reach
/// the host's interfaces (host, macvlan, ipvlan) or other hosts (overlay), and bridge options can take over an existing
/// bridge (com.docker.network.bridge.name=docker0) or publish on every address (host_binding_ipv4).</summary>
public static class NetworkRules
{
    private static readonly HashSet<string> AllowedOptions = new(StringComparer.Ordinal)
    {
        "com.docker.network.bridge.enable_icc",
        "com.docker.network.bridge.enable_ip_masquerade",
        "com.docker.network.driver.mtu",
    };

    public static IReadOnlyList<Violation> Problems(string? driver, IReadOnlyDictionary<string, string> options, string? subnet, string? gateway)
    {
        var v = new List<Violation>();
        if (driver is not (null or "" or "bridge"))
            v.Add(new("driver", $"network driver \"{driver}\" is not allowed: only bridge (host, macvlan, ipvlan and overlay reach beyond the engine's own bridge)"));
        foreach (var (key, value) in options.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (ControlCharacters.In(key) || ControlCharacters.In(value)) v.Add(new($"options.{key}", "network options must not contain control characters"));
            else if (!AllowedOptions.Contains(key))
                v.Add(new($"options.{key}", $"network option \"{key}\" is not allowed: only {string.Join(", ", AllowedOptions.Order())}"));
        }
        if (subnet is not null && !System.Net.IPNetwork.TryParse(subnet, out _))
            v.Add(new("subnet", $"\"{subnet}\" is not a subnet in CIDR form, like 10.210.0.0/24"));
        if (gateway is not null && (subnet is null || !System.Net.IPAddress.TryParse(gateway, out var g)
                                    || !System.Net.IPNetwork.TryParse(subnet, out var net) || !net.Contains(g)))
            v.Add(new("gateway", $"\"{gateway}\" must be an address inside the subnet (and needs one)"));
        return v;
    }
}
