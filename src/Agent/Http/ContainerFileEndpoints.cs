using Agent.Auth;
using Agent.Core.Files;
using Agent.Core.Model;
using Agent.Engine;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Agent.Http;

/// <summary>Files inside the agent's own containers through the engine's archive API (`docker cp`), like `ls`, `cat`,
/// `mkdir` and `rm`. Paths are normalised first; the engine resolves them inside the container's root file system.</summary>
public static class ContainerFileEndpoints
{
    public static RouteGroupBuilder MapContainerFileEndpoints(this RouteGroupBuilder api)
    {
        var containers = api.MapGroup("/containers").AddEndpointFilter(RequestValidation.ContainerId).ScopedToContainer();
        containers.MapGet("/{id}/files", Read).RequireAuthorization(Roles.Operator)
            .Produces<FolderListing>(200, "application/json").Produces(200, contentType: "application/octet-stream")
            .WithSummary("A folder as a JSON listing (name, type, size, mode, mtime, linkTarget), a file as its raw bytes, a symlink as JSON describing the link (never its target); stat=true: JSON for any path.");
        containers.MapPut("/{id}/files", Write).RequireAuthorization(Roles.Operator).WithMetadata(OwnBodyLimit.Instance)
            .Accepts<FileWriteBody>("application/json", "application/octet-stream", "*/*") // any other type is the raw file
            .Produces<FileEntryView>(200).Produces<FileEntryView>(201)
            .WithSummary("Create or replace a file: the raw body, or JSON {\"content\": base64, \"mode\": \"0644\"}; mode (octal, no setuid/setgid/sticky) also as ?mode=. Owned by the container's user. 413 over Agent:Files:MaxWriteBytes.");
        containers.MapPost("/{id}/files/mkdir", MakeFolder).RequireAuthorization(Roles.Operator)
            .Produces<FileEntryView>(200).Produces<FileEntryView>(201)
            .WithSummary("Create a folder (mode, default 0755); parents=false refuses a missing parent. 200 when it already exists.");
        containers.MapDelete("/{id}/files", Delete).RequireAuthorization(Roles.Admin)
            .WithSummary("Delete a file, symlink (the link, not its target) or, with recursive=true, a folder: `rm` runs in the container as its user, so it must be running and have rm.");
        return api;
    }

    public sealed record FileWriteBody(string? Content, string? Mode);

    public sealed record FileEntryView(string Path, string Name, FileType Type, long Size, string Mode, DateTimeOffset Mtime, string? LinkTarget)
    {
        public static FileEntryView From(ContainerPath path, FileEntry e) =>
            new(path.Value, e.Name, e.Type, e.Size, FileModes.Format(e.Mode), e.Modified, e.LinkTarget);
    }

    public sealed record FolderListing(string Path, FileType Type, IReadOnlyList<FileEntryView> Entries);

    private static async Task<IResult> Read(HttpContext http, string id, string? path, bool? stat, OwnedContainers owned, IContainerFilesystem files,
        IContainerEngine engine, IOptions<ContainerFileOptions> options, CancellationToken ct)
    {
        if (!ContainerPath.TryParse(path, out var target, out var error)) return ApiProblems.BadRequest(error);
        if (await owned.FindAsync(id, ct) is not { } c) return ApiProblems.ContainerNotFound(id);
        if (await files.StatAsync(c.Id, target.Value, ct) is not { } entry) return NoSuchPath(c, target);
        var detailsOnly = stat == true || entry.Type is FileType.Symlink or FileType.Other;
        if (await ContainerUserFiles.ReadProblemAsync(c, target, entry.Type, detailsOnly, engine, ct) is { } refused) return refused;
        if (detailsOnly) return JsonAnswer.Ok(FileEntryView.From(target, entry));
        if (entry.Type == FileType.Directory)
        {
            IReadOnlyList<FileEntry> children;
            try
            {
                children = await files.ListFolderAsync(c.Id, target.Value, options.Value.MaxListBytes, ct);
            }
            catch (FolderTooLargeException e)
            {
                return ApiProblems.BadRequest(e.Message);
            }
            if (!ContainerUserFiles.RunsAsRoot(c))
            {
                var (seen, problem) = await ContainerUserFiles.SeenByUserAsync(engine, c, target, children, options.Value.MaxListBytes, ct);
                if (problem is not null) return problem;
                children = seen;
            }
            return JsonAnswer.Ok(new FolderListing(target.Value, FileType.Directory, children.Select(e => FileEntryView.From(target.Child(e.Name), e)).ToList()));
        }
        http.Response.Headers["X-File-Mode"] = FileModes.Format(entry.Mode);
        if (!ContainerUserFiles.RunsAsRoot(c))
        {
            // Read by the user itself: what it reads is what it may read, whatever changed since the check.
            var asUser = await ContainerUserFiles.OpenAsync(files, c, target, ct);
            return Results.Stream(async body =>
            {
                await using (asUser) await asUser.CopyToAsync(body, ct);
            }, "application/octet-stream", lastModified: entry.Modified);
        }
        var content = await files.OpenFileAsync(c.Id, target.Value, ct);
        http.Response.ContentLength = content.Entry.Size;
        return Results.Stream(async body =>
        {
            using (content) await content.Content.CopyToAsync(body, ct);
        }, "application/octet-stream", lastModified: content.Entry.Modified);
    }

