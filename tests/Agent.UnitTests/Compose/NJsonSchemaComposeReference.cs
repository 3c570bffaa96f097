using System.Globalization;
using Agent.Core.Compose;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;

namespace Agent.UnitTests.Compose;

/// <summary>The compose schema check as the agent made it with NJsonSchema before its own validator (NJsonSchema fails
/// under Native AOT): kept in the tests as the reference the own validator is compared with (ComposeSchemaReferenceTests).</summary>
public static class OldComposeSchema
{
    private static readonly Lazy<JsonSchema> Schema = new(Read);

    /// <summary>Where a JSON token came from: the YAML node's position and its field path.</summary>
    private sealed record Origin(SourceLocation At, string Path);

    public static void Validate(ComposeNode root, List<ManifestError> errors)
    {
        var token = ToToken(root, "");
        var before = errors.Count;
        foreach (var error in Schema.Value.Validate(token))
            Report(error, errors);
        // One problem is often seen through several schema branches: keep each (position, message) once.
        var unique = errors.Skip(before).Distinct().ToList();
        errors.RemoveRange(before, errors.Count - before);
        errors.AddRange(unique);
    }

    private static JsonSchema Read()
    {
        using var stream = typeof(Agent.Core.Compose.ComposeSchema).Assembly.GetManifestResourceStream("Agent.Core.Compose.compose-spec.json")
            ?? throw new InvalidOperationException("compose-spec.json is not embedded in Agent.Core");
        using var reader = new StreamReader(stream);
        // The schema has only local references: reading it completes synchronously, once per process.
        return JsonSchema.FromJsonAsync(reader.ReadToEnd()).GetAwaiter().GetResult();
    }

    /// <summary>The tree as the schema sees it: plain scalars typed by YAML 1.2's core schema (what compose-go's
    /// yaml.v3 does), quoted ones strings; every token annotated with its origin.</summary>
    private static JToken ToToken(ComposeNode node, string path)
    {
        JToken token;
        switch (node)
        {
            case ComposeMapping m:
                var obj = new JObject();
                foreach (var entry in m.Entries)
                {
                    var childPath = path.Length == 0 ? entry.Key : $"{path}.{entry.Key}";
                    var property = new JProperty(entry.Key, ToToken(entry.Value, childPath));
                    property.AddAnnotation(new Origin(entry.KeyAt, childPath));
                    obj.Add(property);
                }
                token = obj;
                break;
            case ComposeSequence s:
                token = new JArray(s.Items.Select((item, i) => ToToken(item, $"{path}[{i}]")));
                break;
            case ComposeScalar { Value: null }:
                token = JValue.CreateNull();
                break;
            case ComposeScalar { Quoted: true } q:
                token = new JValue(q.Value);
                break;
            case ComposeScalar plain:
                token = Plain(plain.Value!);
                break;
            default:
                token = JValue.CreateNull();
                break;
        }
        token.AddAnnotation(new Origin(node.At, path));
        return token;
    }

