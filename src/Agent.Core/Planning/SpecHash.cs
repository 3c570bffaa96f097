using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>
/// The hash of a normalised container spec: the one label that decides drift. It covers every field of
/// <see cref="ContainerSpec"/> (including the digests of referenced files) and nothing else, so replica
/// count, dependsOn and the update strategy never recreate a container.
/// </summary>
public static class SpecHash
{
    private static readonly JsonSerializerOptions Canonical = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Of(ContainerSpec spec, string? network = null)
    {
        var json = JsonSerializer.Serialize(new { spec, network }, Canonical);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16];
    }
}