    private static async Task<IResult> Write(HttpContext http, string id, string? path, string? mode, OwnedContainers owned, IContainerFilesystem files,
        IContainerEngine engine, IOptions<ContainerFileOptions> options, FileAudit audit, CancellationToken ct)
    {
        if (!ContainerPath.TryParse(path, out var target, out var error)) return ApiProblems.BadRequest(error);
        if (target.IsRoot) return ApiProblems.BadRequest("path is the container's root folder: give a file path like /tmp/a.txt");
        if (FileWriteGuard.KernelFolderProblem(target) is { } kernel) return kernel;
        var limit = options.Value.MaxWriteBytes;
        var json = http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true;
        if (http.Request.ContentLength > (json ? Base64Length(limit) : limit)) return TooLarge(http.Request.ContentLength.Value, limit, json);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit) bodyLimit.MaxRequestBodySize = json ? Base64Length(limit) : limit;

        byte[] bytes;
        if (json)
        {
            var body = await StrictJson.ReadAsync<FileWriteBody>(http, ct);
            if (body.Error is { } bad) return ApiProblems.BadBody(bad);
            if (body.Value!.Content is null) return ApiProblems.BadRequest("content is required: the file's bytes in base64");
            if (body.Value.Mode is not null && mode is not null && body.Value.Mode != mode) return ApiProblems.BadRequest($"mode is given twice (\"{mode}\" and \"{body.Value.Mode}\"): give it once");
            mode ??= body.Value.Mode;
            try
            {
                bytes = Convert.FromBase64String(body.Value.Content);
            }
            catch (FormatException)
            {
                return ApiProblems.BadRequest("content is not base64: encode the file's bytes with base64 (or send them raw with Content-Type: application/octet-stream)");
            }
        }
        else
        {
            using var buffer = new MemoryStream();
            try
            {
                await http.Request.Body.CopyToAsync(buffer, ct);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == 413)
            {
                return TooLarge(null, limit, false); // a body without Content-Length that went over: its size is unknown
            }
            bytes = buffer.ToArray();
        }
        if (bytes.LongLength > limit) return TooLarge(bytes.LongLength, limit, false);
        if (!FileModes.TryParse(mode, FileModes.DefaultFile, out var fileMode, out error)) return ApiProblems.BadRequest(error);

