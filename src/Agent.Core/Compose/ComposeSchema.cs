using System.Globalization;
using Agent.Core.Compose.Schema;
using Agent.Core.Manifests;
using Agent.Core.Model;

namespace Agent.Core.Compose;

/// <summary>Stage 3, validate: every compose file, once interpolated, against the official Compose Specification
/// JSON schema (manifests/schema/compose-spec.json, shipped inside this assembly), as compose-go does before it
/// builds its model. Each schema error is reported at the YAML node it concerns (file:line:column) with its field path.</summary>
public static class ComposeSchema
{
    private static readonly Lazy<SchemaNode> Schema = new(Read);

    public static void Validate(ComposeNode root, List<ManifestError> errors)
    {
        var value = ToValue(root, "");
        var before = errors.Count;
        foreach (var error in SchemaValidator.Validate(value, Schema.Value))
            Report(error, errors);
        // One problem is often seen through several schema branches: keep each (position, message) once.
        var unique = errors.Skip(before).Distinct().ToList();
        errors.RemoveRange(before, errors.Count - before);
        errors.AddRange(unique);
    }

    private static SchemaNode Read()
    {
        using var stream = typeof(ComposeSchema).Assembly.GetManifestResourceStream("Agent.Core.Compose.compose-spec.json")
            ?? throw new InvalidOperationException("compose-spec.json is not embedded in Agent.Core");
        using var reader = new StreamReader(stream);
        return SchemaReader.Read(reader.ReadToEnd());
    }

    /// <summary>The tree as the schema sees it: plain scalars typed by YAML 1.2's core schema (what compose-go's
    /// yaml.v3 does), quoted ones strings; every value with its origin.</summary>
    private static SchemaValue ToValue(ComposeNode node, string path) => node switch
    {
        ComposeMapping m => new SchemaValue
        {
            Kind = JsonKind.Object, At = node.At, Path = path,
            Entries = m.Entries.Select(entry =>
            {
                var childPath = path.Length == 0 ? entry.Key : $"{path}.{entry.Key}";
                return new SchemaEntry(entry.Key, entry.KeyAt, childPath, ToValue(entry.Value, childPath));
            }).ToList(),
        },
        ComposeSequence s => new SchemaValue { Kind = JsonKind.Array, At = node.At, Path = path, Items = s.Items.Select((item, i) => ToValue(item, $"{path}[{i}]")).ToList() },
        ComposeScalar { Value: null } => new SchemaValue { Kind = JsonKind.Null, At = node.At, Path = path },
        ComposeScalar { Quoted: true } q => new SchemaValue { Kind = JsonKind.String, Scalar = q.Value, At = node.At, Path = path },
        ComposeScalar plain => Plain(plain.Value!, node.At, path),
        _ => new SchemaValue { Kind = JsonKind.Null, At = node.At, Path = path },
    };

