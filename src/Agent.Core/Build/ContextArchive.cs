using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Agent.Core.Build;

/// <summary>
/// A build context tar rewritten by the agent before the builder sees it, so that the Dockerfile the agent judges is the
/// one the builder runs (probe-15h H1). The engine unpacks a context as Go's archive/tar reads it: names cleaned
/// (`./Dockerfile`, `a/../Dockerfile` and `/Dockerfile` are all `Dockerfile`), a later entry of the same name wins,
/// hard links and symlinks on the Dockerfile's path are followed, and a missing `Dockerfile` falls back to
/// `dockerfile`. Rather than imitate each of those, the rewrite sends only what this reader understood (names cleaned,
/// global headers dropped, gzip unpacked) and refuses a Dockerfile that is not one plain file: a link, a name given
/// twice, or a path through a link. A context this reader cannot parse, or without the Dockerfile, is refused too: a
/// Dockerfile the agent has not read is never built.
/// </summary>
public static class ContextArchive
{
    /// <summary>The largest Dockerfile read from a context: the builder's own instructions, never data.</summary>
    public const int MaxDockerfileBytes = 4 * 1024 * 1024;

    public sealed record Result(Stream? Tar, string? Dockerfile, string? DockerfileName, string? Problem, bool TooLarge = false);

    /// <summary>
    /// Reads <paramref name="upload"/> (a tar, or a gzip of one) into a new tar in <paramref name="into"/> and returns
    /// the text of the Dockerfile at <paramref name="dockerfile"/>; <paramref name="defaultName"/> says the caller did
    /// not name it, so `dockerfile` is taken when `Dockerfile` is missing, as the builder does.
    /// </summary>
    public static async Task<Result> RewriteAsync(Stream upload, Stream into, string dockerfile, bool defaultName, long maxBytes, CancellationToken ct)
    {
        var source = await DecompressedAsync(upload, ct);
        if (source.Problem is { } compressed) return new Result(null, null, null, compressed);
        await using var unpacked = source.Stream == upload ? null : source.Stream;

        var kinds = new Dictionary<string, List<TarEntryType>>(StringComparer.Ordinal);
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        var wanted = Clean(dockerfile);
        if (wanted is null) return new Result(null, null, null, $"dockerfile \"{dockerfile}\" is not a path inside the context");
        var candidates = defaultName ? new[] { wanted, "dockerfile" } : [wanted];
        try
        {
            await using var reader = new TarReader(source.Stream!, leaveOpen: true);
            await using var writer = new TarWriter(into, TarEntryFormat.Pax, leaveOpen: true);
            while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                if (entry.EntryType is TarEntryType.GlobalExtendedAttributes) continue;
                if (!Passed.Contains(entry.EntryType))
                    return new Result(null, null, null, $"context entry \"{entry.Name}\" is a {entry.EntryType} entry, which the agent does not pass to the builder");
                var name = Clean(entry.Name);
                if (name is null) return new Result(null, null, null, $"context entry \"{entry.Name}\" lies outside the context");
                if (name.Length == 0) continue; // "./" itself
                (kinds.TryGetValue(name, out var seen) ? seen : kinds[name] = []).Add(entry.EntryType);

                // Judged before it is written: a gzip upload is unpacked entry by entry, straight into the rewrite.
                if (into.Length + entry.Length > maxBytes) return TooLarge(maxBytes);
                var copy = new PaxTarEntry(entry) { Name = entry.EntryType == TarEntryType.Directory ? name + "/" : name };
                if (entry.EntryType == TarEntryType.HardLink)
                {
                    if (Clean(entry.LinkName) is not { Length: > 0 } target)
                        return new Result(null, null, null, $"context entry \"{entry.Name}\" links to \"{entry.LinkName}\", outside the context");
                    // The builder links to a file it unpacked already ("/etc/passwd" is read as the context's etc/passwd); a
                    // link to nothing there failed the build's stream with the engine's own text (probe-37).
                    if (target == name || kinds.GetValueOrDefault(target) is not { } linked || !(IsRegular(linked[^1]) || linked[^1] == TarEntryType.HardLink))
                        return new Result(null, null, null, $"context entry \"{entry.Name}\" is a hard link to \"{entry.LinkName}\", which is not a file given before it in the context");
                    copy.LinkName = target;
                }
                if (candidates.Contains(name) && IsRegular(entry.EntryType) && entry.DataStream is { } data)
                {
                    if (entry.Length > MaxDockerfileBytes)
                        return new Result(null, null, null, $"{name} is {entry.Length} bytes, over the {MaxDockerfileBytes} bytes a Dockerfile may have");
                    var bytes = new byte[entry.Length];
                    await data.ReadExactlyAsync(bytes, ct);
                    texts[name] = Encoding.UTF8.GetString(bytes);
                    // A new entry rather than a new stream on the copy: that would close the reader's own (a gzip's cannot
                    // be read past a closed one).
                    copy = new PaxTarEntry(TarEntryType.RegularFile, name)
                        { Mode = entry.Mode, ModificationTime = entry.ModificationTime, Uid = entry.Uid, Gid = entry.Gid, DataStream = new MemoryStream(bytes) };
                }
                await writer.WriteEntryAsync(copy, ct);
                if (into.Length > maxBytes) return TooLarge(maxBytes);
            }
        }
        catch (InvalidDataException e) when (e.Source == typeof(GZipStream).Assembly.GetName().Name)
        {
            return new Result(null, null, null, $"the context is not a gzip the agent can read ({e.Message})");
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException)
        {
            return new Result(null, null, null, $"the context is not a tar the agent can read ({e.Message}); send an uncompressed or gzip tar");
        }

