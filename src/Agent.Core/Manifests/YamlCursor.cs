using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Agent.Core.Manifests;

/// <summary>
/// A position in a YAML document (node + field path) with typed, strict readers. Every read either
/// returns a value or records a <see cref="ManifestError"/> at the node's own line and column.
/// </summary>
internal sealed class YamlCursor
{
    public YamlCursor(YamlNode node, string path, ParseContext context)
    {
        Node = node;
        Path = path;
        Context = context;
        context.Locations.TryAdd(path, node.Start);
    }

    public YamlNode Node { get; }
    public string Path { get; }
    public ParseContext Context { get; }

    public void Error(string message) => Context.Error(Node.Start, Path, message);

    public Model.SourceLocation Location => Context.Location(Node.Start);

    public YamlCursor Field(YamlNode child, string name) => new(child, Path.Length == 0 ? name : $"{Path}.{name}", Context);
    public YamlCursor Item(YamlNode child, int index) => new(child, $"{Path}[{index}]", Context);

    public bool IsNull => Node is YamlScalarNode { Style: ScalarStyle.Plain } s && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");

    /// <summary>Reads a mapping strictly: each key must be one of <paramref name="known"/>; duplicates and unknown keys are errors.</summary>
    public Dictionary<string, YamlCursor>? Mapping(params string[] known)
    {
        if (Node is not YamlMappingNode map)
        {
            Error($"expected a mapping{(known.Length > 0 ? " with " + string.Join(", ", known.Take(6)) + (known.Length > 6 ? ", ..." : "") : "")}, got {Describe(Node)}");
            return null;
        }
        var fields = new Dictionary<string, YamlCursor>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } || key.Contains('\0'))
            {
                Context.Error(keyNode.Start, Path, "keys must be plain strings without NUL characters");
                continue;
            }
            var childPath = Path.Length == 0 ? key : $"{Path}.{key}";
            if (known.Length > 0 && !known.Contains(key, StringComparer.Ordinal))
            {
                var hint = Suggest(key, known);
                Context.Error(keyNode.Start, childPath, $"unknown field \"{key}\"{(hint is null ? "" : $" (did you mean \"{hint}\"?)")}");
                continue;
            }
            if (!fields.TryAdd(key, Field(value, key)))
                Context.Error(keyNode.Start, childPath, $"duplicate field \"{key}\"");
        }
        return fields;
    }

    /// <summary>Reads a mapping whose keys are free names (labels, env, sysctls): string keys, no duplicates.</summary>
    public IEnumerable<(string Key, YamlCursor Value, Mark KeyMark)> Entries()
    {
        if (Node is not YamlMappingNode map)
        {
            Error($"expected a mapping, got {Describe(Node)}");
            yield break;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } || key.Length == 0 || key.Contains('\0'))
            {
                Context.Error(keyNode.Start, Path, "keys must be non-empty strings without NUL characters");
                continue;
            }
            if (!seen.Add(key))
            {
                Context.Error(keyNode.Start, $"{Path}.{key}", $"duplicate key \"{key}\"");
                continue;
            }
            yield return (key, Field(value, key), keyNode.Start);
        }
    }

    public IReadOnlyList<YamlCursor>? Sequence()
    {
        if (Node is not YamlSequenceNode seq)
        {
            Error($"expected a list, got {Describe(Node)}");
            return null;
        }
        return seq.Children.Select(Item).ToList();
    }

    /// <summary>A scalar as text: strings, and numbers or booleans as written.</summary>
    public string? Scalar()
    {
        if (Node is YamlScalarNode { Value: { } value } && !IsNull)
        {
            if (!value.Contains('\0')) return value;
            Error("the value contains a NUL character");
            return null;
        }
        Error($"expected a string, got {Describe(Node)}");
        return null;
    }

    public string? String()
    {
        if (Node is YamlScalarNode { Value: { } value } s && !IsNull)
        {
            if (value.Contains('\0'))
            {
                Error("the value contains a NUL character");
                return null;
            }
            if (s.Style == ScalarStyle.Plain && (IsBool(value) || IsNumber(value)))
            {
                Error($"expected a string, got {value} (quote it: \"{value}\")");
                return null;
            }
            return value;
        }
        Error($"expected a string, got {Describe(Node)}");
        return null;
    }

    public bool? Bool()
    {
        if (Node is YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } s) return s.Value == "true";
        Error($"expected true or false, got {Describe(Node)}");
        return null;
    }

    public int? Int(int min = int.MinValue, int max = int.MaxValue)
    {
        if (Node is YamlScalarNode { Style: ScalarStyle.Plain, Value: { } v }
            && int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            if (n < min || n > max)
            {
                Error(max == int.MaxValue ? $"must be at least {min}, got {n}" : $"must be between {min} and {max}, got {n}");
                return null;
            }
            return n;
        }
        Error($"expected a whole number, got {Describe(Node)}");
        return null;
    }

    public double? Number()
    {
        if (Node is YamlScalarNode { Value: { } v } && !IsNull
            && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n))
            return n;
        Error($"expected a number, got {Describe(Node)}");
        return null;
    }

    public IReadOnlyList<string>? StringList()
    {
        var items = Sequence();
        if (items is null) return null;
        var result = new List<string>();
        foreach (var item in items)
            if (item.Scalar() is { } s) result.Add(s);
        return result;
    }

    /// <summary>A list of strings, or one string split into words like a shell would (compose's command form).</summary>
    public IReadOnlyList<string>? Command()
    {
        if (Node is YamlScalarNode)
        {
            var text = Scalar();
            if (text is null) return null;
            var words = ShellWords.Split(text);
            if (words is null) Error("has an unterminated quote");
            return words;
        }
        return StringList();
    }

    /// <summary>A mapping of names to strings; a key <paramref name="refuse"/> has a problem with is an error at its line, left out.</summary>
    public SortedDictionary<string, string>? StringMap(Func<string, string?>? refuse = null)
    {
        if (Node is not YamlMappingNode)
        {
            Error($"expected a mapping of names to strings, got {Describe(Node)}");
            return null;
        }
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value, mark) in Entries())
            if (refuse?.Invoke(key) is { } problem) Context.Error(mark, $"{Path}.{key}", problem);
            else if (value.Node is YamlScalarNode && value.IsNull) result[key] = "";
            else if (value.Scalar() is { } s) result[key] = s;
        return result;
    }

    /// <summary>A duration of at most <paramref name="max"/> (one of <see cref="DurationLimits"/>): longer is an error at this field.</summary>
    public TimeSpan? Duration(TimeSpan max)
    {
        var text = Scalar();
        if (text is null) return null;
        var parsed = Quantities.TryParseDuration(text, out var duration);
        if (parsed && duration <= max) return duration;
        Error(parsed || Quantities.IsDurationShape(text) ? DurationLimits.TooLong(text, max) : $"{Quote(text)} is not a duration (use a number with a unit: 500ms, 10s, 1m30s, 2h)");
        return null;
    }

    public long? Size()
    {
        var text = Scalar();
        if (text is null) return null;
        if (Quantities.TryParseSize(text, out var size)) return size;
        Error($"{Quote(text)} is not a size (use bytes or a unit: 512k, 128m, 1g, 128Mi, 2Gi)");
        return null;
    }

    public T? Enum<T>(params (string Text, T Value)[] values) where T : struct
    {
        var text = Scalar();
        if (text is null) return null;
        foreach (var (t, v) in values)
            if (t == text) return v;
        Error($"{Quote(text)} is not one of {string.Join(", ", values.Select(v => v.Text))}");
        return null;
    }

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" } => "nothing (null)",
        YamlScalarNode s => Quote(s.Value ?? ""),
        _ => "an alias",
    };

    /// <summary>A wrong value of a known field of a recognised manifest as an error quotes it: at most its first 40
    /// characters (probe-15i M4: a file that parses as one scalar, a PEM key or a token list, was echoed whole on the
    /// open /readyz?verbose, /objects and the log).</summary>
    public static string Quote(string value) =>
        value.Length <= 40 ? $"\"{value}\"" : $"\"{value[..40]}...\" ({value.Length} characters)";

    /// <summary>What a node is, with none of its text: for a document (or a value in one) that is not recognised as a
    /// manifest, which may be a stray password, key or token file (probe-16 F12: the first 40 characters were the whole
    /// of a password and 34 of the 48 hex characters of a token).</summary>
    public static string Shape(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" } => "nothing (null)",
        YamlScalarNode s => Shape(s.Value ?? ""),
        _ => "an alias",
    };

    /// <inheritdoc cref="Shape(YamlNode)"/>
    public static string Shape(string text) =>
        $"a scalar of {text.Length} character{(text.Length == 1 ? "" : "s")} (not shown: a document that is not a manifest is never quoted)";

    private static bool IsBool(string v) => v is "true" or "false" or "True" or "False" or "TRUE" or "FALSE";
    private static bool IsNumber(string v) => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    internal static string? Suggest(string key, string[] known) =>
        known.Select(k => (k, d: Distance(key.ToLowerInvariant(), k.ToLowerInvariant())))
            .Where(x => x.d <= Math.Max(2, key.Length / 3))
            .OrderBy(x => x.d)
            .Select(x => x.k)
            .FirstOrDefault();

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
