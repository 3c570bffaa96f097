using System.Globalization;

namespace Agent.Core.Git;

/// <summary>A semantic version as tags name them (<c>v1.2.3</c>, <c>1.2.3-rc.1+build</c>; a leading v is allowed).</summary>
public sealed record SemVersion(long Major, long Minor, long Patch, string Prerelease = "") : IComparable<SemVersion>
{
    public bool IsPrerelease => Prerelease.Length > 0;

    /// <summary>A full version (three numbers) or null: tags like <c>latest</c> or <c>v1.2</c> are not versions.</summary>
    public static SemVersion? Parse(string text)
    {
        var t = text.StartsWith('v') || text.StartsWith('V') ? text[1..] : text;
        var plus = t.IndexOf('+');
        if (plus >= 0) t = t[..plus];
        var dash = t.IndexOf('-');
        var pre = dash >= 0 ? t[(dash + 1)..] : "";
        var parts = (dash >= 0 ? t[..dash] : t).Split('.');
        if (parts.Length != 3 || (dash >= 0 && (pre.Length == 0 || pre.Split('.').Any(p => p.Length == 0)))) return null;
        var numbers = new long[3];
        for (var i = 0; i < 3; i++)
            if (!Number(parts[i], out numbers[i])) return null;
        return new SemVersion(numbers[0], numbers[1], numbers[2], pre);
    }

    internal static bool Number(string text, out long value)
    {
        value = 0;
        return text.Length is > 0 and <= 18 && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0')
               && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    public int CompareTo(SemVersion? other)
    {
        if (other is null) return 1;
        var c = Major.CompareTo(other.Major);
        if (c == 0) c = Minor.CompareTo(other.Minor);
        if (c == 0) c = Patch.CompareTo(other.Patch);
        if (c != 0) return c;
        if (IsPrerelease != other.IsPrerelease) return IsPrerelease ? -1 : 1; // 1.0.0-rc.1 < 1.0.0
        var a = Prerelease.Split('.');
        var b = other.Prerelease.Split('.');
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            var an = long.TryParse(a[i], NumberStyles.None, CultureInfo.InvariantCulture, out var x);
            var bn = long.TryParse(b[i], NumberStyles.None, CultureInfo.InvariantCulture, out var y);
            c = an && bn ? x.CompareTo(y) : an ? -1 : bn ? 1 : string.CompareOrdinal(a[i], b[i]);
            if (c != 0) return c;
        }
        return a.Length.CompareTo(b.Length);
    }

    public bool SameCore(SemVersion other) => Major == other.Major && Minor == other.Minor && Patch == other.Patch;

    public override string ToString() => $"{Major}.{Minor}.{Patch}{(IsPrerelease ? "-" + Prerelease : "")}";
}

/// <summary>
/// A semver range as Flux's <c>ref.semver</c> takes it (Masterminds/npm syntax): comparators <c>= != &gt; &gt;= &lt; &lt;=</c>
/// joined by spaces or commas (all must hold), alternatives joined by <c>||</c>, <c>~1.2.3</c> (patch updates),
/// <c>^1.2.3</c> (no major change; <c>^0.2</c> no minor change), wildcards <c>1.2.x</c>, <c>1.*</c>, <c>*</c>, partial
/// versions (<c>1.2</c> is <c>1.2.x</c>) and hyphen ranges <c>1.2 - 1.4.5</c>. A pre-release version matches only a
/// range that names a pre-release of the same major.minor.patch (npm's rule), so <c>&gt;=1.0.0</c> never picks <c>2.0.0-rc.1</c>.
/// </summary>
public sealed class SemverRange
{
    private enum Op { Eq, Ne, Gt, Ge, Lt, Le }

    private sealed record Comparator(Op Op, SemVersion Version)
    {
        public bool Holds(SemVersion v)
        {
            var c = v.CompareTo(Version);
            return Op switch
            {
                Op.Eq => c == 0, Op.Ne => c != 0, Op.Gt => c > 0, Op.Ge => c >= 0, Op.Lt => c < 0, _ => c <= 0,
            };
        }
    }

    private readonly List<List<Comparator>> alternatives;

    private SemverRange(List<List<Comparator>> alternatives) => this.alternatives = alternatives;

    public string Text { get; private init; } = "";

