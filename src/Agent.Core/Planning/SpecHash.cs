using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Agent.Core.Json;
using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>
/// The hash of a normalised container spec: the one label that decides drift. It covers every field of
/// <see cref="ContainerSpec"/> (including the digests of referenced files) and nothing else, so replica
/// count, dependsOn and the update strategy never recreate a container.
/// </summary>
public static class SpecHash
{
    private static readonly JsonSerializerOptions Canonical = CoreJson.Options(new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = CoreJsonContext.Default,
    }, enumNaming: null);

    /// <summary>Labels that describe the compose project (its folder, its file list), not the service: like Compose's
    /// config hash, the hash leaves them out, so adding an override file recreates only the services it changes. They
    /// stay on the container and are brought up to date by its next recreate.</summary>
    private static readonly string[] ProjectBookkeeping = [ComposeLabelNames.ConfigFiles, ComposeLabelNames.WorkingDir];

    public static string Of(ContainerSpec spec, string? network = null)
    {
        if (ProjectBookkeeping.Any(spec.Labels.ContainsKey))
            spec = spec with { Labels = spec.Labels.Where(l => !ProjectBookkeeping.Contains(l.Key)).ToDictionary() };
        var json = JsonSerializer.Serialize(new SpecHashInput(spec, network), Canonical.Info<SpecHashInput>());
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16];
    }
}
