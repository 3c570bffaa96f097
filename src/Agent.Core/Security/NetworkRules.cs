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
        if (ControlCharacters.DriverNameProblem(driver, "network") is { } badName) v.Add(new("driver", badName));
        else if (driver is not (null or "" or "bridge"))
            v.Add(new("driver", $"network driver \"{driver}\" is not allowed: only bridge (host, macvlan, ipvlan and overlay reach beyond the engine's own bridge)"));
        foreach (var (key, value) in options.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            if (OptionProblem(key, value) is { } problem) v.Add(new($"options.{key}", problem));
        System.Net.IPNetwork net = default;
        var subnetOk = subnet is null || System.Net.IPNetwork.TryParse(subnet, out net) && IsEngineAddress(subnet[..subnet.IndexOf('/')]);
        if (!subnetOk)
            v.Add(new("subnet", $"\"{subnet}\" is not a subnet in CIDR form, like 10.210.0.0/24 (decimal, no leading zeros, all four parts)"));
        else if (subnet is not null && ReservedProblem(subnet) is { } reserved) v.Add(new("subnet", reserved));
        if (gateway is not null && (subnet is null || !subnetOk || !IsEngineAddress(gateway) || !System.Net.IPAddress.TryParse(gateway, out var g) || !net.Contains(g)))
            v.Add(new("gateway", $"\"{gateway}\" must be an address inside the subnet (and needs one)"));
        return v;
    }

    /// <summary>A subnet and gateway that passed <see cref="Problems"/> and the host's routes, judged for room as the
    /// engine's IPAM would (it answers a 500): an IPv4 bridge needs a gateway and a container address, and the gateway
    /// cannot be the network or broadcast address.</summary>
    public static IReadOnlyList<Violation> RoomProblems(string subnet, string? gateway)
    {
        var net = System.Net.IPNetwork.Parse(subnet);
        if (net.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) return [];
        if (net.PrefixLength > 30)
            return [new("subnet", $"\"{subnet}\" leaves no address for the bridge's gateway and a container: a bridge needs /30 or larger, like 10.210.0.0/24")];
        if (gateway is not null && System.Net.IPAddress.Parse(gateway) is var address && (address.Equals(net.BaseAddress) || address.Equals(Broadcast(net))))
            return [new("gateway", $"\"{gateway}\" is the subnet's {(address.Equals(net.BaseAddress) ? "network" : "broadcast")} address, which no host may take: give one between them")];
        return [];
    }

    /// <summary>An address as the engine (Go's net.ParseIP) reads it: IPv4 only in dotted decimal with four parts and no
    /// leading zeros (.NET also reads 10.1/16, 010.1.1.0 and 0x0a.1.1.0, which the engine refuses with a 500); IPv6 as .NET does.</summary>
    private static bool IsEngineAddress(string address) =>
        address.Contains(':') ? System.Net.IPAddress.TryParse(address, out _)
        : address.Split('.') is { Length: 4 } parts && parts.All(p => p is { Length: >= 1 and <= 3 } && p.All(char.IsAsciiDigit) && (p.Length == 1 || p[0] != '0') && int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) <= 255);

    private static System.Net.IPAddress Broadcast(System.Net.IPNetwork net)
    {
        var bytes = net.BaseAddress.GetAddressBytes();
        for (var i = net.PrefixLength; i < 32; i++) bytes[i / 8] |= (byte)(1 << (7 - i % 8));
        return new System.Net.IPAddress(bytes);
    }

    /// <summary>Why a bridge driver option must not be given to a network the agent makes (POST /networks, a compose file's
    /// driver_opts, the executor's create): null when it is one of the few that only tune the agent's own bridge.</summary>
    public static string? OptionProblem(string key, string value) =>
        ControlCharacters.In(key) || ControlCharacters.In(value) ? "network options must not contain control characters"
        : AllowedOptions.Contains(key) ? ValueProblem(key, value)
        : $"network option \"{key}\" is not allowed: only {string.Join(", ", AllowedOptions.Order())}" +
          (key == "com.docker.network.bridge.name" ? " (a bridge name would take over an existing bridge of the host, docker0 or another tool's, and re-address it)" : "");

    /// <summary>The values the engine takes (Go's strconv.ParseBool; an MTU a link can have), checked before it sees them
    /// (probe-15g F4: "maybe" failed the apply with the engine's 500, an MTU of 70000 made the network).</summary>
    private static string? ValueProblem(string key, string value) => key switch
    {
        "com.docker.network.driver.mtu" => int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var mtu) && mtu is >= 68 and <= 65535
            ? null : $"network option \"{key}\" must be an MTU from 68 to 65535, not \"{value}\"",
        _ => value is "1" or "t" or "T" or "true" or "TRUE" or "True" or "0" or "f" or "F" or "false" or "FALSE" or "False"
            ? null : $"network option \"{key}\" must be true or false, not \"{value}\"",
    };

    /// <summary>Why an ipam option must not be given: the engine's default IPAM driver (the only one allowed) takes none.</summary>
    public static string IpamOptionProblem(string key) =>
        $"ipam option \"{key}\" is not allowed: the engine's default IPAM driver, the only one allowed, takes no options";

    /// <summary>Ranges the host itself uses: a bridge on one of them adds the host an interface and a route there (a second
    /// 127.0.0.1/8 beside lo; the cloud metadata address 169.254.169.254 answered by a container).</summary>
    private static readonly (System.Net.IPNetwork Range, string What)[] HostReserved =
    [
        (System.Net.IPNetwork.Parse("0.0.0.0/8"), "\"this host\" addresses"),
        (System.Net.IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (System.Net.IPNetwork.Parse("169.254.0.0/16"), "link-local, with the cloud metadata address"),
        (System.Net.IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (System.Net.IPNetwork.Parse("240.0.0.0/4"), "reserved and broadcast"),
        (System.Net.IPNetwork.Parse("::/128"), "the unspecified address"),
        (System.Net.IPNetwork.Parse("::1/128"), "loopback"),
        (System.Net.IPNetwork.Parse("::ffff:0:0/96"), "IPv4-mapped addresses"),
        (System.Net.IPNetwork.Parse("fe80::/10"), "link-local"),
        (System.Net.IPNetwork.Parse("ff00::/8"), "multicast"),
    ];

    /// <summary>Why a subnet, range (CIDR) or address (subnet, gateway, ip_range, aux address) must not be given to a
    /// network: it is or overlaps a range the host reserves. Null when it does not (or does not parse: said elsewhere).</summary>
    public static string? ReservedProblem(string cidrOrAddress)
    {
        System.Net.IPNetwork network;
        if (System.Net.IPAddress.TryParse(cidrOrAddress, out var address)) network = new(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        else if (!System.Net.IPNetwork.TryParse(cidrOrAddress, out network)) return null;
        foreach (var (range, what) in HostReserved)
            if (Overlap(range, network))
                return $"\"{cidrOrAddress}\" is not allowed: it {(range.PrefixLength <= network.PrefixLength ? "lies in" : "contains")} {range} ({what}), which the host itself uses; choose a private range such as 10.210.0.0/24";
        return null;
    }

    /// <summary>Two networks of one family share an address when their shorter prefix matches (bytes compared: IPNetwork.Contains
    /// treats IPv4-mapped IPv6 addresses as IPv4).</summary>
    internal static bool Overlap(System.Net.IPNetwork a, System.Net.IPNetwork b)
    {
        if (a.BaseAddress.AddressFamily != b.BaseAddress.AddressFamily) return false;
        var (x, y) = (a.BaseAddress.GetAddressBytes(), b.BaseAddress.GetAddressBytes());
        var bits = Math.Min(a.PrefixLength, b.PrefixLength);
        for (var i = 0; i < bits; i++)
            if ((x[i / 8] >> (7 - i % 8) & 1) != (y[i / 8] >> (7 - i % 8) & 1)) return false;
        return true;
    }
}
