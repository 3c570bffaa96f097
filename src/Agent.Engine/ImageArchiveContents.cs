using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;

namespace Agent.Engine;

/// <summary>One image of a `docker save` tar as the engine will load it.</summary>
/// <param name="Tags">The names the load gives it (RepoTags): each re-points that name on the engine.</param>
/// <param name="Id">The id the engine gives it (the digest of its config), or null when the tar lacks the config.</param>
public sealed record ArchivedImage(IReadOnlyList<string> Tags, string Config, string? Id, IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>How errors name it: its tags, or its config path when it has none.</summary>
    public string Image => Tags.Count > 0 ? string.Join(", ", Tags) : Config;
}

/// <summary>The images of a `docker save` tar, read from its manifest.json and each image's config before the engine
/// loads anything (a load re-points tags, so refusing after it would already have changed what runs). Read as the
/// engine's JSON decoder reads them (<see cref="GoJsonKeys"/>): keys match case-insensitively, a repeated string field
/// takes the last value, repeated objects and maps merge.</summary>
public static class ImageArchiveContents
{
    private const long MaxJsonBytes = 8 * 1024 * 1024;

    /// <summary>Each image's tags, id and labels; null when the tar has no manifest.json (an older layout: only the loaded
    /// images can tell). The stream is read twice and left at its start.</summary>
    public static async Task<IReadOnlyList<ArchivedImage>?> ReadAsync(Stream tar, CancellationToken ct)
    {
        var manifest = await ReadEntriesAsync(tar, name => name == "manifest.json", ct);
        if (!manifest.TryGetValue("manifest.json", out var manifestJson)) return null;
        var images = new List<(string Config, List<string> Tags)>();
        using (var document = JsonDocument.Parse(manifestJson))
        {
            foreach (var image in document.RootElement.EnumerateArray())
            {
                var config = GoJsonKeys.Values(image, "Config").LastOrDefault() is { ValueKind: JsonValueKind.String } c ? c.GetString() ?? "" : throw new KeyNotFoundException("an image in manifest.json names no Config");
                var tags = GoJsonKeys.Values(image, "RepoTags").LastOrDefault() is { ValueKind: JsonValueKind.Array } t ? t.EnumerateArray().Select(x => x.GetString()).OfType<string>().ToList() : [];
                images.Add((config, tags));
            }
        }
        images = images.Select(i => (UnpackedName(i.Config), i.Tags)).ToList();
        var configs = await ReadEntriesAsync(tar, name => images.Any(i => i.Config == name), ct);
        return images.Select(i =>
        {
            // What the engine reads is the file the tar leaves at that path once unpacked: one the tar does not hold as a
            // file would be judged on nothing (probe-37: a config given as a link to another entry loaded agent labels).
            var config = configs.GetValueOrDefault(i.Config)
                         ?? throw new InvalidDataException($"manifest.json names the config {i.Config}, which the tar does not hold as a file");
            return new ArchivedImage(i.Tags, i.Config, config is null ? null : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(config)), Labels(config));
        }).ToList();
    }

    /// <summary>The labels of <c>config</c> (what containers inherit) and of <c>container_config</c>, every spelling and
    /// repetition of each key merged, as the engine decodes them into one map.</summary>
    private static IReadOnlyDictionary<string, string> Labels(byte[]? config)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        if (config is null) return found;
        using var document = JsonDocument.Parse(config);
        foreach (var section in GoJsonKeys.Values(document.RootElement, "config").Concat(GoJsonKeys.Values(document.RootElement, "container_config")))
            foreach (var labels in GoJsonKeys.Values(section, "Labels").Where(l => l.ValueKind == JsonValueKind.Object))
                foreach (var label in labels.EnumerateObject())
                    found[label.Name] = label.Value.ValueKind == JsonValueKind.String ? label.Value.GetString()! : label.Value.GetRawText();
        return found;
    }

    /// <summary>An entry's name as the engine unpacks it (Go's filepath.Clean): "./a//b/../c" is "a/c"; one that climbs
    /// out is kept as written (the engine refuses it).</summary>
    private static string UnpackedName(string name) => Core.Build.ContextArchive.Clean(name) ?? name;

    private static async Task<Dictionary<string, byte[]>> ReadEntriesAsync(Stream tar, Func<string, bool> wanted, CancellationToken ct)
    {
        tar.Position = 0;
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var links = new List<(string Name, string Target)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = new TarReader(tar, leaveOpen: true))
        {
            while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                var name = UnpackedName(entry.Name);
                if (entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink) links.Add((name, entry.LinkName));
                if (!wanted(name)) continue;
                seen.Add(name);
                found.Remove(name); // the last entry of a name is what the unpacked tar holds there
                if (entry.DataStream is null) continue;
                if (entry.Length > MaxJsonBytes) throw new EngineException($"{name} in the image tar is larger than {MaxJsonBytes} bytes", 400);
                using var copy = new MemoryStream();
                await entry.DataStream.CopyToAsync(copy, ct);
                found[name] = copy.ToArray();
            }
        }
        tar.Position = 0;
        // A link at a read file's path or at a folder above it makes the engine read another entry than the one judged.
        foreach (var name in seen)
            if (links.FirstOrDefault(l => l.Name == name || name.StartsWith(l.Name + "/", StringComparison.Ordinal)) is { Name: not null } link)
                throw new InvalidDataException(link.Name == name
                    ? $"{name} in the image tar is a link to {link.Target}: `docker save` writes it as a file. Nothing was loaded."
                    : $"{name} in the image tar lies below a link ({link.Name} to {link.Target}): `docker save` writes it as a file. Nothing was loaded.");
        return found;
    }
}
