using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Agent.Core.Compose.Schema;

/// <summary>Reads a JSON Schema document into <see cref="SchemaNode"/>s. Only the keywords the Compose Specification's
/// schema uses are understood; any other keyword that would constrain values is refused, so a newer schema cannot be
/// half-applied silently.</summary>
public static class SchemaReader
{
    private static readonly HashSet<string> Annotations = ["$schema", "$id", "id", "title", "description", "deprecated", "default", "examples", "definitions", "$comment"];

    public static SchemaNode Read(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var byPointer = new Dictionary<string, SchemaNode>(StringComparer.Ordinal);
        var root = Node(doc.RootElement, "#", byPointer);
        if (doc.RootElement.TryGetProperty("definitions", out var definitions))
            foreach (var d in definitions.EnumerateObject())
                Node(d.Value, $"#/definitions/{d.Name}", byPointer);
        foreach (var node in byPointer.Values.Where(n => n.Ref is not null))
            node.Target = byPointer.GetValueOrDefault(node.Ref!) ?? throw new InvalidOperationException($"schema reference {node.Ref} not found");
        return root;
    }

    private static SchemaNode Node(JsonElement e, string pointer, Dictionary<string, SchemaNode> byPointer)
    {
        if (byPointer.TryGetValue(pointer, out var known)) return known;
        var node = new SchemaNode();
        byPointer[pointer] = node;
        if (e.ValueKind == JsonValueKind.True) return node;
        if (e.ValueKind == JsonValueKind.False) { node.Not = new SchemaNode(); return node; }
        foreach (var p in e.EnumerateObject())
        {
            var at = $"{pointer}/{p.Name}";
            switch (p.Name)
            {
                case "$ref": node.Ref = p.Value.GetString(); break;
                case "type":
                    node.Type = p.Value.ValueKind == JsonValueKind.Array
                        ? p.Value.EnumerateArray().Aggregate(JsonKind.None, (k, t) => k | Kind(t.GetString()!))
                        : Kind(p.Value.GetString()!);
                    break;
                case "properties":
                    foreach (var prop in p.Value.EnumerateObject()) node.Properties.Add((prop.Name, Node(prop.Value, $"{at}/{prop.Name}", byPointer)));
                    break;
                case "patternProperties":
                    foreach (var prop in p.Value.EnumerateObject())
                        node.PatternProperties.Add((prop.Name, new Regex(prop.Name, RegexOptions.CultureInvariant), Node(prop.Value, $"{at}/{prop.Name}", byPointer)));
                    break;
                case "additionalProperties":
                    if (p.Value.ValueKind == JsonValueKind.False) node.AllowAdditionalProperties = false;
                    else if (p.Value.ValueKind == JsonValueKind.Object) node.AdditionalProperties = Node(p.Value, at, byPointer);
                    break;
                case "required":
                    foreach (var r in p.Value.EnumerateArray())
                        if (node.Required.Add(r.GetString()!)) node.RequiredOrder.Add(r.GetString()!);
                    break;
                case "items":
                    if (p.Value.ValueKind == JsonValueKind.Array) throw Unsupported("items as a list (tuples)", at);
                    node.Items = Node(p.Value, at, byPointer);
                    break;
                case "oneOf": node.OneOf.AddRange(Branches(p.Value, at, byPointer)); break;
                case "anyOf": node.AnyOf.AddRange(Branches(p.Value, at, byPointer)); break;
                case "allOf": node.AllOf.AddRange(Branches(p.Value, at, byPointer)); break;
                case "not": node.Not = Node(p.Value, at, byPointer); break;
                case "enum": node.Enum = p.Value.EnumerateArray().Select(Text).ToList(); break;
                case "minimum": node.Minimum = p.Value.GetDecimal(); break;
                case "maximum": node.Maximum = p.Value.GetDecimal(); break;
                case "uniqueItems": node.UniqueItems = p.Value.GetBoolean(); break;
                case "minItems": node.MinItems = p.Value.GetInt32(); break;
                case "maxItems": node.MaxItems = p.Value.GetInt32(); break;
                case "minProperties": node.MinProperties = p.Value.GetInt32(); break;
                case "maxProperties": node.MaxProperties = p.Value.GetInt32(); break;
                case "pattern":
                    node.Pattern = p.Value.GetString();
                    node.PatternRegex = new Regex(node.Pattern!, RegexOptions.CultureInvariant);
                    break;
                case "definitions": break; // read by Read, addressed by $ref
                default:
                    if (!Annotations.Contains(p.Name)) throw Unsupported($"keyword \"{p.Name}\"", at);
                    break;
            }
        }
        return node;
    }

    private static IEnumerable<SchemaNode> Branches(JsonElement list, string at, Dictionary<string, SchemaNode> byPointer) =>
        list.EnumerateArray().Select((b, i) => Node(b, $"{at}/{i}", byPointer)).ToList();

    private static JsonKind Kind(string name) => name switch
    {
        "array" => JsonKind.Array,
        "boolean" => JsonKind.Boolean,
        "integer" => JsonKind.Integer,
        "null" => JsonKind.Null,
        "number" => JsonKind.Number,
        "object" => JsonKind.Object,
        "string" => JsonKind.String,
        _ => throw new InvalidOperationException($"unknown schema type \"{name}\""),
    };

    /// <summary>An enum value as text: strings bare, numbers and booleans as .NET prints them (what the values are compared by).</summary>
    private static string? Text(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Null => null,
        JsonValueKind.True => "True",
        JsonValueKind.False => "False",
        JsonValueKind.Number when v.TryGetInt64(out var l) => l.ToString(CultureInfo.InvariantCulture),
        JsonValueKind.Number => v.GetDouble().ToString(CultureInfo.InvariantCulture),
        _ => v.GetRawText(),
    };

    private static InvalidOperationException Unsupported(string what, string at) =>
        new($"the compose schema uses {what} at {at}, which the agent's schema validator does not implement");
}
