using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Agent.Core.Model;

/// <summary>A network an object declares (compose's top-level networks); <see cref="Name"/> is the engine name
/// ({project}_{network}, or its own name:). A group without declared networks has only its default network.</summary>
public sealed record NetworkSpec(string Name)
{
    public string Driver { get; init; } = "bridge";
    public IReadOnlyDictionary<string, string> DriverOptions { get; init; } = Empty.Map;
    public IpamSpec? Ipam { get; init; }
    public bool Internal { get; init; }
    public bool Attachable { get; init; }
    public bool EnableIpv6 { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = Empty.Map;

    /// <summary>Made by someone else (compose's `external: true`): must exist, is joined by name, never created nor removed.</summary>
    public bool External { get; init; }

    private static readonly JsonSerializerOptions Canonical = new()
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = Json.CoreJsonContext.Default,
    };

    /// <summary>The digest of the definition, kept in a label on the network: a different one means the file changed it.</summary>
    public string DefinitionHash() =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(this, Json.CoreJson.Info<NetworkSpec>(Canonical)))))[..16];
}

/// <summary>IP address management of a network: its driver, address pools and driver options.</summary>
public sealed record IpamSpec(string? Driver, IReadOnlyList<IpamPool> Pools, IReadOnlyDictionary<string, string> Options);

public sealed record IpamPool(string? Subnet, string? Gateway, string? IpRange, IReadOnlyDictionary<string, string> AuxAddresses);

/// <summary>How a service's containers join one network: <see cref="Key"/> is the object's name for it, <see cref="Name"/>
/// the engine's; the one with the highest <see cref="Priority"/> (then by key) is joined at create, the others after.</summary>
public sealed record NetworkAttachment(string Key, string Name, IReadOnlyList<string> Aliases, string? Ipv4Address = null, string? Ipv6Address = null, int Priority = 0)
{
    /// <summary>Link-local addresses of the endpoint (compose link_local_ips); null when none, so specs without them hash as before.</summary>
    public IReadOnlyList<string>? LinkLocalIps { get; init; }
}

/// <summary>A network a new container joins, as the executor addresses it: the id of an observed network, or the name of
/// one the same plan creates (resolved to its id then), with the endpoint's aliases and fixed addresses.</summary>
public sealed record NetworkEndpoint(string Address, IReadOnlyList<string> Aliases, string? Ipv4Address = null, string? Ipv6Address = null)
{
    public IReadOnlyList<string>? LinkLocalIps { get; init; }
}
