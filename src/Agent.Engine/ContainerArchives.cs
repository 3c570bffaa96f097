using System.Formats.Tar;
using Docker.DotNet.Models;

namespace Agent.Engine;

/// <summary>The tars of the archive API: one-entry tars to write, the folder tar read down to its direct children.</summary>
internal static class ContainerArchives
{
    // Go's os.FileMode type bits, as the engine's path stat reports them.
    private const uint GoDir = 1u << 31;
    private const uint GoSymlink = 1u << 27;
    private const uint GoType = GoDir | GoSymlink | (1u << 26) | (1u << 25) | (1u << 24) | (1u << 21) | (1u << 19);

    public static FileEntry ToEntry(ContainerPathStatResponse stat)
    {
        var mode = (uint)stat.Mode;
        var type = (mode & GoDir) != 0 ? FileType.Directory
            : (mode & GoSymlink) != 0 ? FileType.Symlink
            : (mode & GoType) != 0 ? FileType.Other
            : FileType.File;
        return new FileEntry(stat.Name, type, stat.Size, (int)(mode & 0x1FF), new DateTimeOffset(DateTime.SpecifyKind(stat.Mtime, DateTimeKind.Utc)),
            string.IsNullOrEmpty(stat.LinkTarget) ? null : stat.LinkTarget);
    }

    public static FileEntry ToEntry(TarEntry entry, long size)
    {
        var name = entry.Name.TrimEnd('/');
        var type = entry.EntryType switch
        {
            TarEntryType.Directory => FileType.Directory,
            TarEntryType.SymbolicLink => FileType.Symlink,
            TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.HardLink or TarEntryType.ContiguousFile => FileType.File,
            _ => FileType.Other,
        };
        return new FileEntry(name[(name.LastIndexOf('/') + 1)..], type, size, (int)entry.Mode & 0x1FF, entry.ModificationTime,
            type == FileType.Symlink ? entry.LinkName : null);
    }

    /// <summary>The direct children of the folder a GET archive sent: its first entry is the folder itself ("etc/", or "/"
    /// for the root), the rest its whole tree in walk order. A hard link (busybox's applets) takes its target's size.</summary>
    public static async Task<IReadOnlyList<FileEntry>> ChildrenAsync(Stream tar, CancellationToken ct)
    {
        await using var reader = new TarReader(tar, leaveOpen: true);
        var first = await reader.GetNextEntryAsync(copyData: false, ct);
        if (first is null) return [];
        var prefix = first.Name.TrimEnd('/') + "/";
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        var children = new List<FileEntry>();
        while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile) sizes[entry.Name] = entry.Length;
            if (!entry.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var relative = entry.Name[prefix.Length..].TrimEnd('/');
            if (relative.Length == 0 || relative.Contains('/')) continue;
            var size = entry.EntryType == TarEntryType.HardLink ? sizes.GetValueOrDefault(entry.LinkName) : entry.Length;
            children.Add(ToEntry(entry, size));
        }
        return children.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
    }

    public static string Join(string folder, string name) => folder.TrimEnd('/') + "/" + name;

    /// <summary>The folder holding a normalised absolute path; null for the root and for a top-level entry's "/".</summary>
    public static string? ParentOf(string path)
    {
        var slash = path.TrimEnd('/').LastIndexOf('/');
        return slash <= 0 ? null : path[..slash];
    }

    /// <summary>The hidden name a file is written under before it is renamed over <paramref name="name"/>; null when the
    /// name is too long to take the extra characters (then it is written in place).</summary>
    public static string? TemporaryName(string name)
    {
        var temporary = $".{name}.agent-write";
        return System.Text.Encoding.UTF8.GetByteCount(temporary) <= 255 ? temporary : null;
    }

    public static MemoryStream OneFile(string name, ReadOnlyMemory<byte> content, int mode, DateTimeOffset modified) =>
        One(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = (UnixFileMode)mode,
            ModificationTime = modified,
            DataStream = new MemoryStream(content.ToArray(), writable: false),
        });

    public static MemoryStream OneFolder(string name, int mode, DateTimeOffset modified) =>
        One(new PaxTarEntry(TarEntryType.Directory, name + "/") { Mode = (UnixFileMode)mode, ModificationTime = modified });

    private static MemoryStream One(TarEntry entry)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
            writer.WriteEntry(entry);
        stream.Position = 0;
        return stream;
    }
}
