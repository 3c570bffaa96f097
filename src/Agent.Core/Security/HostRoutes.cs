using System.Net;

namespace Agent.Core.Security;

/// <summary>A route of the host: where it leads (<see cref="Destination"/>), through which interface and next hop.</summary>
public sealed record HostRoute(IPNetwork Destination, string Interface, IPAddress? Gateway);

/// <summary>What the host's own networking uses, read when a network is about to be made: its routes (and their
/// gateways) and the DNS resolvers it asks.</summary>
public sealed record HostNetworkFacts(IReadOnlyList<HostRoute> Routes, IReadOnlyList<IPAddress> Nameservers)
{
    public static readonly HostNetworkFacts None = new([], []);
}

/// <summary>
/// A bridge network given an explicit subnet adds the host a route into that bridge, which wins over the host's own when
/// it is as or more specific (Docker checks host routes only when it picks a subnet itself). So a subnet, range or
/// address must not contain the host's resolvers or gateways, nor overlap a route of the host other than the default
/// route and the engine's own bridges (docker0, br-*: the engine refuses overlaps with its networks itself).
/// </summary>
public static class HostRouteRules
{
    public static bool IsEngineBridge(string name) => name == "docker0" || name.StartsWith("br-", StringComparison.Ordinal);

    public static string? Problem(string cidrOrAddress, HostNetworkFacts host)
    {
        IPNetwork network;
        if (IPAddress.TryParse(cidrOrAddress, out var address)) network = new(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        else if (!IPNetwork.TryParse(cidrOrAddress, out network)) return null;

        foreach (var resolver in host.Nameservers)
            if (network.BaseAddress.AddressFamily == resolver.AddressFamily && network.Contains(resolver))
                return $"\"{cidrOrAddress}\" contains {resolver}, the host's DNS resolver (/etc/resolv.conf): the host would send its DNS queries into this network; choose a range the host does not use";
        foreach (var route in host.Routes.Where(r => r.Gateway is not null))
            if (network.BaseAddress.AddressFamily == route.Gateway!.AddressFamily && network.Contains(route.Gateway))
                return $"\"{cidrOrAddress}\" contains {route.Gateway}, a gateway of the host (dev {route.Interface}): the host would lose its route through it; choose a range the host does not use";
        foreach (var route in host.Routes)
            if (route.Destination.PrefixLength > 0 && !IsEngineBridge(route.Interface) && !IsLinkLocal(route.Destination)
                && NetworkRules.Overlap(route.Destination, network))
                return $"\"{cidrOrAddress}\" overlaps {route.Destination}, which the host reaches through dev {route.Interface}: the bridge would take that traffic over; choose a range the host does not use";
        return null;
    }

    // fe80::/64 is on every interface; link-local ranges are refused outright by NetworkRules.
    private static bool IsLinkLocal(IPNetwork destination) =>
        destination.BaseAddress.IsIPv6LinkLocal;
}
