namespace Agent.Core.Compose.Schema;

public enum SchemaErrorKind
{
    StringExpected, NumberExpected, IntegerExpected, BooleanExpected, ObjectExpected, ArrayExpected, NullExpected,
    NoTypeValidates, NotInEnumeration, PatternMismatch, NumberTooSmall, NumberTooBig, ItemsNotUnique, TooFewItems, TooManyItems,
    TooFewProperties, TooManyProperties, PropertyRequired, NoAdditionalPropertiesAllowed, AdditionalPropertiesNotValid,
    ArrayItemNotValid, NotOneOf, NotAnyOf, NotAllOf, ExcludedSchemaValidates,
}

/// <summary>One schema error. <see cref="Branches"/> holds, for errors about subschemas (oneOf/anyOf branches, a
/// property's or an item's schema), each subschema's own errors; <see cref="Entry"/> the object entry it concerns.</summary>
public sealed record SchemaError(SchemaErrorKind Kind, SchemaValue Value, SchemaNode Schema, string? Property = null)
{
    public IReadOnlyList<IReadOnlyList<SchemaError>> Branches { get; init; } = [];
    public SchemaEntry? Entry { get; init; }
    public bool IsTypeMismatch => Kind is SchemaErrorKind.StringExpected or SchemaErrorKind.NumberExpected or SchemaErrorKind.IntegerExpected
        or SchemaErrorKind.BooleanExpected or SchemaErrorKind.ObjectExpected or SchemaErrorKind.ArrayExpected or SchemaErrorKind.NullExpected
        or SchemaErrorKind.NoTypeValidates;
}

/// <summary>
/// Validates a value against a <see cref="SchemaNode"/> and returns the errors as a tree, in the order and shape the
/// agent's messages were built from when it used NJsonSchema (which fails under Native AOT): composition keywords, then
/// type (with several types, only when none of them fits), enum, then properties (listed, required, pattern,
/// additional). A null value skips the checks of a schema that allows null.
/// </summary>
public static class SchemaValidator
{
    public static List<SchemaError> Validate(SchemaValue value, SchemaNode schema)
    {
        schema = schema.Actual;
        var errors = new List<SchemaError>();
        if (schema.AnyOf.Count > 0 && Branches(value, schema.AnyOf) is var any && any.All(b => b.Count > 0))
            errors.Add(new SchemaError(SchemaErrorKind.NotAnyOf, value, schema) { Branches = any });
        if (schema.AllOf.Count > 0 && Branches(value, schema.AllOf) is var all && all.Any(b => b.Count > 0))
            errors.Add(new SchemaError(SchemaErrorKind.NotAllOf, value, schema) { Branches = all });
        if (schema.OneOf.Count > 0 && Branches(value, schema.OneOf) is var one && one.Count(b => b.Count == 0) != 1)
            errors.Add(new SchemaError(SchemaErrorKind.NotOneOf, value, schema) { Branches = one });
        if (schema.Not is { } not && Validate(value, not).Count == 0)
            errors.Add(new SchemaError(SchemaErrorKind.ExcludedSchemaValidates, value, schema));
        ValidateType(value, schema, errors);
        if (!(value.Kind == JsonKind.Null && schema.IsNullable) && schema.Enum is { Count: > 0 } allowed && !allowed.Contains(value.Text))
            errors.Add(new SchemaError(SchemaErrorKind.NotInEnumeration, value, schema));
        ValidateProperties(value, schema, errors);
        return errors;
    }

    private static List<IReadOnlyList<SchemaError>> Branches(SchemaValue value, List<SchemaNode> branches) =>
        branches.Select(IReadOnlyList<SchemaError> (b) => Validate(value, b)).ToList();

    private static void ValidateType(SchemaValue value, SchemaNode schema, List<SchemaError> errors)
    {
        if (value.Kind == JsonKind.Null && schema.IsNullable) return;
        var types = Enum.GetValues<JsonKind>().Where(t => t != JsonKind.None && schema.Type.HasFlag(t)).ToList();
        if (types.Count <= 1)
        {
            ValidateAs(value, schema, schema.Type, errors);
            return;
        }
        var perType = types.Select(t =>
        {
            var found = new List<SchemaError>();
            ValidateAs(value, schema, t, found);
            return found;
        }).ToList();
        if (perType.All(f => f.Count > 0)) errors.Add(new SchemaError(SchemaErrorKind.NoTypeValidates, value, schema));
    }

    /// <summary>The checks of one type (all of them, for a schema without type): the kind of value, and the keywords that
    /// apply to the value's own kind (items, pattern, range) whatever the type asked for.</summary>
    private static void ValidateAs(SchemaValue value, SchemaNode schema, JsonKind type, List<SchemaError> errors)
    {
        ValidateArray(value, schema, type, errors);
        if (value.Kind == JsonKind.String)
        {
            if (schema.PatternRegex is { } pattern && !pattern.IsMatch((string)value.Scalar!))
                errors.Add(new SchemaError(SchemaErrorKind.PatternMismatch, value, schema));
        }
        else if (type.HasFlag(JsonKind.String)) errors.Add(new SchemaError(SchemaErrorKind.StringExpected, value, schema));
        var isNumber = value.Kind is JsonKind.Integer or JsonKind.Number;
        if (type.HasFlag(JsonKind.Number) && !isNumber) errors.Add(new SchemaError(SchemaErrorKind.NumberExpected, value, schema));
        if (isNumber) ValidateRange(value, schema, errors);
        if (type.HasFlag(JsonKind.Integer) && value.Kind != JsonKind.Integer) errors.Add(new SchemaError(SchemaErrorKind.IntegerExpected, value, schema));
        if (type.HasFlag(JsonKind.Boolean) && value.Kind != JsonKind.Boolean) errors.Add(new SchemaError(SchemaErrorKind.BooleanExpected, value, schema));
        if (type.HasFlag(JsonKind.Null) && value.Kind != JsonKind.Null) errors.Add(new SchemaError(SchemaErrorKind.NullExpected, value, schema));
        if (type.HasFlag(JsonKind.Object) && value.Kind != JsonKind.Object) errors.Add(new SchemaError(SchemaErrorKind.ObjectExpected, value, schema));
    }

