using Agent.Core.Manifests;

namespace Agent.UnitTests.Manifests;

/// <summary>A manifests folder with no referenced files, for loading text without a disk.</summary>
internal sealed class MemoryManifestFiles : IManifestFiles
{
    public static MemoryManifestFiles Instance { get; } = new();

    public string Root => "/manifests";
    public string? ReadText(string absolutePath) => null;
    public bool Exists(string absolutePath) => false;
    public string? Digest(string absolutePath) => null;
    public Agent.Core.Build.ContextDigest DigestBuildContext(string folder, string dockerfile, string? inlineDockerfile, long maxBytes) =>
        new(null, $"build context {folder} not found");
    public string ResolveLinks(string absolutePath) => absolutePath;
}
