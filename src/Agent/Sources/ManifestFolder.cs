using System.Security.Cryptography;
using Agent.Core.Manifests;
using Agent.Core.Security;

namespace Agent.Sources;

/// <summary>A folder of manifests on disk: read recursively (*.yaml, *.yml; hidden files and folders skipped),
/// and the files those manifests reference.</summary>
public sealed class ManifestFolder(string root, ManifestLimits? limits = null) : IManifestFiles
{
    private const long MaxDigestBytes = 256L * 1024 * 1024;

    public string Root { get; } = Path.GetFullPath(root);

    public ManifestLimits Limits { get; } = limits ?? ManifestLimits.Default;

    public ManifestSet Load(SecurityPolicy policy) => ManifestSet.Load(ReadManifests(), this, policy, Limits);

    public IEnumerable<(string File, byte[] Content)> ReadManifests()
    {
        if (!Directory.Exists(Root)) throw new DirectoryNotFoundException($"manifests folder {Root} does not exist");
        foreach (var path in Enumerate(Root).Order(StringComparer.Ordinal))
            yield return (Path.GetRelativePath(Root, path), File.ReadAllBytes(path));
    }

    private static IEnumerable<string> Enumerate(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            var name = Path.GetFileName(file);
            if (!name.StartsWith('.') && (name.EndsWith(".yaml", StringComparison.Ordinal) || name.EndsWith(".yml", StringComparison.Ordinal)))
                yield return file;
        }
        foreach (var sub in Directory.EnumerateDirectories(folder))
            if (!Path.GetFileName(sub).StartsWith('.'))
                foreach (var file in Enumerate(sub))
                    yield return file;
    }

    public string? ReadText(string absolutePath) => File.Exists(absolutePath) ? File.ReadAllText(absolutePath) : null;

    public string? Digest(string absolutePath)
    {
        if (File.Exists(absolutePath)) return DigestFile(absolutePath);
        if (!Directory.Exists(absolutePath)) return null;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        foreach (var file in Directory.EnumerateFiles(absolutePath, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(file);
            total += info.Length;
            if (total > MaxDigestBytes) break; // a huge data folder is not config: hash what fits
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(absolutePath, file) + "\0" + DigestFile(file) + "\n"));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    private static string DigestFile(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream))[..16];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unreadable"; // a socket, a device or a file we may not read: not config the hash can follow
        }
    }

    public string ResolveLinks(string absolutePath)
    {
        // Resolve each component so a link anywhere on the path counts, and a missing tail is kept as written.
        var resolved = "/";
        foreach (var part in HostPath.Components(HostPath.Normalize(absolutePath)))
        {
            var next = Path.Combine(resolved, part);
            for (var hops = 0; hops < 40; hops++)
            {
                FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
                if (info.LinkTarget is not { } target) break;
                next = HostPath.Normalize(Path.IsPathRooted(target) ? target : Path.Combine(Path.GetDirectoryName(next) ?? "/", target));
            }
            resolved = next;
        }
        return HostPath.Normalize(resolved);
    }
}
