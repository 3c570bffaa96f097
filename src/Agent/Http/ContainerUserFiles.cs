using Agent.Core.Files;
using Agent.Core.Model;
using Agent.Engine;

namespace Agent.Http;

/// <summary>
/// Files in a container that runs as another user than root. The archive API works as root, so for such a container
/// the agent reads and writes through that user instead: a read is allowed only when the user may read the path
/// (`test -r` as the user) and its bytes come from `cat` run as the user; a write is `cat` into a file beside the target,
/// then `mv` over it, and a folder `mkdir`, all as the user, so the kernel judges every step on the path as it is at that
/// moment and a folder swapped for a symlink in between cannot lead the agent where the user may not go.
/// </summary>
public static class ContainerUserFiles
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(60);

    public static bool RunsAsRoot(string user) => user is "" or "0" or "root" || user.StartsWith("0:", StringComparison.Ordinal) || user.StartsWith("root:", StringComparison.Ordinal);

    /// <summary>Null when the container's user may read <paramref name="path"/> (or it runs as root): a file's content
    /// needs `test -r`, a folder's listing `test -r` and `-x`, an entry's details (stat, a symlink) search access to its folder.</summary>
    public static async Task<IResult?> ReadProblemAsync(ContainerDetails c, ContainerPath path, FileType type, bool detailsOnly, IContainerEngine engine, CancellationToken ct)
    {
        if (RunsAsRoot(c.User)) return null;
        if (c.State != ContainerState.Running)
            return Conflict($"Container {c.Name} runs as user {c.User} and is not running: the agent reads no more than that user could, checked as {c.User} inside the container, which needs it running. Start it first (POST /api/v1/containers/{c.Name}/start) to read {path}");
        var (test, subject) = detailsOnly || type is FileType.Symlink or FileType.Other ? (new[] { "test", "-x", path.Parent?.Value ?? "/" }, path.Parent ?? path)
            : type == FileType.Directory ? (["test", "-r", path.Value, "-a", "-x", path.Value], path)
            : (["test", "-r", path.Value], path);
        var check = await engine.ExecAsync(c.Id, new ExecRequest(test, Timeout: CheckTimeout), ct);
        return check.ExitCode switch
        {
            0 => null,
            126 or 127 => Conflict($"Container {c.Name} runs as user {c.User} and has no `test` command to check that the user may read {path}; the agent reads no more than the container's user could"),
            _ => Results.Problem(statusCode: 403, title: "Forbidden",
                detail: $"User {c.User} of container {c.Name} may not read {(subject == path ? path : $"the folder {subject} holding {path}")}: the agent reads no more than the container's user could"),
        };
    }

    /// <summary>The file's bytes as the container's user reads them (`cat` as that user).</summary>
    public static Task<Stream> OpenAsync(IContainerFilesystem files, ContainerDetails c, ContainerPath path, CancellationToken ct) =>
        files.OpenExecStdoutAsync(c.Id, new ExecRequest(["cat", "--", path.Value]), ct);

    // $1 target, $2 temporary name beside it ("" when the name is too long), $3 mode, $4 size. The bytes go to the
    // temporary file and only a whole one is renamed over the target; a folder the user may not write but a file in it
    // the user may is written in place (keeping its mode), as the user would with `cat > FILE`.
    private const string WriteScript =
        """
        t=$1; tmp=$2
        if [ -n "$tmp" ] && (umask 077 && : > "$tmp") 2>/dev/null; then
          if cat > "$tmp" && [ "$(wc -c < "$tmp")" -eq "$4" ] && chmod "$3" "$tmp" && mv -f -- "$tmp" "$t"; then exit 0; fi
          rm -f -- "$tmp"; exit 1
        fi
        cat > "$t"
        """;

    /// <summary>Writes the file as the container's user; a problem (409) when that fails.</summary>
    public static async Task<IResult?> WriteAsync(IContainerFilesystem files, ContainerDetails c, ContainerPath target, byte[] content, int mode, CancellationToken ct)
    {
        var temporary = $".{target.Name}.agent-write";
        var temporaryPath = System.Text.Encoding.UTF8.GetByteCount(temporary) <= 255 ? target.Parent!.Child(temporary).Value : "";
        var result = await files.ExecWithInputAsync(c.Id, new ExecRequest(["sh", "-c", WriteScript, "sh", target.Value, temporaryPath, FileModes.Format(mode),
            content.LongLength.ToString(System.Globalization.CultureInfo.InvariantCulture)], Timeout: WriteTimeout), content, ct);
        return Failed(result, c, $"Writing {target}", "sh, cat, wc, chmod and mv");
    }

    /// <summary>Makes the folder as the container's user (`mkdir -m MODE`); a problem (409) when that fails.</summary>
    public static async Task<IResult?> MakeFolderAsync(IContainerEngine engine, ContainerDetails c, ContainerPath folder, int mode, CancellationToken ct)
    {
        var result = await engine.ExecAsync(c.Id, new ExecRequest(["mkdir", "-m", FileModes.Format(mode), "--", folder.Value], Timeout: CheckTimeout), ct);
        return Failed(result, c, $"Making the folder {folder}", "mkdir");
    }

    private static IResult? Failed(ExecResult result, ContainerDetails c, string what, string tools) => result.ExitCode switch
    {
        0 => null,
        126 or 127 => Conflict($"{what} as user {c.User} of container {c.Name} needs {tools} in the container's image (exit code {result.ExitCode}); the agent writes no more than the container's user could"),
        _ => Conflict($"{what} as user {c.User} of container {c.Name} failed (exit code {result.ExitCode}){(result.Stderr.Trim() is { Length: > 0 } error ? ": " + error : "")}; the agent writes no more than the container's user could"),
    };

    private static IResult Conflict(string detail) => Results.Problem(statusCode: 409, title: "Conflict", detail: detail);
}
