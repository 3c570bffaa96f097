using System.Formats.Tar;
using System.Text.Json;

namespace Agent.Engine;

/// <summary>The labels of the images in a `docker save` tar, read from its manifest.json and each image's config before
/// the engine loads anything (a load re-points tags, so refusing after it would already have changed what runs).</summary>
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
                var config = image.GetProperty("Config").GetString() ?? "";
                var tags = image.TryGetProperty("RepoTags", out var t) && t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().Select(x => x.GetString()).OfType<string>().ToList() : [];
                images.Add((config, tags.Count > 0 ? string.Join(", ", tags) : config));
            }
        }
        var configs = await ReadEntriesAsync(tar, name => images.Any(i => i.Config == name), ct);
        return images.Select(i => (i.Image, Labels(configs.GetValueOrDefault(i.Config)))).ToList();
    }

    private static IReadOnlyDictionary<string, string> Labels(byte[]? config)
    {
        if (config is null) return new Dictionary<string, string>();
        using var document = JsonDocument.Parse(config);
        return document.RootElement.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object
               && c.TryGetProperty("Labels", out var labels) && labels.ValueKind == JsonValueKind.Object
            ? labels.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText(), StringComparer.Ordinal)
            : new Dictionary<string, string>();
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
