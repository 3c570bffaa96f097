using System.Text;

namespace Agent.Core.Compose;

/// <summary>Stage 2, interpolate: compose's variable substitution. <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-default}</c>,
/// <c>${VAR-default}</c>, <c>${VAR:?error}</c>, <c>${VAR?error}</c>, <c>${VAR:+replacement}</c>, <c>${VAR+replacement}</c>,
/// nested in defaults, and <c>$$</c> for a literal dollar. An unset variable without default reads as empty.</summary>
public static class Interpolation
{
    /// <summary>The substituted text, or null with <paramref name="error"/> set.</summary>
    public static string? Substitute(string text, Func<string, string?> lookup, out string? error) => Substitute(text, lookup, out error, unset: null);

    /// <param name="unset">Told each variable used without a default that is not set (it reads as a blank string, which
    /// docker compose warns about).</param>
    public static string? Substitute(string text, Func<string, string?> lookup, out string? error, Action<string>? unset)
    {
        error = null;
        if (!text.Contains('$')) return text;
        var result = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c != '$')
            {
                result.Append(c);
                i++;
                continue;
            }
            if (i + 1 >= text.Length)
            {
                error = $"invalid interpolation format in \"{text}\": a lone \"$\" at the end (write \"$$\" for a literal dollar)";
                return null;
            }
            var next = text[i + 1];
            if (next == '$')
            {
                result.Append('$');
                i += 2;
            }
            else if (IsNameStart(next))
            {
                var end = i + 1;
                while (end < text.Length && IsNamePart(text[end])) end++;
                var name = text[(i + 1)..end];
                var found = lookup(name);
                if (found is null) unset?.Invoke(name);
                result.Append(found ?? "");
                i = end;
            }
            else if (next == '{')
            {
                var close = MatchingBrace(text, i + 1);
                if (close < 0)
                {
                    error = $"invalid interpolation format in \"{text}\": \"${{\" is not closed";
                    return null;
                }
                var value = Braced(text[(i + 2)..close], lookup, out error, unset);
                if (value is null)
                {
                    if (error!.StartsWith("invalid", StringComparison.Ordinal) && !error.Contains(text, StringComparison.Ordinal)) error = $"{error} (in \"{text}\")";
                    return null;
                }
                result.Append(value);
                i = close + 1;
            }
            else
            {
                error = $"invalid interpolation format in \"{text}\": \"${next}\" (write \"$$\" for a literal dollar)";
                return null;
            }
        }
        return result.ToString();
    }

    private static string? Braced(string body, Func<string, string?> lookup, out string? error, Action<string>? notSet)
    {
        error = null;
        var end = 0;
        while (end < body.Length && IsNamePart(body[end])) end++;
        var name = body[..end];
        if (name.Length == 0 || !IsNameStart(name[0]))
        {
            error = $"invalid interpolation format: \"${{{body}}}\" does not start with a variable name";
            return null;
        }
        var rest = body[end..];
        var value = lookup(name);
        if (rest.Length == 0)
        {
            if (value is null) notSet?.Invoke(name);
            return value ?? "";
        }

        var colon = rest.StartsWith(':');
        var op = colon ? rest.Length > 1 ? rest[1] : '\0' : rest[0];
        var argument = rest[(colon ? 2 : 1)..];
        var unset = value is null || colon && value.Length == 0;
        switch (op)
        {
            case '-':
                return unset ? Substitute(argument, lookup, out error, notSet) : value;
            case '+':
                return unset ? "" : Substitute(argument, lookup, out error, notSet);
            case '?':
                if (!unset) return value;
                var message = Substitute(argument, lookup, out error, notSet);
                if (message is null) return null;
                error = $"required variable {name} is {(value is null ? "missing" : "empty")}{(message.Length > 0 ? ": " + message : "")}";
                return null;
            default:
                error = $"invalid interpolation format: \"${{{body}}}\" (use :-, -, :?, ?, :+ or + after the name)";
                return null;
        }
    }

    private static int MatchingBrace(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '$') { i++; continue; }
            if (text[i] == '{') depth++;
            else if (text[i] == '}' && --depth == 0) return i;
        }
        return -1;
    }

    private static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c == '_';
    private static bool IsNamePart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    /// <summary>Substitutes every scalar value of a tree (keys are left as written); errors carry the node's position.</summary>
    /// <param name="fromEnvFile">Whether a variable was defined by an env file: a scalar that took one is marked
    /// <see cref="ComposeScalar.FromEnvFile"/>.</param>
    /// <param name="unset">Told each variable used without a default that is not set.</param>
    public static ComposeNode Apply(ComposeNode node, Func<string, string?> lookup, string path, List<Manifests.ManifestError> errors,
        Func<string, bool>? fromEnvFile = null, Action<string>? unset = null) => node switch
    {
        ComposeScalar { Value: { } v } s => Scalar(s, v, lookup, path, errors, fromEnvFile, unset),
        ComposeSequence seq => seq with { Items = seq.Items.Select((item, i) => Apply(item, lookup, $"{path}[{i}]", errors, fromEnvFile, unset)).ToList() },
        ComposeMapping map => map with
        {
            Entries = map.Entries.Select(e => e with { Value = Apply(e.Value, lookup, path.Length == 0 ? e.Key : $"{path}.{e.Key}", errors, fromEnvFile, unset) }).ToList(),
        },
        _ => node,
    };

    private static ComposeNode Scalar(ComposeScalar s, string value, Func<string, string?> lookup, string path, List<Manifests.ManifestError> errors,
        Func<string, bool>? fromEnvFile, Action<string>? unset)
    {
        var tookFileVariable = false;
        string? Tracked(string name)
        {
            var found = lookup(name);
            tookFileVariable |= found is not null && fromEnvFile?.Invoke(name) == true;
            return found;
        }
        return Substitute(value, Tracked, out var error, unset) is { } substituted
            ? s with { Value = substituted, FromEnvFile = s.FromEnvFile || tookFileVariable }
            : Fail(s, path, error!, errors);
    }

    private static ComposeNode Fail(ComposeScalar s, string path, string error, List<Manifests.ManifestError> errors)
    {
        errors.Add(new Manifests.ManifestError(s.At.File, s.At.Line, s.At.Column, path, error));
        return s;
    }
}
