namespace Agent.Core.Manifests;

/// <summary>The files a manifest may reference (envFrom files, bind-mounted config). Core does no I/O itself;
/// the agent reads the disk, tests can hand in memory.</summary>
public interface IManifestFiles
{
    /// <summary>The absolute path of the manifests folder.</summary>
    string Root { get; }

    /// <summary>The text of a file, or null when it does not exist or cannot be read (<see cref="Unreadable"/> says why).</summary>
    string? ReadText(string absolutePath);

    /// <summary>Why a file that is there cannot be read, said as the end of a sentence naming it ("is a FIFO (named pipe),
    /// not a regular file", "cannot be read: permission denied"); null when it reads or is missing.</summary>
    string? Unreadable(string absolutePath) => null;

    /// <summary>Why a file is not read at all for its size (over Agent:MaxManifestFileBytes), said as the end of a sentence
    /// naming it; null when it is within the limit, missing or a folder. Judged by its size alone: nothing is read.</summary>
    string? OverSizeLimit(string absolutePath) => null;

    /// <summary>True when a file or folder exists at the path (a bind source).</summary>
    bool Exists(string absolutePath);

    /// <summary>A digest of a file's content, or of a folder's names and contents; null when missing.</summary>
    string? Digest(string absolutePath);

    /// <summary>The digest of a read-only bind's content (<see cref="BindDigestRule"/>): like <see cref="Digest"/>, but what
    /// containers write (read-write bind sources of other objects, below it or around it) is data, not configuration, and
    /// is left out; null when the whole source is such data.</summary>
    string? DigestBind(string absolutePath) => Digest(absolutePath);

    /// <summary>The hash of a build context folder as the builder receives it (.dockerignore applied, links not followed,
    /// the inline Dockerfile included), or why it cannot be sent (over <paramref name="maxBytes"/>, unreadable).</summary>
    Build.ContextDigest DigestBuildContext(string folder, string dockerfile, string? inlineDockerfile, long maxBytes);

    /// <summary>The path with every symlink on the host resolved, for the security policy.</summary>
    string ResolveLinks(string absolutePath);

    /// <summary>Why a file may not be read from these manifests at all (a git checkout's files reach nothing outside
    /// the checkout), or null. Such a path reads as missing; loaders name the reason.</summary>
    string? Confinement(string absolutePath) => null;

    /// <summary>Why a file (or, with <paramref name="orContains"/>, a folder such as a build context) is not read because
    /// a container may write it: it lies inside (or holds) a read-write bind source of an object, or null.</summary>
    string? WritableByContainers(string absolutePath, bool orContains = false) => null;

    /// <summary>A git checkout's folder when these manifests are one (binds may lie inside it), or null.</summary>
    string? ConfinedTo => null;

    /// <summary>The folders binds of these manifests may use inside the agent's state dir: a checkout, as given and resolved.</summary>
    IReadOnlyList<string> OwnBindRoots() => ConfinedTo is { } checkout ? [checkout, ResolveLinks(checkout)] : [];
}
