using System.Text.Json;
using System.Text.Json.Serialization;
using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>
/// A per-field diff of two container specs, like `kubectl diff` or `nomad job plan`: `~ image: a -> b` for a changed
/// field, `- env.LOG_LEVEL: info` / `+ env.LOG_LEVEL: debug` for map entries and list items. The previous spec is the
/// JSON the agent put in the container's spec label when it created it (the last-applied configuration).
/// </summary>
public static class SpecDiff
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    // Maps whose entries are added, removed and changed one by one (the manifest's own keys).
    private static readonly HashSet<string> Maps = ["env", "labels", "sysctls", "fileDigests"];

    public static string Serialize(ContainerSpec spec) => JsonSerializer.Serialize(spec, Json);

    /// <summary>The changed fields, in the order of the spec's fields; empty when the previous spec is unknown or unreadable.</summary>
    public static IReadOnlyList<string> Between(string? previousJson, ContainerSpec current)
    {
        if (string.IsNullOrEmpty(previousJson)) return [];
        Dictionary<string, string> before;
        try
        {
            using var doc = JsonDocument.Parse(previousJson);
            before = Flatten(doc.RootElement);
        }
        catch (JsonException)
        {
            return [];
        }
        using var now = JsonDocument.Parse(Serialize(current));
        var after = Flatten(now.RootElement);
        var lines = new List<string>();
        foreach (var (path, value) in after)
        {
            if (!before.TryGetValue(path, out var old))
                lines.Add($"+ {path}: {value}");
            else if (old != value)
                lines.AddRange(IsMapEntry(path) ? [$"- {path}: {old}", $"+ {path}: {value}"] : [$"~ {path}: {old} -> {value}"]);
        }
        foreach (var (path, old) in before)
            if (!after.ContainsKey(path)) lines.Add($"- {path}: {old}");
        return lines;
    }

    private static bool IsMapEntry(string path) => path.IndexOf('.') is var dot and > 0 && Maps.Contains(path[..dot]);

    private static Dictionary<string, string> Flatten(JsonElement root)
    {
        var leaves = new Dictionary<string, string>(StringComparer.Ordinal);
        Walk(root, "", leaves);
        return leaves;
    }

    private static void Walk(JsonElement e, string path, Dictionary<string, string> leaves)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Walk(p.Value, path.Length == 0 ? p.Name : $"{path}.{p.Name}", leaves);
                break;
            case JsonValueKind.Array when e.EnumerateArray().All(i => i.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)):
                if (e.GetArrayLength() > 0) leaves[path] = "[" + string.Join(", ", e.EnumerateArray().Select(Scalar)) + "]";
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in e.EnumerateArray()) leaves[$"{path}[{index++}]"] = Compact(item);
                break;
            default:
                leaves[path] = Scalar(e);
                break;
        }
    }

    private static string Scalar(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();

    private static string Compact(JsonElement e) => e.ValueKind == JsonValueKind.Object
        ? "{" + string.Join(", ", e.EnumerateObject().Select(p => $"{p.Name}: {(p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? p.Value.GetRawText() : Scalar(p.Value))}")) + "}"
        : e.GetRawText();
}
