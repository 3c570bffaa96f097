using Agent.Core.Sources;

namespace Agent.Sources;

/// <summary>One manifest file that was read completely: its path relative to the folder, its bytes (the loader decodes
/// them, strictly UTF-8) and a digest.</summary>
/// <summary>A path of the manifests folder inside <paramref name="Bind"/>'s source, not read (a container may have written it).</summary>
public sealed record WrittenFile(string File, Agent.Core.Manifests.WritableBind Bind);

public sealed record ManifestFileText(string File, byte[] Content, string Digest);

/// <summary>
/// One read of the manifests folder. When <see cref="RootError"/> is set the folder itself could not be read and nothing
/// is known; otherwise <see cref="Files"/> holds every manifest that read completely and <see cref="Problems"/> every
/// file or folder that did not. <see cref="Digest"/> changes when any file of the folder does (names, sizes, times).
/// </summary>
public sealed record FolderSnapshot(string? RootError, IReadOnlyList<ManifestFileText> Files, IReadOnlyList<SourceProblem> Problems, string Digest)
{
    public static FolderSnapshot Failed(string error) => new(error, [], [], "");

    public bool IsComplete => RootError is null;

    /// <summary>Manifests (or folders: a link, or a folder too large to list) inside folders a container writes, found without
    /// reading them: each is reported as not read, and holds what it defined.</summary>
    public IReadOnlyList<WrittenFile> Written { get; init; } = [];
}
