using System.Security.Cryptography;
using System.Text;
using Agent.Core.Manifests;
using Agent.Core.Model;

namespace Agent.Sources;

/// <summary>
/// A cheap stamp (names, sizes, times; no content) of the build contexts the loaded objects use, added to the folder's
/// digest so that an edit the folder read does not see still reloads the manifests and with them the context's hash:
/// a `.dockerignore` or another hidden file, a context under Agent:Security:AllowedFileRoots outside the manifests folder,
/// a compose project's `.env` (hidden) or an env file outside the folder. A file that does not exist yet stamps nothing, so
/// creating it changes the stamp too.
/// </summary>
public static class BuildContextStamp
{
    private static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    /// <summary>The build contexts (folders) and the files compose projects read (a stack folder's hidden <c>.env</c>,
    /// env files outside the manifests folder).</summary>
    public static IReadOnlyList<string> ContextsOf(IEnumerable<IManifestObject?> objects)
    {
        var groups = objects.OfType<ServiceGroup>().ToList();
        return groups.SelectMany(g => g.Spec.Services).Select(s => s.Container.Build?.Context).OfType<string>()
            .Concat(groups.SelectMany(g => g.Compose?.InputFiles ?? []))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    public static string Of(IReadOnlyList<string> contexts)
    {
        if (contexts.Count == 0) return "";
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var context in contexts)
        {
            hash.AppendData(Encoding.UTF8.GetBytes("c\0" + context + "\n"));
            try
            {
                if (File.Exists(context)) Stamp(new FileInfo(context), hash);
                else Walk(new DirectoryInfo(context), hash);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                hash.AppendData(Encoding.UTF8.GetBytes("unreadable\0" + e.GetType().Name + "\n"));
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    private static void Walk(DirectoryInfo folder, IncrementalHash hash)
    {
        if (!folder.Exists) return;
        foreach (var entry in folder.EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            Stamp(entry, hash);
            if (entry is DirectoryInfo sub && entry.LinkTarget is null) Walk(sub, hash);
        }
    }

    private static void Stamp(FileSystemInfo entry, IncrementalHash hash)
    {
        // Just written: the time may not tell two writes apart yet, so the stamp changes until it settles. A folder's
        // own time says only that its listing changed, which its entries show.
        var written = entry is DirectoryInfo && entry.LinkTarget is null ? 0
            : DateTime.UtcNow - entry.LastWriteTimeUtc > RacyWindow ? entry.LastWriteTimeUtc.Ticks : DateTime.UtcNow.Ticks;
        var size = entry is FileInfo file && entry.LinkTarget is null ? file.Length : 0;
        hash.AppendData(Encoding.UTF8.GetBytes($"{entry.FullName}\0{size}\0{written}\0{entry.LinkTarget}\n"));
    }
}