        if (await owned.FindAsync(id, ct) is not { } c) return ApiProblems.ContainerNotFound(id);
        var resolved = await ResolveAsync(files, c, target, ct);
        if (FileWriteGuard.KernelFolderProblem(target, resolved) is { } linkedKernel) return linkedKernel;
        if (await FolderProblem(files, c, target.Parent!, ct) is { } parentProblem) return parentProblem;
        var existing = await files.StatAsync(c.Id, target.Value, ct);
        if (existing?.Type == FileType.Directory) return Conflict($"{target} is a folder in container {c.Name}: delete it first, or write to a path inside it");
        // A link at the path is replaced (renamed over in its folder), never written through: what the user must be able
        // to write is then the folder, not where the link points (probe-17 F4: a dangling link was a 409).
        var writable = existing is null || existing.Type == FileType.Symlink ? target.Parent! : target;
        if (await FileWriteGuard.ProblemAsync(c, target, resolved, writable, engine, ct) is { } refused) return refused;
        if (ContainerUserFiles.RunsAsRoot(c)) await files.WriteFileAsync(c.Id, target.Parent!.Value, target.Name, bytes, fileMode, ct);
        else if (await ContainerUserFiles.WriteAsync(files, c, target, bytes, fileMode, ct) is { } failed) return failed;
        audit.Changed(http, "wrote", c, target.Value, bytes.LongLength);
        var written = await files.StatAsync(c.Id, target.Value, ct) ?? new FileEntry(target.Name, FileType.File, bytes.LongLength, fileMode, DateTimeOffset.UtcNow, null);
        var view = FileEntryView.From(target, written);
        return existing is null ? JsonAnswer.Created($"/api/v1/containers/{c.Name}/files?path={Uri.EscapeDataString(target.Value)}", view) : JsonAnswer.Ok(view);
    }

    private static async Task<IResult> MakeFolder(HttpContext http, string id, string? path, string? mode, bool? parents, OwnedContainers owned,
        IContainerFilesystem files, IContainerEngine engine, FileAudit audit, CancellationToken ct)
    {
        if (!ContainerPath.TryParse(path, out var target, out var error)) return ApiProblems.BadRequest(error);
        if (!FileModes.TryParse(mode, FileModes.DefaultDirectory, out var folderMode, out error)) return ApiProblems.BadRequest(error);
        if (FileWriteGuard.KernelFolderProblem(target) is { } kernel) return kernel;
        if (await owned.FindAsync(id, ct) is not { } c) return ApiProblems.ContainerNotFound(id);
        var missing = new Stack<ContainerPath>();
        for (var p = target; p is not null; p = p.Parent)
        {
            if (await IsFolderAsync(files, c, p, ct) is { } folder)
            {
                if (!folder) return Conflict($"{p} exists in container {c.Name} and is not a folder");
                break;
            }
            missing.Push(p);
        }
        if (missing.Count == 0) return JsonAnswer.Ok(FileEntryView.From(target, (await files.StatAsync(c.Id, target.Value, ct))!));
        if (missing.Count > 1 && parents == false)
            return ApiProblems.NotFound($"The folder {target.Parent} does not exist in container {c.Name}; create it first, or leave out parents=false");
        if (await FileWriteGuard.ProblemAsync(c, target, await ResolveAsync(files, c, target, ct), missing.Peek().Parent!, engine, ct) is { } refused) return refused;
        while (missing.TryPop(out var folder))
        {
            if (ContainerUserFiles.RunsAsRoot(c)) await files.CreateFolderAsync(c.Id, folder.Parent!.Value, folder.Name, folderMode, ct);
            else if (await ContainerUserFiles.MakeFolderAsync(engine, c, folder, folderMode, ct) is { } failed) return failed;
            audit.Changed(http, "created folder", c, folder.Value, 0);
        }
        var made = await files.StatAsync(c.Id, target.Value, ct) ?? new FileEntry(target.Name, FileType.Directory, 0, folderMode, DateTimeOffset.UtcNow, null);
        return JsonAnswer.Created($"/api/v1/containers/{c.Name}/files?path={Uri.EscapeDataString(target.Value)}", FileEntryView.From(target, made));
    }

    private static async Task<IResult> Delete(HttpContext http, string id, string? path, bool? recursive, OwnedContainers owned, IContainerFilesystem files,
        IContainerEngine engine, IOptions<ContainerFileOptions> options, FileAudit audit, CancellationToken ct)
    {
        if (!ContainerPath.TryParse(path, out var target, out var error)) return ApiProblems.BadRequest(error);
        if (target.IsRoot) return ApiProblems.BadRequest("path is the container's root folder: it cannot be deleted");
        if (FileWriteGuard.KernelFolderProblem(target) is { } kernel) return kernel;
        if (await owned.FindAsync(id, ct) is not { } c) return ApiProblems.ContainerNotFound(id);
        // The same rule on where the path leads through its folders' links (rm follows them; the last entry, a link, is removed itself).
        if (FileWriteGuard.KernelFolderProblem(target, await ResolveAsync(files, c, target, ct)) is { } linkedKernel) return linkedKernel;
        if (await files.StatAsync(c.Id, target.Value, ct) is not { } entry) return NoSuchPath(c, target);
        if (c.State != ContainerState.Running)
            return Conflict($"container {c.Name} is {c.State.ToString().ToLowerInvariant()}: deleting runs rm inside it as its user, which needs it running. " +
                $"Start it first (POST /api/v1/containers/{c.Name}/start){(c.State == ContainerState.Paused ? ", or unpause it" : "")}");
        if (entry.Type == FileType.Directory && recursive != true)
            return ApiProblems.BadRequest($"{target} is a folder: add recursive=true to delete it with everything in it");
        // No archive call deletes: rm runs in the container, as its user, so it can remove no more than the container itself could.
        var result = await engine.ExecAsync(c.Id, new ExecRequest(["rm", entry.Type == FileType.Directory ? "-rf" : "-f", "--", target.Value],
            Timeout: options.Value.DeleteTimeout), ct);
        if (result.ExitCode != 0)
            return Conflict($"rm {target} in container {c.Name} failed (exit code {result.ExitCode}): {result.Stderr.Trim()}{(result.ExitCode is 126 or 127 ? "; deleting needs rm in the container's image" : "")}");
        audit.Changed(http, "deleted", c, target.Value, entry.Size);
        return JsonAnswer.Ok(new FileDeleted(target.Value, true, entry.Type));
    }

    /// <summary>A problem when <paramref name="folder"/> does not exist or is not a folder; null when it is one.</summary>
    private static async Task<IResult?> FolderProblem(IContainerFilesystem files, ContainerDetails c, ContainerPath folder, CancellationToken ct) =>
        await IsFolderAsync(files, c, folder, ct) switch
        {
            null => ApiProblems.NotFound($"The folder {folder} does not exist in container {c.Name}: create it with POST /api/v1/containers/{c.Name}/files/mkdir?path={folder}"),
            true => null,
            false => Conflict($"{folder} in container {c.Name} is not a folder"),
        };

    /// <summary>Whether <paramref name="path"/> is a folder (also through a symlink, which the engine resolves inside the
    /// container's root when it extracts there); null when nothing is there.</summary>
    private static async Task<bool?> IsFolderAsync(IContainerFilesystem files, ContainerDetails c, ContainerPath path, CancellationToken ct)
    {
        var entry = await files.StatAsync(c.Id, path.Value, ct);
        if (entry?.Type != FileType.Symlink) return entry is null ? null : entry.Type == FileType.Directory;
        try
        {
            return (await files.StatAsync(c.Id, path.Value + "/.", ct))?.Type == FileType.Directory;
        }
        catch (EngineException e) when (e is not EngineUnavailableException)
        {
            return false; // a link to a file, or dangling
        }
    }

    /// <summary>Where <paramref name="path"/> leads once the symlinks among its folders are followed in the container.</summary>
    private static Task<ContainerPath?> ResolveAsync(IContainerFilesystem files, ContainerDetails c, ContainerPath path, CancellationToken ct) =>
        ContainerPathResolver.ResolveFoldersAsync(path, async (p, token) =>
            await files.StatAsync(c.Id, p.Value, token) is { Type: FileType.Symlink, LinkTarget: { } link } ? link : null, ct);

    private static IResult NoSuchPath(ContainerDetails c, ContainerPath path) =>
        ApiProblems.NotFound($"Nothing at {path} in container {c.Name}. List its folder with GET /api/v1/containers/{c.Name}/files?path={path.Parent ?? path}");

    private static IResult Conflict(string detail) => Results.Problem(statusCode: 409, title: "Conflict", detail: detail);

    private static long Base64Length(long bytes) => (bytes + 2) / 3 * 4 + 64 * 1024;

    private static IResult TooLarge(long? size, long limit, bool json) => Results.Problem(statusCode: 413, title: "Content Too Large",
        detail: $"The {(json ? "body" : "file")} is {(size is { } known ? $"{known} bytes" : $"more than {limit} bytes")}; at most {limit} bytes can be written (Agent:Files:MaxWriteBytes{(json ? ", before base64" : "")}). Write a smaller file.");
}
