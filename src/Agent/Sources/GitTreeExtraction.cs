using System.Formats.Tar;
using Agent.Core.Git;

namespace Agent.Sources;

/// <summary>
/// Writes a commit's tree (git archive's tar) into a staging folder. A symbolic link that leaves the repository (an
/// absolute target, or one above its root, lexically or through other links on disk) is not checked out: it is returned
/// as skipped, so a revision is never blocked by a link it does not use, and nothing reads through one.
/// </summary>
public static class GitTreeExtraction
{
    public static async Task<IReadOnlyList<GitLink>> ExtractAsync(Stream tar, string root, CancellationToken ct)
    {
        var skipped = new List<GitLink>();
        var links = new List<GitLink>();
        var folders = new HashSet<string>(StringComparer.Ordinal) { "" }; // made here: real folders, never links
        await using var reader = new TarReader(tar);
        while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
        {
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes) continue;
            var name = entry.Name.TrimEnd('/');
            if (name.Length == 0) continue;
            if (name.StartsWith('/') || name.Contains('\0') || name.Split('/').Any(p => p is "" or "." or ".."))
                throw new InvalidDataException($"the tree holds an entry named \"{name}\", which no checkout may");
            var slash = name.LastIndexOf('/');
            MakeFolders(root, slash < 0 ? "" : name[..slash], folders);
            var path = Path.Combine(root, name);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    MakeFolders(root, name, folders);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    await entry.ExtractToFileAsync(path, overwrite: false, ct);
                    break;
                case TarEntryType.SymbolicLink when GitLinks.Escapes(name, entry.LinkName):
                    skipped.Add(new GitLink(name, entry.LinkName));
                    break;
                case TarEntryType.SymbolicLink:
                    File.CreateSymbolicLink(path, entry.LinkName);
                    links.Add(new GitLink(name, entry.LinkName));
                    break;
                // git archive writes nothing else (a submodule is an empty folder); anything else is not checked out.
            }
        }
        // Lexically inside is not enough: `up -> ..` one folder down makes `x -> up/../..` leave the root on disk.
        var inside = ManifestFolder.Resolve(root);
        foreach (var link in links)
        {
            var resolved = ManifestFolder.Resolve(Path.Combine(root, link.Path));
            if (resolved == inside || resolved.StartsWith(inside + "/", StringComparison.Ordinal)) continue;
            File.Delete(Path.Combine(root, link.Path));
            skipped.Add(link);
        }
        return skipped;
    }

    /// <summary>Makes each missing folder of a repository path; one that exists must have been made here (an entry never
    /// writes through a link, nor over a file).</summary>
    private static void MakeFolders(string root, string relative, HashSet<string> folders)
    {
        if (folders.Contains(relative)) return;
        var slash = relative.LastIndexOf('/');
        MakeFolders(root, slash < 0 ? "" : relative[..slash], folders);
        var path = Path.Combine(root, relative);
        if (Path.Exists(path) || new FileInfo(path).LinkTarget is not null)
            throw new InvalidDataException($"the tree holds \"{relative}\" twice, or a path through a link");
        Directory.CreateDirectory(path);
        folders.Add(relative);
    }
}
