using System.CommandLine;
using System.Text.RegularExpressions;

namespace Agent.Cli;

/// <summary>--host-labels role=edge,zone=a on run, diff and apply: this host's labels for spec.placement.hostSelector,
/// checked like Kubernetes label keys and values, each key once.</summary>
public static partial class HostLabelsOption
{
    public static Option<string?> Create(string description) => new("--host-labels") { Description = description };

    [GeneratedRegex(@"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex Key();

    [GeneratedRegex(@"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")]
    private static partial Regex Value();

    /// <summary>The labels as settings (Agent:HostLabels:KEY = value); null and the error when an item is not key=value,
    /// a key or value is not a label's, or a key is given twice.</summary>
    public static Dictionary<string, string?>? Parse(string? text, out string? error)
    {
        error = null;
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var label in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = label.IndexOf('=');
            var (key, value) = eq <= 0 ? ("", "") : (label[..eq], label[(eq + 1)..]);
            error = eq <= 0 ? $"--host-labels \"{label}\" is not key=value"
                : !Key().IsMatch(key) ? $"--host-labels \"{label}\": \"{key}\" is not a label key (letters, digits, - _ . and an optional DNS prefix/)"
                : !Value().IsMatch(value) ? $"--host-labels \"{label}\": \"{value}\" is not a label value (up to 63 letters, digits, - _ .)"
                : settings.ContainsKey($"Agent:HostLabels:{key}") ? $"--host-labels names \"{key}\" twice"
                : null;
            if (error is not null) return null;
            settings[$"Agent:HostLabels:{key}"] = value;
        }
        return settings;
    }
}
