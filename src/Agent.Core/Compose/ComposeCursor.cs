using System.Globalization;
using Agent.Core.Manifests;

namespace Agent.Core.Compose;

/// <summary>A position in a compose tree (node + field path) with strict typed readers; every failed read records
/// an error at the node's own file:line:column. Keys starting with <c>x-</c> are extensions and are skipped.</summary>
internal sealed class ComposeCursor(ComposeNode node, string path, List<ManifestError> errors)
{
    public ComposeNode Node { get; } = node;
    public string Path { get; } = path;
    public List<ManifestError> Errors { get; } = errors;

    public void Error(string message) => Errors.Add(new ManifestError(Node.At.File, Node.At.Line, Node.At.Column, Path, message));

    public ComposeCursor Child(ComposeNode child, string name) => new(child, Path.Length == 0 ? name : $"{Path}.{name}", Errors);
    public ComposeCursor Item(ComposeNode child, int index) => new(child, $"{Path}[{index}]", Errors);

    public bool IsNull => Node is ComposeScalar { IsNull: true };
    public bool IsScalar => Node is ComposeScalar;
    public bool IsSequence => Node is ComposeSequence;
    public bool IsMapping => Node is ComposeMapping;

    /// <summary>A mapping whose keys must be among <paramref name="known"/>; an unknown key is an error naming it.</summary>
    public Dictionary<string, ComposeCursor>? Mapping(IReadOnlyCollection<string> known, string what = "field")
    {
        if (Node is not ComposeMapping map)
        {
            Error($"expected a mapping, got {Describe(Node)}");
            return null;
        }
        var fields = new Dictionary<string, ComposeCursor>(StringComparer.Ordinal);
        var listed = false; // the supported keys are listed once per mapping, not with every unsupported key in it
        foreach (var entry in map.Entries)
        {
            if (entry.Key.StartsWith("x-", StringComparison.Ordinal)) continue;
            var child = Child(entry.Value, entry.Key);
            if (!known.Contains(entry.Key))
            {
                var supported = YamlCursor.Suggest(entry.Key, [.. known]) is { } hint ? $"did you mean \"{hint}\"?"
                    : listed ? "supported: as listed above"
                    : $"supported: {string.Join(", ", known.Order(StringComparer.Ordinal))}";
                listed |= supported.StartsWith("supported: ", StringComparison.Ordinal);
                Errors.Add(new ManifestError(entry.KeyAt.File, entry.KeyAt.Line, entry.KeyAt.Column, child.Path,
                    $"{what} {YamlCursor.Quote(entry.Key)} is not supported by the agent ({supported})"));
                continue;
            }
            fields[entry.Key] = child;
        }
        return fields;
    }

    /// <summary>A mapping with free keys (services, labels, networks): every entry, extensions skipped.</summary>
    public IEnumerable<(string Key, ComposeCursor Value)> Entries()
    {
        if (Node is not ComposeMapping map)
        {
            if (!IsNull) Error($"expected a mapping, got {Describe(Node)}");
            yield break;
        }
        foreach (var entry in map.Entries)
            if (!entry.Key.StartsWith("x-", StringComparison.Ordinal))
                yield return (entry.Key, Child(entry.Value, entry.Key));
    }

    public IReadOnlyList<ComposeCursor> Sequence()
    {
        if (Node is ComposeSequence seq) return seq.Items.Select(Item).ToList();
        Error($"expected a list, got {Describe(Node)}");
        return [];
    }

    public string? Scalar()
    {
        if (Node is ComposeScalar { Value: { } v }) return v;
        Error($"expected a string, got {Describe(Node)}");
        return null;
    }

    public bool? Bool()
    {
        if (Node is ComposeScalar { Value: { } v })
            switch (v.ToLowerInvariant())
            {
                case "true" or "yes" or "on": return true;
                case "false" or "no" or "off": return false;
            }
        Error($"expected true or false, got {Describe(Node)}");
        return null;
    }

    public long? Long(long min = long.MinValue, long max = long.MaxValue)
    {
        if (Node is ComposeScalar { Value: { } v } && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            if (n >= min && n <= max) return n;
            Error(max == long.MaxValue ? $"must be at least {min}, got {n}" : $"must be between {min} and {max}, got {n}");
            return null;
        }
        Error($"expected a whole number, got {Describe(Node)}");
        return null;
    }

    public int? Int(int min = int.MinValue, int max = int.MaxValue) => (int?)Long(min, max);

    /// <summary>A list of strings, or one string as a one-item list.</summary>
    public IReadOnlyList<string> StringOrList()
    {
        if (Node is ComposeScalar) return Scalar() is { } s ? [s] : [];
        return Sequence().Select(i => i.Scalar()).OfType<string>().ToList();
    }

    public IReadOnlyList<string> StringList() => Sequence().Select(i => i.Scalar()).OfType<string>().ToList();

    /// <summary>A map of strings, or a list of "KEY=VALUE" (compose accepts both); null values stay null.</summary>
    public IReadOnlyList<(string Key, string? Value, ComposeCursor At)> KeyValues(char separator = '=')
    {
        var result = new List<(string, string?, ComposeCursor)>();
        if (Node is ComposeSequence)
        {
            foreach (var item in Sequence())
            {
                if (item.Scalar() is not { } text) continue;
                var sep = text.IndexOf(separator);
                result.RemoveAll(r => r.Item1 == (sep < 0 ? text : text[..sep]));
                result.Add(sep < 0 ? (text, null, item) : (text[..sep], text[(sep + 1)..], item));
            }
            return result;
        }
        foreach (var (key, value) in Entries())
        {
            if (value.IsNull) result.Add((key, null, value));
            else if (value.Node is ComposeScalar { Value: { } v }) result.Add((key, v, value));
            else value.Error($"expected a string, number or boolean, got {Describe(value.Node)}");
        }
        return result;
    }

    /// <summary>A duration of at most <paramref name="max"/> (one of <see cref="DurationLimits"/>): longer is an error at this field.</summary>
    public TimeSpan? Duration(TimeSpan max)
    {
        var text = Scalar();
        if (text is null) return null;
        var parsed = Quantities.TryParseDuration(text, out var duration);
        if (parsed && duration <= max) return duration;
        Error(parsed || Quantities.IsDurationShape(text) ? DurationLimits.TooLong(text, max) : $"{YamlCursor.Quote(text)} is not a duration (like 10s, 1m30s, 500ms)");
        return null;
    }

    /// <summary>A byte size: a number, or with a unit as compose writes them (b, k, m, g; kb, mb, gb).</summary>
    public long? Size()
    {
        var text = Scalar();
        if (text is null) return null;
        var t = text.Trim().ToLowerInvariant();
        if (t.EndsWith("b") && t.Length > 1 && char.IsLetter(t[^2])) t = t[..^1];
        if (Quantities.TryParseSize(t, out var bytes)) return bytes;
        Error($"{YamlCursor.Quote(text)} is not a size (like 512m, 1g, 64k or a number of bytes)");
        return null;
    }

    public static string Describe(ComposeNode node) => node switch
    {
        ComposeMapping => "a mapping",
        ComposeSequence => "a list",
        ComposeScalar { Value: null } => "nothing (null)",
        ComposeScalar s => YamlCursor.Quote(s.Value),
        _ => "something else",
    };
}
