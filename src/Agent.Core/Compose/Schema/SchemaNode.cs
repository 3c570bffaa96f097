namespace Agent.Core.Compose.Schema;

/// <summary>The JSON type of a value, as a flag set for a schema's <c>type</c> (the order is the one errors list them in).</summary>
[Flags]
public enum JsonKind
{
    None = 0,
    Array = 1,
    Boolean = 2,
    Integer = 4,
    Null = 8,
    Number = 16,
    Object = 32,
    String = 64,
}

/// <summary>One subschema of the subset of JSON Schema (draft-07) the Compose Specification's schema uses.</summary>
public sealed class SchemaNode
{
    public JsonKind Type { get; set; }
    public string? Ref { get; set; }
    public SchemaNode? Target { get; set; }
    public List<(string Name, SchemaNode Schema)> Properties { get; } = [];
    public HashSet<string> Required { get; } = new(StringComparer.Ordinal);
    public List<string> RequiredOrder { get; } = [];
    public List<(string Pattern, System.Text.RegularExpressions.Regex Regex, SchemaNode Schema)> PatternProperties { get; } = [];
    public bool AllowAdditionalProperties { get; set; } = true;
    public SchemaNode? AdditionalProperties { get; set; }
    public SchemaNode? Items { get; set; }
    public List<SchemaNode> OneOf { get; } = [];
    public List<SchemaNode> AnyOf { get; } = [];
    public List<SchemaNode> AllOf { get; } = [];
    public SchemaNode? Not { get; set; }
    /// <summary>The allowed values as text (JSON null as null), compared with a value's text like NJsonSchema did.</summary>
    public List<string?>? Enum { get; set; }
    public decimal? Minimum { get; set; }
    public decimal? Maximum { get; set; }
    public bool UniqueItems { get; set; }
    public int MinItems { get; set; }
    public int MaxItems { get; set; }
    public int MinProperties { get; set; }
    public int MaxProperties { get; set; }
    public string? Pattern { get; set; }
    public System.Text.RegularExpressions.Regex? PatternRegex { get; set; }

    /// <summary>The schema a <c>$ref</c> leads to (itself when it has none).</summary>
    public SchemaNode Actual
    {
        get
        {
            var s = this;
            for (var hops = 0; s.Target is not null && hops < 64; hops++) s = s.Target;
            return s;
        }
    }

    private bool? nullable;

    /// <summary>Whether JSON null is accepted without further checks: a null type or enum value, directly, through a
    /// <c>$ref</c>, or in a branch of an untyped <c>oneOf</c>.</summary>
    public bool IsNullable
    {
        get
        {
            if (nullable is { } known) return known;
            nullable = false; // a cycle through references answers no
            var result = (Enum?.Contains(null) ?? false) || Type.HasFlag(JsonKind.Null)
                || (Type == JsonKind.None && OneOf.Any(o => o.IsNullable))
                || (Actual != this && Actual.IsNullable)
                || (ActualType != this && ActualType.IsNullable);
            nullable = result;
            return result;
        }
    }

    /// <summary>The first oneOf branch that is not nullable (resolved), else the resolved schema.</summary>
    private SchemaNode ActualType => (Target ?? this).OneOf.FirstOrDefault(o => !o.IsNullable)?.Actual ?? Actual;
}
