namespace Agent.Engine;

/// <summary>Files and processes inside a container, through the engine's archive, top and changes calls. Paths are
/// absolute and already normalised; the engine resolves every folder of a path inside the container's root file system
/// and never follows the last segment, so a symlink is reported (and read) as the link itself.</summary>
public interface IContainerFilesystem
{
    /// <summary>What is at <paramref name="path"/> (a symlink as the link); null when nothing is there.</summary>
    Task<FileEntry?> StatAsync(string id, string path, CancellationToken ct);

    /// <summary>The entries directly inside the folder <paramref name="path"/>. The engine sends the whole tree as a tar;
    /// more than <paramref name="maxArchiveBytes"/> of it is a <see cref="FolderTooLargeException"/>.</summary>
    Task<IReadOnlyList<FileEntry>> ListFolderAsync(string id, string path, long maxArchiveBytes, CancellationToken ct);

    /// <summary>A regular file's content, streamed from the engine; dispose it to end the engine call.</summary>
    Task<FileContent> OpenFileAsync(string id, string path, CancellationToken ct);

    /// <summary>Creates or replaces the regular file <paramref name="name"/> in the existing folder <paramref name="folder"/>,
    /// owned by root (a replaced symlink is replaced, not followed). The archive API writes as root: only for a container
    /// that runs as root; for any other user write through that user (ExecWithInputAsync).</summary>
    Task WriteFileAsync(string id, string folder, string name, ReadOnlyMemory<byte> content, int mode, CancellationToken ct);

    /// <summary>Creates the folder <paramref name="name"/> in the existing folder <paramref name="folder"/>.</summary>
    Task CreateFolderAsync(string id, string folder, string name, int mode, CancellationToken ct);

    /// <summary>Runs a command in the container with <paramref name="input"/> as its stdin (closed after it), like
    /// `docker exec -i`; output is kept as for ExecAsync.</summary>
    Task<ExecResult> ExecWithInputAsync(string id, ExecRequest request, ReadOnlyMemory<byte> input, CancellationToken ct);

    /// <summary>Starts a command in the container and streams its stdout (stderr is dropped); dispose it to end the call.</summary>
    Task<Stream> OpenExecStdoutAsync(string id, ExecRequest request, CancellationToken ct);

    /// <summary>The container's processes as `docker top` shows them (ps runs on the engine's host).</summary>
    Task<ProcessTable> ListProcessesAsync(string id, string? psArgs, CancellationToken ct);

    /// <summary>Files added, changed and deleted in the container's writable layer (`docker diff`); an engine answer
    /// over <paramref name="maxAnswerBytes"/> is an <see cref="EngineException"/> (400).</summary>
    Task<IReadOnlyList<FileChange>> GetChangesAsync(string id, long maxAnswerBytes, CancellationToken ct);
}

public enum FileType { File, Directory, Symlink, Other }

/// <summary>One file system entry: mode holds the permission bits only (0644).</summary>
public sealed record FileEntry(string Name, FileType Type, long Size, int Mode, DateTimeOffset Modified, string? LinkTarget);

public sealed class FileContent(FileEntry entry, Stream content, IDisposable owner) : IDisposable
{
    public FileEntry Entry { get; } = entry;
    public Stream Content { get; } = content;

    public void Dispose() => owner.Dispose();
}

public sealed record ProcessTable(IReadOnlyList<string> Titles, IReadOnlyList<IReadOnlyList<string>> Processes);

public enum FileChangeKind { Changed, Added, Deleted }

public sealed record FileChange(string Path, FileChangeKind Kind);

/// <summary>A folder whose archive is larger than the listing allows.</summary>
public sealed class FolderTooLargeException(string path, long limit)
    : EngineException($"The folder {path} is more than {limit} bytes as an archive (the engine sends the whole tree to list it); list a subfolder, or raise Agent:Files:MaxListBytes.", 400);