    private static SchemaValue Plain(string v, SourceLocation at, string path)
    {
        if (v is "true" or "True" or "TRUE") return new SchemaValue { Kind = JsonKind.Boolean, Scalar = true, At = at, Path = path };
        if (v is "false" or "False" or "FALSE") return new SchemaValue { Kind = JsonKind.Boolean, Scalar = false, At = at, Path = path };
        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return new SchemaValue { Kind = JsonKind.Integer, Scalar = l, At = at, Path = path };
        if (v.Length > 0 && (char.IsAsciiDigit(v[0]) || v[0] is '-' or '+' or '.')
            && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return new SchemaValue { Kind = JsonKind.Number, Scalar = d, At = at, Path = path };
        return new SchemaValue { Kind = JsonKind.String, Scalar = v, At = at, Path = path };
    }

    private static void Report(SchemaError error, List<ManifestError> errors)
    {
        if (error.Kind is SchemaErrorKind.NotOneOf or SchemaErrorKind.NotAnyOf && Closest(error) is { } branch)
        {
            // The value has the form of exactly one branch (the others fail on its type): that branch's errors say what to change.
            foreach (var inner in branch) Report(inner, errors);
            return;
        }
        if (error.Kind is SchemaErrorKind.AdditionalPropertiesNotValid or SchemaErrorKind.ArrayItemNotValid or SchemaErrorKind.NotAllOf
            && error.Branches.Any(b => b.Count > 0))
        {
            // A named entry (a service, a volume) that breaks its schema: what is wrong is inside it.
            foreach (var inner in error.Branches.SelectMany(b => b)) Report(inner, errors);
            return;
        }
        var at = error.Value.At;
        var path = error.Value.Path;
        if (error.Kind == SchemaErrorKind.NoAdditionalPropertiesAllowed && error.Entry is { } entry)
            (at, path) = (entry.At, entry.Path);
        else if (error.Kind == SchemaErrorKind.PropertyRequired && error.Property is { } required)
            path = path.Length == 0 ? required : $"{path}.{required}";
        errors.Add(new ManifestError(at.File, at.Line, at.Column, path, Message(error)));
    }

    /// <summary>Of a oneOf/anyOf's branches, the only one that accepts the value's type, or null when none or several do.</summary>
    private static IReadOnlyList<SchemaError>? Closest(SchemaError error)
    {
        var candidates = error.Branches.Where(branch => !branch.All(e => e.IsTypeMismatch && ReferenceEquals(e.Value, error.Value))).ToList();
        return candidates.Count == 1 ? candidates[0] : null;
    }

    private static string Message(SchemaError error)
    {
        var schema = error.Schema;
        var got = Describe(error.Value);
        var namePatterns = schema.PatternProperties.Select(p => p.Pattern).Where(k => k != "^x-").ToList();
        return error.Kind switch
        {
            SchemaErrorKind.NoAdditionalPropertiesAllowed when namePatterns.Count > 0 =>
                $"\"{error.Property}\" is not a valid name here (the Compose Specification allows {string.Join(" or ", namePatterns)})",
            SchemaErrorKind.NoAdditionalPropertiesAllowed => $"\"{error.Property}\" is not a field the Compose Specification allows here",
            SchemaErrorKind.PropertyRequired => $"missing required field \"{error.Property}\"",
            SchemaErrorKind.StringExpected => $"expected a string, got {got}",
            SchemaErrorKind.NumberExpected => $"expected a number, got {got}",
            SchemaErrorKind.IntegerExpected => $"expected a whole number, got {got}",
            SchemaErrorKind.BooleanExpected => $"expected true or false, got {got}",
            SchemaErrorKind.ObjectExpected => $"expected a mapping, got {got}",
            SchemaErrorKind.ArrayExpected => $"expected a list, got {got}",
            SchemaErrorKind.NullExpected => $"expected nothing (null), got {got}",
            SchemaErrorKind.NoTypeValidates => $"expected {Types(schema)}, got {got}",
            SchemaErrorKind.NotInEnumeration => $"{got} is not one of {string.Join(", ", schema.Enum?.Select(v => $"\"{v}\"") ?? [])}",
            SchemaErrorKind.PatternMismatch => $"{got} does not match the pattern {schema.Pattern}",
            SchemaErrorKind.NumberTooSmall or SchemaErrorKind.NumberTooBig =>
                $"{got} is out of range{(schema.Minimum is { } min ? $" (at least {min})" : "")}{(schema.Maximum is { } max ? $" (at most {max})" : "")}",
            SchemaErrorKind.ItemsNotUnique => "lists an item twice",
            SchemaErrorKind.TooFewItems => $"needs at least {schema.MinItems} item(s)",
            SchemaErrorKind.TooManyItems => $"takes at most {schema.MaxItems} item(s)",
            SchemaErrorKind.TooFewProperties => $"needs at least {schema.MinProperties} field(s)",
            SchemaErrorKind.NotOneOf or SchemaErrorKind.NotAnyOf => $"{got} matches none of the forms the Compose Specification allows here",
            _ => $"{got} is not valid here ({error.Kind})",
        };
    }

    private static string Types(SchemaNode schema)
    {
        if (schema.Type == JsonKind.None) return "another type";
        var names = Enum.GetValues<JsonKind>().Where(t => t != JsonKind.None && schema.Type.HasFlag(t))
            .Select(t => t switch { JsonKind.Object => "a mapping", JsonKind.Array => "a list", JsonKind.Null => "null", JsonKind.Integer => "a whole number", _ => "a " + t.ToString().ToLowerInvariant() });
        return string.Join(" or ", names);
    }

    private static string Describe(SchemaValue value) => value.Kind switch
    {
        // A compose file that is one scalar is not a compose file (a stray secret, probe-16 F12): never quoted.
        JsonKind.String or JsonKind.Number or JsonKind.Integer or JsonKind.Boolean when value.Path.Length == 0 =>
            YamlCursor.Shape(Convert.ToString(value.Scalar, CultureInfo.InvariantCulture) ?? ""),
        JsonKind.Object => "a mapping",
        JsonKind.Array => "a list",
        JsonKind.Null => "nothing (null)",
        JsonKind.String => YamlCursor.Quote(Convert.ToString(value.Scalar, CultureInfo.InvariantCulture) ?? ""),
        _ => Convert.ToString(value.Scalar, CultureInfo.InvariantCulture)?.ToLowerInvariant() ?? "a value",
    };
}