    /// <summary>The range, or an error for people.</summary>
    public static SemverRange? Parse(string text, out string? error)
    {
        error = null;
        var alternatives = new List<List<Comparator>>();
        foreach (var alternative in text.Split("||"))
        {
            var comparators = new List<Comparator>();
            var tokens = alternative.Replace(',', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            // Operators written apart from their version (">= 1.2.3") belong together.
            for (var i = 0; i < tokens.Count - 1; i++)
                if (tokens[i] is "=" or "!=" or ">" or ">=" or "<" or "<=" or "~" or "~>" or "^")
                {
                    tokens[i] += tokens[i + 1];
                    tokens.RemoveAt(i + 1);
                }
            if (tokens.Count == 0)
            {
                error = $"\"{text}\" has an empty alternative";
                return null;
            }
            for (var i = 0; i < tokens.Count; i++)
            {
                if (i + 2 < tokens.Count && tokens[i + 1] == "-")
                {
                    if (!Hyphen(tokens[i], tokens[i + 2], comparators, out error)) return null;
                    i += 2;
                    continue;
                }
                if (!Comparators(tokens[i], comparators, out error)) return null;
            }
            alternatives.Add(comparators);
        }
        return new SemverRange(alternatives) { Text = text };
    }

    public bool Matches(SemVersion version) => alternatives.Any(a =>
        a.All(c => c.Holds(version)) && (!version.IsPrerelease || a.Any(c => c.Version.IsPrerelease && c.Version.SameCore(version))));

    /// <summary>The highest tag whose version is in the range (tags that are not versions are skipped), or null.</summary>
    public string? Highest(IEnumerable<string> tags) =>
        tags.Select(t => (Tag: t, Version: SemVersion.Parse(t))).Where(t => t.Version is not null && Matches(t.Version))
            .OrderByDescending(t => t.Version).ThenBy(t => t.Tag, StringComparer.Ordinal).Select(t => t.Tag).FirstOrDefault();

    /// <summary>A version that may leave parts out or use x, X or * for them: the numbers given, how many were given,
    /// and the pre-release.</summary>
    private static bool Partial(string text, out long[] numbers, out int given, out string pre, out string? error)
    {
        numbers = new long[3];
        given = 0;
        pre = "";
        error = null;
        var t = text.StartsWith('v') || text.StartsWith('V') ? text[1..] : text;
        var plus = t.IndexOf('+');
        if (plus >= 0) t = t[..plus];
        var dash = t.IndexOf('-');
        if (dash >= 0)
        {
            pre = t[(dash + 1)..];
            t = t[..dash];
        }
        var parts = t.Split('.');
        if (parts.Length > 3 || t.Length == 0)
        {
            error = $"\"{text}\" is not a version";
            return false;
        }
        foreach (var part in parts)
        {
            if (part is "x" or "X" or "*") break;
            if (!SemVersion.Number(part, out numbers[given]))
            {
                error = $"\"{text}\" is not a version";
                return false;
            }
            given++;
        }
        if (pre.Length > 0 && given < 3)
        {
            error = $"\"{text}\" has a pre-release but not three numbers";
            return false;
        }
        return true;
    }

    private static SemVersion V(long[] n, string pre = "") => new(n[0], n[1], n[2], pre);

    /// <summary>The first version above a partial one: 1.2 → 1.3.0, 1 → 2.0.0.</summary>
    private static SemVersion Next(long[] n, int given) => given switch
    {
        1 => new SemVersion(n[0] + 1, 0, 0),
        2 => new SemVersion(n[0], n[1] + 1, 0),
        _ => new SemVersion(n[0], n[1], n[2] + 1),
    };

    private static bool Comparators(string token, List<Comparator> into, out string? error)
    {
        var op = new[] { ">=", "<=", "!=", "~>", ">", "<", "=", "~", "^" }.FirstOrDefault(token.StartsWith) ?? "";
        var version = token[op.Length..];
        if (!Partial(version, out var n, out var given, out var pre, out error)) return false;
        if (given == 0)
        {
            if (op is "" or "=" or ">=" or "<=" or "~" or "~>" or "^") return true; // *: any version
            error = $"\"{token}\" matches no version";
            return false;
        }
        var low = V(n, pre);
        switch (op)
        {
            case "" or "=" when given < 3:
                into.Add(new Comparator(Op.Ge, low));
                into.Add(new Comparator(Op.Lt, Next(n, given)));
                break;
            case "" or "=":
                into.Add(new Comparator(Op.Eq, low));
                break;
            case "!=":
                if (given < 3)
                {
                    error = $"\"{token}\": != needs a full version";
                    return false;
                }
                into.Add(new Comparator(Op.Ne, low));
                break;
            case ">":
                into.Add(given < 3 ? new Comparator(Op.Ge, Next(n, given)) : new Comparator(Op.Gt, low));
                break;
            case ">=":
                into.Add(new Comparator(Op.Ge, low));
                break;
            case "<":
                into.Add(new Comparator(Op.Lt, low));
                break;
            case "<=":
                into.Add(given < 3 ? new Comparator(Op.Lt, Next(n, given)) : new Comparator(Op.Le, low));
                break;
            case "~" or "~>":
                into.Add(new Comparator(Op.Ge, low));
                into.Add(new Comparator(Op.Lt, given == 1 ? new SemVersion(n[0] + 1, 0, 0) : new SemVersion(n[0], n[1] + 1, 0)));
                break;
            default: // ^: the first non-zero part given stays
                into.Add(new Comparator(Op.Ge, low));
                into.Add(new Comparator(Op.Lt, n[0] > 0 || given == 1 ? new SemVersion(n[0] + 1, 0, 0)
                    : n[1] > 0 || given == 2 ? new SemVersion(0, n[1] + 1, 0)
                    : new SemVersion(0, 0, n[2] + 1)));
                break;
        }
        return true;
    }

    private static bool Hyphen(string from, string to, List<Comparator> into, out string? error)
    {
        if (!Partial(from, out var a, out var givenA, out var preA, out error) || !Partial(to, out var b, out var givenB, out var preB, out error)) return false;
        if (givenA > 0) into.Add(new Comparator(Op.Ge, V(a, preA)));
        if (givenB == 3) into.Add(new Comparator(Op.Le, V(b, preB)));
        else if (givenB > 0) into.Add(new Comparator(Op.Lt, Next(b, givenB)));
        return true;
    }
}