        var chosen = candidates.FirstOrDefault(kinds.ContainsKey);
        if (chosen is null) return new Result(null, null, null, $"the context holds no {wanted}");
        if (Problem(chosen, kinds) is { } problem) return new Result(null, null, null, problem);
        into.Position = 0;
        return new Result(into, texts[chosen], chosen, null);
    }

    private static Result TooLarge(long maxBytes) => new(null, null, null, $"the unpacked context is larger than {maxBytes} bytes", TooLarge: true);

    /// <summary>Why the builder might read something else than the one plain file the agent read at <paramref name="name"/>.</summary>
    private static string? Problem(string name, Dictionary<string, List<TarEntryType>> kinds)
    {
        var entries = kinds[name];
        if (entries.Count > 1) return $"{name} is given {entries.Count} times in the context: send it once";
        if (!IsRegular(entries[0]))
            return $"{name} in the context is a {Describe(entries[0])}, not a file: send the Dockerfile itself (the builder would read what it points to)";
        var slash = -1;
        while ((slash = name.IndexOf('/', slash + 1)) > 0)
        {
            var folder = name[..slash];
            if (kinds.GetValueOrDefault(folder) is { } parent && parent.Any(k => k != TarEntryType.Directory))
                return $"{folder} in the context is a {Describe(parent.First(k => k != TarEntryType.Directory))}, so {name} is read through it: send the folder itself";
        }
        return null;
    }

    /// <summary>A tar name as Go's filepath.Clean makes it, relative to the context: null when it climbs out.</summary>
    public static string? Clean(string name)
    {
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..")
            {
                if (parts.Count == 0) return null;
                parts.RemoveAt(parts.Count - 1);
            }
            else parts.Add(part);
        }
        return string.Join('/', parts);
    }

    private static readonly HashSet<TarEntryType> Passed =
    [
        TarEntryType.RegularFile, TarEntryType.V7RegularFile, TarEntryType.Directory, TarEntryType.SymbolicLink, TarEntryType.HardLink,
        TarEntryType.Fifo, TarEntryType.CharacterDevice, TarEntryType.BlockDevice,
    ];

    private static bool IsRegular(TarEntryType type) => type is TarEntryType.RegularFile or TarEntryType.V7RegularFile;

    private static string Describe(TarEntryType type) => type switch
    {
        TarEntryType.SymbolicLink => "symbolic link",
        TarEntryType.HardLink => "hard link",
        TarEntryType.Directory => "folder",
        _ => type.ToString(),
    };

    /// <summary>The tar inside a gzip upload (what `docker build --compress` sends), unpacked while it is read (never into a
    /// file of its own: the rewrite is the one copy on disk); other compressions are refused by name.</summary>
    private static async Task<(Stream? Stream, string? Problem)> DecompressedAsync(Stream upload, CancellationToken ct)
    {
        var head = new byte[6];
        var read = await upload.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
        upload.Position = 0;
        var compression = CompressionOf(head.AsSpan(0, read));
        if (compression is not (null or "gzip")) return (null, $"the context is compressed with {compression}: send an uncompressed or gzip tar");
        if (compression is null) return (upload, null);
        return (new GZipStream(upload, CompressionMode.Decompress, leaveOpen: true), null);
    }

    /// <summary>The compression a stream starting with <paramref name="head"/> (its first 6 bytes) is in, by its magic
    /// bytes: "gzip", "bzip2", "xz", "zstd", or null for none of them.</summary>
    public static string? CompressionOf(ReadOnlySpan<byte> head) => head switch
    {
        [0x1f, 0x8b, ..] => "gzip",
        [(byte)'B', (byte)'Z', (byte)'h', ..] => "bzip2",
        [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, ..] => "xz",
        [0x28, 0xb5, 0x2f, 0xfd, ..] => "zstd",
        _ => null,
    };
}
