using Agent.Core.Model;

namespace Agent.Core.Manifests;

/// <summary>Any object a manifest describes.</summary>
public interface IManifestObject
{
    ObjectKey Key { get; }
    ObjectMetadata Metadata { get; }
    SourceLocation Source { get; }
}

/// <summary>One YAML document of a manifest file: the object it describes when it loaded, or its errors.
/// The key is known whenever kind and metadata.name could be read, even if the rest is broken.</summary>
public sealed record ManifestDocument(
    SourceLocation Source,
    ObjectKey? Key,
    IManifestObject? Object,
    IReadOnlyList<ManifestError> Errors)
{
    public bool IsValid => Object is not null && Errors.Count == 0;

    /// <summary>Where each field path of the document was, for errors found after parsing.</summary>
    internal ParseContext? Context { get; init; }

    /// <summary>Not an agent manifest at all: the document has no <c>apiVersion: agent/...</c> (an app's config, an extra
    /// compose file). Beside a stack folder's compose file such a document is not read, as <c>docker compose</c> ignores it.</summary>
    public bool IsForeign { get; init; }

    /// <summary>A stack folder's project that its folder's own agent manifests keep from being a project: held as broken
    /// when it was a project before (a change in what a folder is never deletes anything by itself), else dropped.</summary>
    public bool IsAmbiguousStack { get; init; }

    /// <summary>A file not read because a container may have written it (<see cref="WritableBindTrust"/>): refused by design,
    /// never a read that failed, so it holds no prune of an object it might define (probe-15f F8.5).</summary>
    public bool IsContainerWritten => WrittenBy is not null;

    /// <summary>The read-write bind inside which the file lies, when <see cref="IsContainerWritten"/>.</summary>
    public WritableBind? WrittenBy { get; init; }

    /// <summary>Compose files a ComposeProject document names (relative to the manifests folder): never read as manifests.</summary>
    public IReadOnlyList<string> ComposeFiles { get; init; } = [];

    /// <summary><c>spec.placement.hostSelector.matchLabels</c>: the hosts this object is for (null: every host).</summary>
    public IReadOnlyDictionary<string, string>? HostSelector { get; init; }

    /// <summary>Refused only because an object that runs already names its containers as this document would (see
    /// <see cref="ManifestSet.Build"/>'s name owners): the object that runs keeps them; this one is a name conflict.</summary>
    public bool IsNameTaken { get; init; }

    internal ManifestError ErrorAt(string path, string message) =>
        Context?.ErrorAt(path, message) ?? new ManifestError(Source.File, Source.Line, Source.Column, path, message);
}
