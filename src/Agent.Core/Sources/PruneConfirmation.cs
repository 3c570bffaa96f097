using System.Text.Json;

namespace Agent.Core.Sources;

/// <summary>The body of a mass-prune confirmation, <c>{"objects": ["Kind/name", ...]}</c>: the objects the admin saw held,
/// confirmed only when they are exactly what the guard holds.</summary>
public static class PruneConfirmation
{
    public const string Shape = "{\"objects\": [\"Kind/name\", ...]}";

    /// <summary>The objects named by <paramref name="json"/>, or why it is not such a body (the field named).</summary>
    public static (HashSet<string>? Objects, string? Error) Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e) // nested deeper than the reader allows (probe-27 F6.1: a 500), or not JSON
        {
            return (null, $"the body is not a confirmation ({e.Message}); the body is {Shape}");
        }
        using var _ = document;
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return (null, $"the body must be an object: {Shape}");
        var objects = new HashSet<string>(StringComparer.Ordinal);
        var seen = false;
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name != "objects") return (null, $"{property.Name}: unknown field; the body is {Shape}");
            if (seen) return (null, "objects: given twice");
            seen = true;
            if (property.Value.ValueKind != JsonValueKind.Array) return (null, "objects: must be a list of \"Kind/name\" (as GET /api/v1/prune lists them)");
            foreach (var item in property.Value.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 } name || !name.Contains('/'))
                    return (null, "objects: each is \"Kind/name\" (as GET /api/v1/prune lists them)");
                objects.Add(name);
            }
        }
        return seen ? (objects, null) : (null, $"objects: required; the body is {Shape}");
    }
}
