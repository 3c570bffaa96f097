using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Agent.Core.Build;

namespace Agent.Engine;

/// <summary>
/// A build context folder as the classic builder receives it: a tar of the folder's files minus what its .dockerignore
/// leaves out (the Dockerfile and .dockerignore themselves are always sent), plus an inline Dockerfile when given.
/// <see cref="Hash"/> covers exactly what is sent, so a changed file in the context changes the hash and nothing
/// ignored does. Shared by compose `build:` and image builds through the API.
/// </summary>
public static class BuildContext
{
    /// <summary>Where an inline Dockerfile (compose's dockerfile_inline) is placed in the context.</summary>
    public const string InlineDockerfile = ".agent-inline.Dockerfile";

    /// <summary>The context's files, '/'-separated paths relative to <paramref name="root"/>, in ordinal order.</summary>
    public static IReadOnlyList<string> Files(string root, string dockerfile = "Dockerfile")
    {
        var ignorePath = Path.Combine(root, ".dockerignore");
        var ignore = new DockerIgnore(File.Exists(ignorePath) ? File.ReadAllText(ignorePath) : null);
        var always = new HashSet<string>(StringComparer.Ordinal) { dockerfile.Replace('\\', '/'), ".dockerignore" };
        return Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, ReturnSpecialDirectories = false })
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => always.Contains(f) || !ignore.Excludes(f))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The tar stream to send to the engine (position 0).</summary>
    public static async Task<Stream> TarAsync(string root, string dockerfile, string? inlineDockerfile, CancellationToken ct)
    {
        var stream = new MemoryStream();
        await using (var tar = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var file in Files(root, dockerfile))
                await tar.WriteEntryAsync(Path.Combine(root, file), file, ct);
            if (inlineDockerfile is not null)
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, InlineDockerfile)
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(inlineDockerfile)),
                }, ct);
        }
        stream.Position = 0;
        return stream;
    }

    /// <summary>SHA-256 over every sent file's path and content (and the inline Dockerfile), hex.</summary>
    public static string Hash(string root, string dockerfile = "Dockerfile", string? inlineDockerfile = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Files(root, dockerfile))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file + "\0"));
            hash.AppendData(File.ReadAllBytes(Path.Combine(root, file)));
            hash.AppendData("\0"u8);
        }
        if (inlineDockerfile is not null) hash.AppendData(Encoding.UTF8.GetBytes(InlineDockerfile + "\0" + inlineDockerfile));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
