using System.Globalization;
using System.Net;
using Agent.Core.Model;
using Agent.Core.Security;

namespace Agent.Admission;

/// <summary>
/// Reads the host's routes (/proc/net/route, /proc/net/ipv6_route) and resolvers (/etc/resolv.conf) each time a network
/// with an explicit subnet is about to be made, and judges its addresses by <see cref="HostRouteRules"/>. Run in a
/// container, the agent sees that container's network namespace: run it on the host (as installed) for this check to
/// mean the host. A file that cannot be read adds nothing (the fixed rules of <see cref="NetworkRules"/> still hold).
/// </summary>
public sealed class HostNetworks(string procNet = "/proc/net", string resolvConf = "/etc/resolv.conf")
{
    public HostNetworkFacts Read() => new([.. ReadIPv4Routes(), .. ReadIPv6Routes()], ReadNameservers());

    /// <summary>Why the network must not be made with its addresses, naming the field; null when it may.</summary>
    public Violation? Problem(NetworkSpec network)
    {
        // The fixed rules first, whatever made the spec: a compose file checks them at load, this is the create itself.
        if (NetworkRules.Problems(network.Driver, network.DriverOptions, null, null).FirstOrDefault() is { } fixedRule) return fixedRule;
        if (network.Ipam is not { Pools.Count: > 0 } ipam) return null;
        var host = Read();
        for (var i = 0; i < ipam.Pools.Count; i++)
        {
            var pool = ipam.Pools[i];
            foreach (var (field, value) in new[] { ("subnet", pool.Subnet), ("ip_range", pool.IpRange), ("gateway", pool.Gateway) })
                if (value is not null && HostRouteRules.Problem(value, host) is { } problem)
                    return new($"ipam.config[{i}].{field}", problem);
        }
        return null;
    }

    private IEnumerable<HostRoute> ReadIPv4Routes()
    {
        // Iface Destination Gateway Flags RefCnt Use Metric Mask ...: addresses as little-endian hex.
        foreach (var line in Lines(Path.Combine(procNet, "route")).Skip(1))
        {
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8 || !TryIPv4(f[1], out var destination) || !TryIPv4(f[2], out var gateway) || !TryIPv4(f[7], out var mask)) continue;
            var prefix = System.Numerics.BitOperations.PopCount(BitConverter.ToUInt32(mask.GetAddressBytes()));
            yield return new HostRoute(new IPNetwork(Masked(destination, prefix), prefix), f[0], gateway.Equals(IPAddress.Any) ? null : gateway);
        }
    }

    private IEnumerable<HostRoute> ReadIPv6Routes()
    {
        // dest prefix src srcprefix nexthop metric refcnt use flags iface: addresses as 32 hex digits, prefixes in hex.
        foreach (var line in Lines(Path.Combine(procNet, "ipv6_route")))
        {
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10 || !TryIPv6(f[0], out var destination) || !int.TryParse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var prefix)
                || !TryIPv6(f[4], out var nextHop) || prefix > 128) continue;
            yield return new HostRoute(new IPNetwork(Masked(destination, prefix), prefix), f[9], nextHop.Equals(IPAddress.IPv6Any) ? null : nextHop);
        }
    }

    private List<IPAddress> ReadNameservers() =>
        Lines(resolvConf)
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 2 && f[0] == "nameserver")
            .Select(f => IPAddress.TryParse(f[1].Split('%')[0], out var a) ? a : null)
            .OfType<IPAddress>()
            .ToList();

    private static string[] Lines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static bool TryIPv4(string hex, out IPAddress address)
    {
        address = IPAddress.None;
        if (hex.Length != 8 || !uint.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value)) return false;
        address = new IPAddress(value); // the number's little-endian bytes are the address in network order
        return true;
    }

    private static bool TryIPv6(string hex, out IPAddress address)
    {
        address = IPAddress.IPv6None;
        if (hex.Length != 32) return false;
        try
        {
            address = new IPAddress(Convert.FromHexString(hex));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static IPAddress Masked(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length * 8; i++)
            if (i >= prefix) bytes[i / 8] &= (byte)~(1 << (7 - i % 8));
        return new IPAddress(bytes);
    }
}