    private static void ValidateRange(SchemaValue value, SchemaNode schema, List<SchemaError> errors)
    {
        bool below, above;
        if (value.Scalar is long l)
            (below, above) = (l < schema.Minimum, l > schema.Maximum);
        else
        {
            var d = (double)value.Scalar!;
            (below, above) = (schema.Minimum is { } min && d < (double)min, schema.Maximum is { } max && d > (double)max);
        }
        if (below) errors.Add(new SchemaError(SchemaErrorKind.NumberTooSmall, value, schema));
        if (above) errors.Add(new SchemaError(SchemaErrorKind.NumberTooBig, value, schema));
    }

    private static void ValidateArray(SchemaValue value, SchemaNode schema, JsonKind type, List<SchemaError> errors)
    {
        if (value.Kind != JsonKind.Array)
        {
            if (type.HasFlag(JsonKind.Array)) errors.Add(new SchemaError(SchemaErrorKind.ArrayExpected, value, schema));
            return;
        }
        if (schema.MinItems > 0 && value.Items.Count < schema.MinItems) errors.Add(new SchemaError(SchemaErrorKind.TooFewItems, value, schema));
        if (schema.MaxItems > 0 && value.Items.Count > schema.MaxItems) errors.Add(new SchemaError(SchemaErrorKind.TooManyItems, value, schema));
        if (schema.UniqueItems && value.Items.Select(i => i.Text).Distinct(StringComparer.Ordinal).Count() != value.Items.Count)
            errors.Add(new SchemaError(SchemaErrorKind.ItemsNotUnique, value, schema));
        if (schema.Items is { } items)
            foreach (var item in value.Items)
                if (Child(item, items, SchemaErrorKind.ArrayItemNotValid, null) is { } error) errors.Add(error);
    }

    private static void ValidateProperties(SchemaValue value, SchemaNode schema, List<SchemaError> errors)
    {
        var isObject = value.Kind == JsonKind.Object;
        if (!isObject && schema.Type.HasFlag(JsonKind.Null)) return;
        var listed = new HashSet<string>(schema.Properties.Select(p => p.Name), StringComparer.Ordinal);
        foreach (var (name, property) in schema.Properties)
        {
            if (isObject && value.Entry(name) is { } entry)
            {
                if (entry.Value.Kind == JsonKind.Null && property.IsNullable) continue;
                errors.AddRange(Validate(entry.Value, property));
            }
            else if (schema.Required.Contains(name))
                errors.Add(new SchemaError(SchemaErrorKind.PropertyRequired, value, schema, name));
        }
        foreach (var name in schema.RequiredOrder.Where(r => !listed.Contains(r)))
            if (!isObject || value.Entry(name) is null)
                errors.Add(new SchemaError(SchemaErrorKind.PropertyRequired, value, schema, name));
        if (!isObject) return;
        if (schema.MaxProperties > 0 && value.Entries.Count > schema.MaxProperties) errors.Add(new SchemaError(SchemaErrorKind.TooManyProperties, value, schema));
        if (schema.MinProperties > 0 && value.Entries.Count < schema.MinProperties) errors.Add(new SchemaError(SchemaErrorKind.TooFewProperties, value, schema));
        var additional = value.Entries.Where(e => !listed.Contains(e.Name)).ToList();
        foreach (var entry in value.Entries)
        {
            var match = schema.PatternProperties.FirstOrDefault(p => p.Regex.IsMatch(entry.Name));
            if (match.Schema is null) continue;
            if (Child(entry.Value, match.Schema, SchemaErrorKind.AdditionalPropertiesNotValid, entry) is { } error) errors.Add(error);
            additional.Remove(entry);
        }
        if (schema.AdditionalProperties is { } additionalSchema)
        {
            foreach (var entry in additional)
                if (Child(entry.Value, additionalSchema, SchemaErrorKind.AdditionalPropertiesNotValid, entry) is { } error) errors.Add(error);
        }
        else if (!schema.AllowAdditionalProperties)
            foreach (var entry in additional)
                errors.Add(new SchemaError(SchemaErrorKind.NoAdditionalPropertiesAllowed, entry.Value, schema, entry.Name) { Entry = entry });
    }

    private static SchemaError? Child(SchemaValue value, SchemaNode schema, SchemaErrorKind kind, SchemaEntry? entry)
    {
        var inner = Validate(value, schema);
        return inner.Count == 0 ? null : new SchemaError(kind, value, schema.Actual, entry?.Name) { Branches = [inner], Entry = entry };
    }
}
