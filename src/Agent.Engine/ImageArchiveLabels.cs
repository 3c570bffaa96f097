using System.Formats.Tar;
using System.Text.Json;

namespace Agent.Engine;

/// <summary>The labels of the images in a `docker save` tar, read from its manifest.json and each image's config before
/// the engine loads anything (a load re-points tags, so refusing after it would already have changed what runs). Read
/// as the engine's JSON decoder reads them (<see cref="GoJsonKeys"/>): keys match case-insensitively, a repeated
/// string field takes the last value, repeated objects and maps merge.</summary>
public static class ImageArchiveLabels
{
    private const long MaxJsonBytes = 8 * 1024 * 1024;

    /// <summary>Each image's tags (or its config path when untagged) and labels; null when the tar has no manifest.json
    /// (an older layout: only the loaded images can tell). The stream is read twice and left at its start.</summary>
    public static async Task<IReadOnlyList<(string Image, IReadOnlyDictionary<string, string> Labels)>?> ReadAsync(Stream tar, CancellationToken ct)
    {
        var manifest = await ReadEntriesAsync(tar, name => name == "manifest.json", ct);
        if (!manifest.TryGetValue("manifest.json", out var manifestJson)) return null;
        var images = new List<(string Config, string Image)>();
        using (var document = JsonDocument.Parse(manifestJson))
        {
            foreach (var image in document.RootElement.EnumerateArray())
            {
                var config = GoJsonKeys.Values(image, "Config").LastOrDefault() is { ValueKind: JsonValueKind.String } c ? c.GetString() ?? "" : throw new KeyNotFoundException("an image in manifest.json names no Config");
                var tags = GoJsonKeys.Values(image, "RepoTags").LastOrDefault() is { ValueKind: JsonValueKind.Array } t ? t.EnumerateArray().Select(x => x.GetString()).OfType<string>().ToList() : [];
                images.Add((config, tags.Count > 0 ? string.Join(", ", tags) : config));
            }
        }
        var configs = await ReadEntriesAsync(tar, name => images.Any(i => i.Config == name), ct);
        return images.Select(i => (i.Image, Labels(configs.GetValueOrDefault(i.Config)))).ToList();
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

    private static async Task<Dictionary<string, byte[]>> ReadEntriesAsync(Stream tar, Func<string, bool> wanted, CancellationToken ct)
    {
        tar.Position = 0;
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        await using (var reader = new TarReader(tar, leaveOpen: true))
        {
            while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                if (entry.DataStream is null || !wanted(name)) continue;
                if (entry.Length > MaxJsonBytes) throw new EngineException($"{name} in the image tar is larger than {MaxJsonBytes} bytes", 400);
                using var copy = new MemoryStream();
                await entry.DataStream.CopyToAsync(copy, ct);
                found[name] = copy.ToArray();
            }
        }
        tar.Position = 0;
        return found;
    }
}
