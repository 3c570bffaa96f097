using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Agent.Core.Build;

namespace Agent.Engine;

/// <summary>
/// A build context folder as the classic builder receives it: a tar of the folder's files minus what its .dockerignore
/// leaves out (the Dockerfile and .dockerignore themselves are always sent), plus an inline Dockerfile when given.
/// <see cref="Hash"/> covers exactly what is sent, so a changed file in the context changes the hash and nothing
/// ignored does. A symlink is sent as a link (as `docker build` does), never followed: a link to /etc/shadow or to a
/// folder outside sends its target's name, not its content. Shared by compose `build:`, ServiceGroup `build:` and
/// image builds through the API.
/// </summary>
public static class BuildContext
{
    /// <summary>Where an inline Dockerfile (compose's dockerfile_inline) is placed in the context.</summary>
    public const string InlineDockerfile = Core.Model.BuildSpec.InlineDockerfileName;

    /// <summary>The default of Agent:Security:MaxBuildContextBytes.</summary>
    public const long DefaultMaxBytes = 256L * 1024 * 1024;

    /// <summary>The context's files and links, '/'-separated paths relative to <paramref name="root"/>, in ordinal order.</summary>
    public static IReadOnlyList<string> Files(string root, string dockerfile = "Dockerfile")
    {
        var ignorePath = Path.Combine(root, ".dockerignore");
        var ignore = new DockerIgnore(File.Exists(ignorePath) && new FileInfo(ignorePath).LinkTarget is null ? ReadIgnoreFile(ignorePath) : null);
        var always = new HashSet<string>(StringComparer.Ordinal) { dockerfile.Replace('\\', '/'), ".dockerignore" };
        var found = new List<string>();
        Walk(new DirectoryInfo(root), "", found);
        return found.Where(f => always.Contains(f) || !ignore.Excludes(f)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The .dockerignore, opened as a regular file only (a FIFO there would block the reader, probe-15e E3) and
    /// read up to 1 MiB: patterns, never data.</summary>
    private static string ReadIgnoreFile(string path)
    {
        const int limit = 1024 * 1024;
        using var stream = RegularFile.OpenRead(path);
        if (stream.Length > limit) throw new IOException($".dockerignore is {stream.Length} bytes, over the limit of {limit} bytes");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Every file and symlink under a folder; symlinked folders are entries, not descended into.</summary>
    private static void Walk(DirectoryInfo folder, string prefix, List<string> found)
    {
        foreach (var entry in folder.EnumerateFileSystemInfos())
        {
            var name = prefix + entry.Name;
            if (entry.LinkTarget is not null) found.Add(name);
            else if (entry is DirectoryInfo sub) Walk(sub, name + "/", found);
            else found.Add(name);
        }
    }

    /// <summary>Bytes the context sends (files' sizes, links' target names); throws <see cref="BuildContextTooLargeException"/>
    /// as soon as the total passes <paramref name="maxBytes"/>, so a huge folder is never read.</summary>
    public static long Size(string root, IReadOnlyList<string> files, long maxBytes)
    {
        long total = 0;
        foreach (var file in files)
        {
            var info = new FileInfo(Path.Combine(root, file));
            total += info.LinkTarget is { } target ? Encoding.UTF8.GetByteCount(target) : info.Length;
            if (total > maxBytes) throw new BuildContextTooLargeException(root, maxBytes);
        }
        return total;
    }

    /// <summary>The tar stream to send to the engine (position 0); <paramref name="root"/> null: the inline Dockerfile alone.</summary>
    public static async Task<Stream> TarAsync(string? root, string dockerfile, string? inlineDockerfile, CancellationToken ct, long maxBytes = DefaultMaxBytes)
    {
        var files = root is null ? [] : Files(root, dockerfile);
        if (root is not null) Size(root, files, maxBytes);
        var stream = new MemoryStream();
        await using (var tar = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var file in files)
                await tar.WriteEntryAsync(Path.Combine(root!, file), file, ct); // a symlink is written as a link entry
            if (inlineDockerfile is not null)
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, InlineDockerfile)
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(inlineDockerfile)),
                }, ct);
        }
        stream.Position = 0;
        return stream;
    }

    /// <summary>SHA-256 over every sent file's path and content (a link's target name, and the inline Dockerfile), hex.</summary>
    public static string Hash(string root, string dockerfile = "Dockerfile", string? inlineDockerfile = null, long maxBytes = DefaultMaxBytes)
    {
        var files = Files(root, dockerfile);
        Size(root, files, maxBytes);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file + "\0"));
            var path = Path.Combine(root, file);
            if (new FileInfo(path).LinkTarget is { } target) hash.AppendData(Encoding.UTF8.GetBytes("symlink\0" + target));
            else
            {
                using var content = RegularFile.OpenRead(path);
                hash.AppendData(SHA256.HashData(content));
            }
            hash.AppendData("\0"u8);
        }
        if (inlineDockerfile is not null) hash.AppendData(Encoding.UTF8.GetBytes(InlineDockerfile + "\0" + inlineDockerfile));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>A build context over Agent:Security:MaxBuildContextBytes: nothing of it is sent.</summary>
public sealed class BuildContextTooLargeException(string root, long maxBytes)
    : Exception($"build context {root} is larger than {maxBytes} bytes (Agent:Security:MaxBuildContextBytes): leave large files out with a .dockerignore or raise the limit");
