using System.Globalization;
using Agent.Core.Model;
using Agent.Engine;

namespace Agent.Http.Proxy;

/// <summary>Where the proxy sends a container's requests: its published host port on loopback when the chosen port is
/// published, else the container's own address on its network. Never the host itself: a container without an address of
/// its own (network mode host or none) has no upstream.</summary>
public sealed record ProxyUpstream(Uri Url, int Port, string Via, string? Network)
{
    public const string ViaPublished = "published";
    public const string ViaNetwork = "network";

    /// <summary>The upstream for <paramref name="container"/>'s port <paramref name="requested"/> (null: its only port),
    /// or the status and detail of why there is none.</summary>
    public static (ProxyUpstream? Upstream, int Status, string Problem) Choose(ContainerDetails container, int? requested)
    {
        if (container.State != ContainerState.Running)
            return (null, 409, $"Container {container.Name} is {container.State.ToString().ToLowerInvariant()}, not running: start it before proxying to it.");
        var tcp = container.Ports.Where(p => p.Protocol == "tcp").ToList();
        var ports = tcp.Select(p => p.ContainerPort).Distinct().Order().ToList();
        int port;
        if (requested is { } wanted)
        {
            if (wanted is < 1 or > 65535) return (null, 400, $"port={wanted} is not a TCP port: give 1 to 65535");
            port = wanted;
        }
        else if (ports.Count == 1) port = ports[0];
        else if (ports.Count == 0)
            return (null, 400, $"Container {container.Name} exposes and publishes no TCP port: say which one to proxy to with ?port=N");
        else
            return (null, 400, $"Container {container.Name} has several TCP ports ({string.Join(", ", ports)}): choose one with ?port=N");

        var published = tcp.Where(p => p.ContainerPort == port && p.HostPort is > 0)
            .OrderBy(p => p.HostIp is null or "" or "0.0.0.0" or "127.0.0.1" ? 0 : 1).FirstOrDefault();
        if (published is not null)
            return (new ProxyUpstream(Http(HostAddress(published.HostIp), published.HostPort!.Value), port, ViaPublished, null), 200, "");
        var network = container.NetworkAddresses.Where(n => !string.IsNullOrEmpty(n.Value)).OrderBy(n => n.Key, StringComparer.Ordinal).FirstOrDefault();
        if (network.Value is null)
            return (null, 409, $"Container {container.Name} has no address of its own on a network (network mode host or none?) and port {port} is not published: there is nothing to proxy to.");
        return (new ProxyUpstream(Http(network.Value, port), port, ViaNetwork, network.Key), 200, "");
    }

    /// <summary>A wildcard binding is reached on loopback; a specific one on that address.</summary>
    private static string HostAddress(string? hostIp) => hostIp switch
    {
        null or "" or "0.0.0.0" => "127.0.0.1",
        "::" => "::1",
        _ => hostIp,
    };

    private static Uri Http(string address, int port) =>
        new($"http://{(address.Contains(':') ? $"[{address}]" : address)}:{port.ToString(CultureInfo.InvariantCulture)}/");
}
