namespace Agent.Core.Manifests;

/// <summary>
/// What one manifest file may cost to load (<c>Agent:Limits</c>). Each limit is checked on YamlDotNet's event
/// stream before the node it concerns is built, so no input can overflow the stack or allocate without bound.
/// </summary>
public sealed class ManifestLimits
{
    public const string Section = "Agent:Limits";

    /// <summary>How deeply mappings and sequences may nest (a ServiceGroup needs about 8).</summary>
    public int MaxDepth { get; set; } = 64;

    /// <summary>Documents (separated by <c>---</c>) in one file.</summary>
    public int MaxDocuments { get; set; } = 1000;

    /// <summary>Bytes (UTF-8) of one scalar value.</summary>
    public int MaxScalarBytes { get; set; } = 256 * 1024;

    /// <summary>Alias uses (<c>*name</c>) in one file.</summary>
    public int MaxAliases { get; set; } = 1000;

    /// <summary>Bytes of all values of one file once every alias is replaced by what it names ("billion laughs").</summary>
    public long MaxExpandedBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>Scalars, mappings and sequences of one file once every alias is replaced (each costs some 500 bytes to load).</summary>
    public long MaxNodes { get; set; } = 100_000;

    public static ManifestLimits Default { get; } = new();
}
