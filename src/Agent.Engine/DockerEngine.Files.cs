using System.Formats.Tar;
using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Agent.Engine;

/// <summary>Files and processes inside a container: the archive API (HEAD and GET for reading, PUT of a one-entry tar for
/// writing), top and changes.</summary>
public sealed partial class DockerEngine : IContainerFilesystem
{
    public Task<FileEntry?> StatAsync(string id, string path, CancellationToken ct) => Call("container_archive_stat", async () =>
    {
        try
        {
            var response = await client.Containers.GetArchiveFromContainerAsync(id, new ContainerPathStatParameters { Path = path }, true, ct);
            response.Stream?.Dispose();
            return ContainerArchives.ToEntry(response.Stat);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.InternalServerError)
        {
            return await ExplainStatFailureAsync(id, path, e, ct);
        }
    }, path);

    /// <summary>The stat (HEAD) answers a path the container cannot have with a bare 500 (probe-62: "failed (500): no
    /// message" for a file taken as a folder, a link loop). A GET of the same path brings the engine's reason: said in the
    /// container's terms (the engine's names the host's overlay folder), as `ls` would. Anything else stays an engine error.</summary>
    private async Task<FileEntry?> ExplainStatFailureAsync(string id, string path, DockerApiException stat, CancellationToken ct)
    {
        string reason;
        try
        {
            var response = await client.Containers.GetArchiveFromContainerAsync(id, new ContainerPathStatParameters { Path = path }, false, ct);
            response.Stream?.Dispose();
            return ContainerArchives.ToEntry(response.Stat); // it is there now
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (DockerApiException e)
        {
            reason = e.ResponseBody ?? "";
        }
        if (reason.Contains("not a directory", StringComparison.OrdinalIgnoreCase))
        {
            for (var folder = ContainerArchives.ParentOf(path); folder is not null; folder = ContainerArchives.ParentOf(folder))
            {
                FileEntry? entry;
                try
                {
                    entry = await StatAsync(id, folder, ct);
                }
                catch (EngineException)
                {
                    continue;
                }
                if (entry is { Type: not FileType.Directory and not FileType.Symlink })
                    throw new EngineConflictException($"{folder} is a file, not a folder, in the container: nothing can be at {path} (not a directory)", stat);
            }
            throw new EngineConflictException($"a part of {path} is a file, not a folder, in the container (not a directory)", stat);
        }
        if (reason.Contains("too many links", StringComparison.OrdinalIgnoreCase) || reason.Contains("too many levels of symbolic links", StringComparison.OrdinalIgnoreCase))
            throw new EngineConflictException($"{path} cannot be followed in the container: its symbolic links loop (too many levels of symbolic links)", stat);
        if (reason.Contains("file name too long", StringComparison.OrdinalIgnoreCase))
            throw new EngineException($"{path}: a name in it is too long for the container's file system (file name too long)", 400, stat);
        throw stat;
    }

    public Task<IReadOnlyList<FileEntry>> ListFolderAsync(string id, string path, long maxArchiveBytes, CancellationToken ct) =>
        Call("container_archive", async () =>
        {
            var response = await client.Containers.GetArchiveFromContainerAsync(id, new ContainerPathStatParameters { Path = path }, false, ct);
            await using var stream = new BoundedReadStream(response.Stream ?? Stream.Null, maxArchiveBytes, () => new FolderTooLargeException(path, maxArchiveBytes));
            return await ContainerArchives.ChildrenAsync(stream, ct);
        }, path);

    public Task<FileContent> OpenFileAsync(string id, string path, CancellationToken ct) => Call("container_archive", async () =>
    {
        var response = await client.Containers.GetArchiveFromContainerAsync(id, new ContainerPathStatParameters { Path = path }, false, ct);
        var reader = new TarReader(response.Stream ?? Stream.Null, leaveOpen: false);
        try
        {
            var entry = await reader.GetNextEntryAsync(copyData: false, ct);
            if (entry is not { EntryType: TarEntryType.RegularFile or TarEntryType.V7RegularFile })
                throw new EngineException($"{path} is not a regular file in the archive the engine sent", 409);
            return new FileContent(ContainerArchives.ToEntry(entry, entry.Length), new LengthReadStream(entry.DataStream ?? Stream.Null, entry.Length), reader);
        }
        catch
        {
            await reader.DisposeAsync();
            throw;
        }
    }, path);

    /// <summary>In a running container the file is written under a temporary name beside the target, then renamed over
    /// it (`mv` as root: rename(2) is atomic), so an upload cut off half way (the agent killed, the connection lost)
    /// never leaves a torn file at the target: the engine extracts whatever part of the tar it got. A leftover of an
    /// earlier cut-off write is removed first. A stopped container, or one without rm and mv, is written in place.</summary>
    public async Task WriteFileAsync(string id, string folder, string name, ReadOnlyMemory<byte> content, int mode, CancellationToken ct)
    {
        var target = ContainerArchives.Join(folder, name);
        var temporary = ContainerArchives.TemporaryName(name);
        var lease = WriteLocks[(uint)StringComparer.Ordinal.GetHashCode(id + "\0" + target) % (uint)WriteLocks.Length];
        await lease.WaitAsync(ct);
        try
        {
            var temporaryPath = temporary is null ? null : ContainerArchives.Join(folder, temporary);
            if (temporaryPath is null || !await RemoveAsRootAsync(id, temporaryPath, ct))
            {
                await Extract(id, folder, ContainerArchives.OneFile(name, content, mode, DateTimeOffset.UtcNow), target, ct);
                return;
            }
            await Extract(id, folder, ContainerArchives.OneFile(temporary!, content, mode, DateTimeOffset.UtcNow), target, ct);
            // A link at the target is replaced, not followed: mv would move the file into the folder a link to a folder names.
            var moved = await ExecAsync(id, new ExecRequest(["sh", "-c", ReplaceScript, "sh", temporaryPath, target], User: "0", Timeout: FileCommandTimeout), ct);
            if (moved.ExitCode is 126 or 127) // no shell in the image: mv alone
                moved = await ExecAsync(id, new ExecRequest(["mv", "-f", "--", temporaryPath, target], User: "0", Timeout: FileCommandTimeout), ct);
            if (moved.ExitCode == 0) return;
            await RemoveAsRootAsync(id, temporaryPath, ct);
            throw new EngineConflictException($"Renaming the written file over {target} failed (mv exit code {moved.ExitCode}): {moved.Stderr.Trim()}");
        }
        finally
        {
            lease.Release();
        }
    }

    private const string ReplaceScript = "{ [ ! -L \"$2\" ] || rm -f -- \"$2\"; } && mv -f -- \"$1\" \"$2\"";

    // Two writes of one file at once would share the temporary name: they take turns (striped, so no lock per path is kept).
    private static readonly SemaphoreSlim[] WriteLocks = Enumerable.Range(0, 32).Select(_ => new SemaphoreSlim(1, 1)).ToArray();
    private static readonly TimeSpan FileCommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>`rm -f` as root inside the container: true when it ran (the path is gone), false when the container cannot
    /// run it (stopped, paused, no rm in its image).</summary>
    private async Task<bool> RemoveAsRootAsync(string id, string path, CancellationToken ct)
    {
        ExecResult removed;
        try
        {
            removed = await ExecAsync(id, new ExecRequest(["rm", "-f", "--", path], User: "0", Timeout: FileCommandTimeout), ct);
        }
        catch (EngineException e) when (e.StatusCode == 409)
        {
            return false; // not running
        }
        if (removed.ExitCode is 126 or 127) return false;
        if (removed.ExitCode != 0)
            throw new EngineConflictException($"Removing {path} (left by an interrupted write) failed (rm exit code {removed.ExitCode}): {removed.Stderr.Trim()}");
        return true;
    }

    public Task CreateFolderAsync(string id, string folder, string name, int mode, CancellationToken ct) =>
        Extract(id, folder, ContainerArchives.OneFolder(name, mode, DateTimeOffset.UtcNow), $"{folder}/{name}", ct);

    private async Task Extract(string id, string folder, MemoryStream tar, string subject, CancellationToken ct)
    {
        try
        {
            byte[] bytes;
            using (tar) bytes = tar.ToArray();
            // The engine may refuse an upload before reading it all (a read-only file system) and close the
            // connection: the upload then sees a broken pipe, not the answer. Sent again, the answer usually arrives.
            // Each attempt sends a stream of its own: the client disposes the one it was given (probe-15f F8: a retry
            // on the disposed stream was a 500).
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    using var body = new MemoryStream(bytes, writable: false);
                    await PutArchive(id, folder, body, subject, ct);
                    break;
                }
                catch (EngineUnavailableException e)
                {
                    if (!await EngineAnswersAsync(ct)) throw;
                    if (attempt == 3)
                        throw new EngineConflictException($"The engine refused the write to {subject} (the container's file system is read-only or the path is not writable)", e);
                }
            }
        }
        catch (EngineException e) when (e.StatusCode is 403 or 400 || e.Message.Contains("read-only", StringComparison.OrdinalIgnoreCase))
        {
            // A read-only root file system or volume (the engine says 500), or a folder that turned into a file: the
            // container refuses, the engine works.
            throw new EngineConflictException(e.Message, e);
        }
    }

    private Task PutArchive(string id, string folder, Stream tar, string subject, CancellationToken ct) => Call("container_archive_put", () =>
        client.Containers.ExtractArchiveToContainerAsync(id, new CopyToContainerParameters
        {
            Path = folder,
            AllowOverwriteDirWithFile = false,
            // Owned by root (the tar entry's 0:0): only a container that runs as root is written through the archive
            // API; the engine's copyUIDGID looked the user up with getent and failed for a numeric UID:GID (probe-15b F4).
            CopyUIDGID = false,
        }, tar, ct), subject);

    private async Task<bool> EngineAnswersAsync(CancellationToken ct)
    {
        try
        {
            await client.System.PingAsync(ct);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false;
        }
    }

    public Task<ExecResult> ExecWithInputAsync(string id, ExecRequest request, ReadOnlyMemory<byte> input, CancellationToken ct) => RunExecAsync(id, request, input, ct);

    public Task<Stream> OpenExecStdoutAsync(string id, ExecRequest request, CancellationToken ct) => Call<Stream>("container_exec", async () =>
    {
        var exec = await client.Exec.CreateContainerExecAsync(id, ExecParameters(request, stdin: false), ct);
        var stream = await client.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), ct);
        return new ExecStdoutStream(stream);
    });

    public Task<ProcessTable> ListProcessesAsync(string id, string? psArgs, CancellationToken ct) => Call("container_top", async () =>
    {
        var top = await client.Containers.ListProcessesAsync(id, new ContainerListProcessesParameters { PsArgs = psArgs ?? "-ef" }, ct);
        return new ProcessTable(top.Titles?.ToList() ?? [],
            (top.Processes ?? []).Select(p => (IReadOnlyList<string>)p.ToList()).ToList());
    });

    public Task<IReadOnlyList<FileChange>> GetChangesAsync(string id, long maxAnswerBytes, CancellationToken ct) => Call<IReadOnlyList<FileChange>>("container_changes", async () =>
    {
        // Docker.DotNet would read the whole answer (a container that made a million files sends a million entries).
        using var answer = await Http.GetJsonAsync($"containers/{Uri.EscapeDataString(id)}/changes", maxAnswerBytes,
            () => new EngineException($"The container's list of changes is more than {maxAnswerBytes} bytes; look at a folder with GET /files instead, or raise Agent:Files:MaxChangesBytes.", 400), ct);
        if (answer.RootElement.ValueKind != System.Text.Json.JsonValueKind.Array) return [];
        return answer.RootElement.EnumerateArray()
            .Select(c => new FileChange(c.GetProperty("Path").GetString() ?? "", c.GetProperty("Kind").GetInt32() switch
            {
                1 => FileChangeKind.Added,
                2 => FileChangeKind.Deleted,
                _ => FileChangeKind.Changed,
            }))
            .ToList();
    });
}
