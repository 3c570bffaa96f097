using System.Text.Json;
using System.Text.Json.Serialization;
using Agent.Core.Json;
using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>
/// A per-field diff of two container specs, like `kubectl diff` or `nomad job plan`: `~ image: a -> b` for a changed
/// field, `- env.LOG_LEVEL: info` / `+ env.LOG_LEVEL: debug` for map entries and list items. The previous spec is the
/// JSON the agent put in the container's spec label when it created it (the last-applied configuration).
/// </summary>
public static class SpecDiff
{
    private static readonly JsonSerializerOptions Json = CoreJson.Options(new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = CoreJsonContext.Default,
    }, JsonNamingPolicy.CamelCase);

    // Maps whose entries are added, removed and changed one by one (the manifest's own keys).
    private static readonly HashSet<string> Maps = ["env", "labels", "sysctls", "fileDigests"];

    /// <summary>The spec as the applied-spec label holds it: values read from env files (<see cref="ContainerSpec.SecretEnv"/>,
    /// <see cref="BuildSpec.SecretArgs"/>) as a digest, so neither the label nor a diff ever shows a secret.</summary>
    public static string Serialize(ContainerSpec spec) => JsonSerializer.Serialize(Masked(spec), Json.Info<ContainerSpec>());

    /// <summary>The spec an applied-spec label holds (its secrets as digests); null when it is missing or unreadable.</summary>
    public static ContainerSpec? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            return JsonSerializer.Deserialize(json, Json.Info<ContainerSpec>());
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException)
        {
            return null;
        }
    }

    private static ContainerSpec Masked(ContainerSpec spec)
    {
        if (spec.SecretEnv.Count > 0)
            spec = spec with { Env = Mask(spec.Env, spec.SecretEnv) };
        if (spec.Build is { SecretArgs.Count: > 0 } build)
            spec = spec with { Build = build with { Args = Mask(build.Args, build.SecretArgs) } };
        return spec;
    }

    private static Dictionary<string, string> Mask(IReadOnlyDictionary<string, string> values, IReadOnlySet<string> secret) =>
        values.ToDictionary(e => e.Key, e => secret.Contains(e.Key) ? Secret(e.Value) : e.Value, StringComparer.Ordinal);

    private const string SecretPrefix = "(secret sha256:";

    private static string Secret(string value) =>
        $"{SecretPrefix}{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(value)))[..12]})";

    private static bool IsSecret(string value) => value.StartsWith(SecretPrefix, StringComparison.Ordinal);

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
        // A secret now was maybe plain in a label written before secrets were masked: never show it either.
        foreach (var path in current.SecretEnv.Select(k => $"env.{k}").Concat(current.Build?.SecretArgs.Select(k => $"build.args.{k}") ?? []))
            if (before.TryGetValue(path, out var plain) && !IsSecret(plain)) before[path] = Secret(plain);
        var lines = new List<string>();
        foreach (var (path, value) in after)
        {
            if (!before.TryGetValue(path, out var old))
                lines.Add($"+ {path}: {Shown(value)}");
            else if (old != value)
                lines.AddRange(IsSecret(old) || IsSecret(value) ? [$"~ {path}: (secret changed)"]
                    : IsMapEntry(path) ? [$"- {path}: {old}", $"+ {path}: {value}"] : [$"~ {path}: {old} -> {value}"]);
        }
        foreach (var (path, old) in before)
            if (!after.ContainsKey(path)) lines.Add($"- {path}: {Shown(old)}");
        return lines;
    }

    private static string Shown(string value) => IsSecret(value) ? "(secret)" : value;

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
