namespace Agent.Core.Manifests;

/// <summary>One problem in a manifest, located at <c>file:line:column</c> with the field path:
/// <c>core.yaml:14:9: spec.services[1].ports[0]: "80:80:80" is not a port mapping</c>.</summary>
public sealed record ManifestError(string File, int Line, int Column, string Path, string Message)
{
    public override string ToString() => TerminalText.Escape(
        string.IsNullOrEmpty(Path) ? $"{File}:{Line}:{Column}: {Message}" : $"{File}:{Line}:{Column}: {Path}: {Message}");
}
