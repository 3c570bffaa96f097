using YamlDotNet.Core;

namespace Agent.Core.Manifests;

/// <summary>The errors of one document, and where each field was, so later checks (security) can point at it.</summary>
internal sealed class ParseContext(string file, int lineOffset = 0)
{
    public string File { get; private init; } = file;
    public List<ManifestError> Errors { get; } = [];
    public Dictionary<string, Mark> Locations { get; } = new(StringComparer.Ordinal);

    /// <summary>False for an API request body: it has no manifest folder, so hints never suggest a ./relative path.</summary>
    public bool HasFolder { get; init; } = true;

    /// <summary>The policy the document is admitted by; parsing asks it where referenced files may be read from.</summary>
    public Security.SecurityPolicy Policy { get; init; } = Security.SecurityPolicy.Default;

    /// <summary>The error for a field path found by a later check: at the field itself, or the nearest parent that exists.</summary>
    public ManifestError ErrorAt(string path, string message)
    {
        var probe = path;
        while (probe.Length > 0 && !Locations.ContainsKey(probe))
        {
            var cut = Math.Max(probe.LastIndexOf('.'), probe.LastIndexOf('['));
            probe = cut > 0 ? probe[..cut] : "";
        }
        var mark = Locations.TryGetValue(probe, out var m) ? m : Mark.Empty;
        return new ManifestError(File, Math.Max(1, (int)mark.Line) + lineOffset, Math.Max(1, (int)mark.Column), path, message);
    }

    /// <summary>The same locations under another file name (a document of a git checkout, named within the whole state).</summary>
    public ParseContext WithFile(string name)
    {
        var copy = new ParseContext(name, lineOffset) { Policy = Policy, HasFolder = HasFolder };
        copy.Errors.AddRange(Errors.Select(e => e with { File = name }));
        foreach (var (k, v) in Locations) copy.Locations[k] = v;
        return copy;
    }

    /// <summary>Where a node stands, for a check made after parsing (a git checkout that lacks spec.path).</summary>
    public Model.SourceLocation Location(Mark mark) => new(File, Math.Max(1, (int)mark.Line + lineOffset), Math.Max(1, (int)mark.Column));

    public void Error(Mark mark, string path, string message) =>
        Errors.Add(new ManifestError(File, (int)mark.Line + lineOffset, (int)mark.Column, path, message));
}
