using System.Security.Claims;
using Agent.Core.Model;

namespace Agent.Auth;

/// <summary>What a token may act on beyond reading: objects (groups, compose projects, jobs) in the listed phases and/or
/// with the listed names. Null means unrestricted; when both are set an object must match both. An object whose phase or
/// group cannot be told (an imperative container, an API job, an image) is outside every restricted scope.</summary>
public sealed record TokenScope(IReadOnlySet<string>? Phases, IReadOnlySet<string>? Groups)
{
    public const string PhasesClaim = "agent:phases";
    public const string GroupsClaim = "agent:groups";

    public static readonly TokenScope Unrestricted = new(null, null);

    /// <summary>metadata.name's rule (a DNS label): a group scope names objects.</summary>
    private static readonly System.Text.RegularExpressions.Regex ObjectName =
        new("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public static readonly string[] PhaseNames = [.. Enum.GetNames<Phase>().Select(p => p.ToLowerInvariant())];

    public bool IsRestricted => Phases is not null || Groups is not null;

    /// <summary>Whether the scope allows acting on <paramref name="target"/> (null: an object of no group or phase).</summary>
    public bool Allows(ScopedObject? target) =>
        !IsRestricted
        || target is not null
        && (Phases is null || target.Phase is { } p && Phases.Contains(p.ToString().ToLowerInvariant()))
        && (Groups is null || Groups.Contains(target.Name));

    public override string ToString() =>
        string.Join(" ", new[] { Phases is null ? null : $"phases={string.Join(",", Phases.Order())}", Groups is null ? null : $"groups={string.Join(",", Groups.Order())}" }.Where(s => s is not null));

    /// <summary>Parses "phases=a,b" and/or "groups=x,y" (each at most once); the error names what is wrong.</summary>
    public static TokenScope Parse(IEnumerable<string> settings, out string? error)
    {
        error = null;
        HashSet<string>? phases = null, groups = null;
        foreach (var setting in settings)
        {
            var eq = setting.IndexOf('=');
            var key = eq > 0 ? setting[..eq] : setting;
            var values = (eq > 0 ? setting[(eq + 1)..] : "").Split(',', StringSplitOptions.TrimEntries);
            if (values.All(v => v.Length == 0)) { error = $"\"{setting}\": expected phases=a,b or groups=x,y with at least one value"; break; }
            // A stray comma (groups=web,) is read as strictly as a stray scope: was a value left out?
            if (values.Any(v => v.Length == 0)) { error = $"\"{Agent.Core.TerminalText.Escape(setting)}\": an empty value between commas; list each value once (groups=x,y)"; break; }
            if (key == "phases" && phases is not null || key == "groups" && groups is not null)
            {
                // Read strictly like every other mistake: was the second meant to add to the first or to replace it?
                error = $"{key} is given twice on the line: list every value once ({key}=a,b)";
                break;
            }
            if (key == "phases")
            {
                var unknown = values.Where(v => !PhaseNames.Contains(v)).ToList();
                if (unknown.Count > 0) { error = $"phases: {string.Join(", ", unknown)} is not a phase ({string.Join(", ", PhaseNames)})"; break; }
                (phases ??= new(StringComparer.Ordinal)).UnionWith(values);
            }
            else if (key == "groups")
            {
                // Groups are object names: one that no manifest could give (NOPE!, Web) is a mistake, not a scope
                // that matches nothing.
                var invalid = values.Where(v => !ObjectName.IsMatch(v)).ToList();
                if (invalid.Count > 0) { error = $"groups: {string.Join(", ", invalid.Select(v => $"\"{Agent.Core.TerminalText.Escape(v)}\""))} is not an object name (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63)"; break; }
                (groups ??= new(StringComparer.Ordinal)).UnionWith(values);
            }
            else { error = $"\"{key}\" is not a scope: use phases=... or groups=..."; break; }
        }
        return error is null ? new TokenScope(phases, groups) : Unrestricted;
    }

    public IEnumerable<Claim> Claims()
    {
        if (Phases is not null) yield return new Claim(PhasesClaim, string.Join(",", Phases.Order()));
        if (Groups is not null) yield return new Claim(GroupsClaim, string.Join(",", Groups.Order()));
    }

    public static TokenScope Of(ClaimsPrincipal user)
    {
        static IReadOnlySet<string>? Read(ClaimsPrincipal user, string type) =>
            user.FindFirst(type)?.Value is { } v ? v.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal) : null;
        return new TokenScope(Read(user, PhasesClaim), Read(user, GroupsClaim));
    }
}

/// <summary>The object a request acts on, as a scope judges it: kind, name and phase (null for kinds without one).</summary>
public sealed record ScopedObject(string Kind, string Name, Phase? Phase)
{
    public override string ToString() => $"{Kind}/{Name}" + (Phase is { } p ? $" (phase {p.ToString().ToLowerInvariant()})" : " (no phase)");
}
