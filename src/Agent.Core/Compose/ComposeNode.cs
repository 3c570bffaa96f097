using Agent.Core.Model;

namespace Agent.Core.Compose;

/// <summary>A compose document as a plain tree whose every node remembers file:line:column, so that errors
/// found after interpolation, merging and extends still point at what the user wrote.</summary>
public abstract record ComposeNode(SourceLocation At);

/// <summary>A scalar; <see cref="Value"/> is null for YAML null. <see cref="Quoted"/> tells "80" from 80.</summary>
public sealed record ComposeScalar(string? Value, bool Quoted, SourceLocation At) : ComposeNode(At)
{
    public bool IsNull => Value is null;

    /// <summary>Its value took a variable an env file defined (`.env`: where compose users keep passwords): an environment
    /// value like that is masked in diffs and labels, as an env_file value is.</summary>
    public bool FromEnvFile { get; init; }
}

public sealed record ComposeSequence(IReadOnlyList<ComposeNode> Items, SourceLocation At) : ComposeNode(At);

public sealed record ComposeEntry(string Key, SourceLocation KeyAt, ComposeNode Value);

public sealed record ComposeMapping(IReadOnlyList<ComposeEntry> Entries, SourceLocation At) : ComposeNode(At)
{
    public ComposeNode? this[string key] => Entries.FirstOrDefault(e => e.Key == key)?.Value;

    public bool Has(string key) => Entries.Any(e => e.Key == key);

    public ComposeMapping With(string key, ComposeNode value)
    {
        var entries = Entries.ToList();
        var i = entries.FindIndex(e => e.Key == key);
        if (i >= 0) entries[i] = entries[i] with { Value = value };
        else entries.Add(new ComposeEntry(key, value.At, value));
        return this with { Entries = entries };
    }

    public ComposeMapping Without(string key) => this with { Entries = Entries.Where(e => e.Key != key).ToList() };
}