    private static JValue Plain(string v)
    {
        if (v is "true" or "True" or "TRUE") return new JValue(true);
        if (v is "false" or "False" or "FALSE") return new JValue(false);
        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return new JValue(l);
        if (v.Length > 0 && (char.IsAsciiDigit(v[0]) || v[0] is '-' or '+' or '.')
            && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return new JValue(d);
        return new JValue(v);
    }

    private static void Report(ValidationError error, List<ManifestError> errors)
    {
        if (error is ChildSchemaValidationError { Kind: ValidationErrorKind.NotOneOf or ValidationErrorKind.NotAnyOf } child
            && Closest(child) is { } branch)
        {
            // The value has the form of exactly one branch (the others fail on its type): that branch's errors say what to change.
            foreach (var inner in branch) Report(inner, errors);
            return;
        }
        if (error is ChildSchemaValidationError { Kind: not (ValidationErrorKind.NotOneOf or ValidationErrorKind.NotAnyOf) } nested
            && nested.Errors.Values.Any(e => e.Count > 0))
        {
            // A named entry (a service, a volume) that breaks its schema: what is wrong is inside it.
            foreach (var inner in nested.Errors.Values.SelectMany(e => e)) Report(inner, errors);
            return;
        }
        var origin = OriginOf(error.Token);
        var at = origin?.At ?? new SourceLocation("", 1, 1);
        var path = origin?.Path ?? "";
        if (error.Kind is ValidationErrorKind.NoAdditionalPropertiesAllowed or ValidationErrorKind.AdditionalPropertiesNotValid
            && error.Token?.Parent is JProperty property && property.Annotation<Origin>() is { } key)
        {
            at = key.At;
            path = key.Path;
        }
        else if (error.Kind == ValidationErrorKind.PropertyRequired && error.Property is { } required)
            path = path.Length == 0 ? required : $"{path}.{required}";
        errors.Add(new ManifestError(at.File, at.Line, at.Column, path, Message(error)));
    }

    /// <summary>Of a oneOf/anyOf's branches, the only one that accepts the value's type, or null when none or several do.</summary>
    private static ICollection<ValidationError>? Closest(ChildSchemaValidationError error)
    {
        var candidates = error.Errors.Values.Where(branch => !branch.All(e => IsTypeMismatch(e) && ReferenceEquals(e.Token, error.Token))).ToList();
        return candidates.Count == 1 ? candidates[0] : null;
    }

    private static bool IsTypeMismatch(ValidationError e) => e.Kind is ValidationErrorKind.StringExpected or ValidationErrorKind.NumberExpected
        or ValidationErrorKind.IntegerExpected or ValidationErrorKind.BooleanExpected or ValidationErrorKind.ObjectExpected
        or ValidationErrorKind.ArrayExpected or ValidationErrorKind.NullExpected or ValidationErrorKind.NoTypeValidates;

    private static Origin? OriginOf(JToken? token)
    {
        for (var t = token; t is not null; t = t.Parent)
            if (t.Annotation<Origin>() is { } origin) return origin;
        return null;
    }

    private static string Message(ValidationError error)
    {
        var schema = error.Schema;
        var got = Describe(error.Token);
        return error.Kind switch
        {
            ValidationErrorKind.NoAdditionalPropertiesAllowed or ValidationErrorKind.AdditionalPropertiesNotValid when schema?.PatternProperties.Keys.Any(k => k != "^x-") == true =>
                $"\"{error.Property}\" is not a valid name here (the Compose Specification allows {string.Join(" or ", schema.PatternProperties.Keys.Where(k => k != "^x-"))})",
            ValidationErrorKind.NoAdditionalPropertiesAllowed or ValidationErrorKind.AdditionalPropertiesNotValid =>
                $"\"{error.Property}\" is not a field the Compose Specification allows here",
            ValidationErrorKind.PropertyRequired => $"missing required field \"{error.Property}\"",
            ValidationErrorKind.StringExpected => $"expected a string, got {got}",
            ValidationErrorKind.NumberExpected => $"expected a number, got {got}",
            ValidationErrorKind.IntegerExpected => $"expected a whole number, got {got}",
            ValidationErrorKind.BooleanExpected => $"expected true or false, got {got}",
            ValidationErrorKind.ObjectExpected => $"expected a mapping, got {got}",
            ValidationErrorKind.ArrayExpected => $"expected a list, got {got}",
            ValidationErrorKind.NullExpected => $"expected nothing (null), got {got}",
            ValidationErrorKind.NoTypeValidates => $"expected {Types(schema)}, got {got}",
            ValidationErrorKind.NotInEnumeration => $"{got} is not one of {string.Join(", ", schema?.Enumeration.Select(v => $"\"{v}\"") ?? [])}",
            ValidationErrorKind.PatternMismatch => $"{got} does not match the pattern {schema?.Pattern}",
            ValidationErrorKind.NumberTooSmall or ValidationErrorKind.IntegerTooBig or ValidationErrorKind.NumberTooBig =>
                $"{got} is out of range{(schema?.Minimum is { } min ? $" (at least {min})" : "")}{(schema?.Maximum is { } max ? $" (at most {max})" : "")}",
            ValidationErrorKind.ItemsNotUnique => "lists an item twice",
            ValidationErrorKind.TooFewItems => $"needs at least {schema?.MinItems} item(s)",
            ValidationErrorKind.TooManyItems => $"takes at most {schema?.MaxItems} item(s)",
            ValidationErrorKind.TooFewProperties => $"needs at least {schema?.MinProperties} field(s)",
            ValidationErrorKind.NotOneOf or ValidationErrorKind.NotAnyOf => $"{got} matches none of the forms the Compose Specification allows here",
            _ => $"{got} is not valid here ({error.Kind})",
        };
    }

    private static string Types(JsonSchema? schema)
    {
        if (schema is null || schema.Type == JsonObjectType.None) return "another type";
        var names = Enum.GetValues<JsonObjectType>().Where(t => t != JsonObjectType.None && t != JsonObjectType.File && schema.Type.HasFlag(t))
            .Select(t => t switch { JsonObjectType.Object => "a mapping", JsonObjectType.Array => "a list", JsonObjectType.Null => "null", JsonObjectType.Integer => "a whole number", _ => "a " + t.ToString().ToLowerInvariant() });
        return string.Join(" or ", names);
    }

    private static string Describe(JToken? token) => token switch
    {
        JObject => "a mapping",
        JArray => "a list",
        JValue { Type: JTokenType.Null } => "nothing (null)",
        JValue { Type: JTokenType.String } v => $"\"{v.Value}\"",
        JValue v => Convert.ToString(v.Value, CultureInfo.InvariantCulture)?.ToLowerInvariant() ?? "a value",
        _ => "a value",
    };
}
