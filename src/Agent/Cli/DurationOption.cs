using System.CommandLine;
using Agent.Core.Manifests;

namespace Agent.Cli;

/// <summary>A command-line option that takes a duration in the manifests' syntax: 500ms, 90s, 5m, 1h30m.</summary>
public static class DurationOption
{
    public static Option<TimeSpan> Create(string name, string description, TimeSpan defaultValue) => new(name)
    {
        Description = $"{description} (500ms, 90s, 5m, 1h30m; default {Durations.Format(defaultValue)})",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (Durations.TryParse(text, out var duration)) return duration;
            result.AddError($"{name} \"{text}\" is not a duration of at most 2147483647s: {Durations.Hint}");
            return defaultValue;
        },
    };
}
