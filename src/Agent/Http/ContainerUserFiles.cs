using Agent.Core.Files;
using Agent.Core.Model;
using Agent.Engine;

namespace Agent.Http;

/// <summary>
/// Files in a container that runs as another user than root. The archive API works as root, so for such a container
/// the agent reads and writes through that user instead: a read is allowed only when the user may read the path
/// (opening it as the user) and its bytes come from `cat` run as the user; a write is `cat` into a file beside the target,
/// then `mv` over it, and a folder `mkdir`, all as the user, so the kernel judges every step on the path as it is at that
/// moment and a folder swapped for a symlink in between cannot lead the agent where the user may not go.
/// </summary>
public static class ContainerUserFiles
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Root that passes every permission check as the archive API does: uid 0 holding CAP_DAC_OVERRIDE and
    /// CAP_FOWNER (probe-15e E4: root with `capDrop: [ALL]` reads less than the archive API). Any other container is
    /// read and written through its own user, whom the kernel judges with the capabilities it holds.</summary>
    public static bool RunsAsRoot(ContainerDetails c) => IsRootUser(c.User) && c.Capabilities.Contains("DAC_OVERRIDE") && c.Capabilities.Contains("FOWNER");

    private static bool IsRootUser(string user) =>
        user is "" or "0" or "root" || user.StartsWith("0:", StringComparison.Ordinal) || user.StartsWith("root:", StringComparison.Ordinal);

    /// <summary>Who the container runs as, for messages: "user 1000", or "root without CAP_DAC_OVERRIDE".</summary>
    public static string Who(ContainerDetails c) => !IsRootUser(c.User) ? $"user {c.User}"
        : $"{(c.User.Length == 0 ? "root" : $"user {c.User}")} without {string.Join(" and ", new[] { "DAC_OVERRIDE", "FOWNER" }.Where(n => !c.Capabilities.Contains(n)).Select(n => "CAP_" + n))}";

    /// <summary>Null when the container's user may read <paramref name="path"/> (or it runs as root): a file's content
    /// needs opening it for reading, a folder's listing entering and opening it, an entry's details (stat, a symlink) entering its folder.</summary>
    public static async Task<IResult?> ReadProblemAsync(ContainerDetails c, ContainerPath path, FileType type, bool detailsOnly, IContainerEngine engine, CancellationToken ct)
    {
        if (RunsAsRoot(c)) return null;
        if (c.State != ContainerState.Running)
            return Conflict($"Container {c.Name} runs as {Who(c)} and is not running: the agent reads no more than that user could, checked as that user inside the container, which needs it running. Start it first (POST /api/v1/containers/{c.Name}/start) to read {path}");
        // Judged by the kernel (cd, a redirect), not by `test`: busybox's test -r says yes to uid 0 whatever it may do.
        var (script, subject) = detailsOnly || type is FileType.Symlink or FileType.Other ? ("cd -- \"$1\"", path.Parent ?? path)
            : type == FileType.Directory ? ("cd -- \"$1\" && true < .", path)
            : ("true < \"$1\"", path);
        var check = await engine.ExecAsync(c.Id, new ExecRequest(["sh", "-c", script, "sh", subject.Value], Timeout: CheckTimeout), ct);
        return check.ExitCode switch
        {
            0 => null,
            126 or 127 => Conflict($"Container {c.Name} runs as {Who(c)} and has no `sh` to check that the user may read {path}; the agent reads no more than the container's user could"),
            _ => Results.Problem(statusCode: 403, title: "Forbidden",
                detail: $"The {Who(c)} of container {c.Name} may not read {(subject == path ? path : $"the folder {subject} holding {path}")}: the agent reads no more than the container's user could"),
        };
    }

    // $1 the folder. Entered and read as the user (the kernel judges search access on every folder of the path and read
    // access on this one now); each name printed with its kind (l, d, f, o) and a NUL, so any name reads back as written.
    private const string ListScript =
        """
        cd -- "$1" 2>/dev/null || exit 3
        true < . || exit 4
        for f in .* *; do
          case $f in .|..) continue;; esac
          if [ -L "$f" ]; then k=l; elif [ -d "$f" ]; then k=d; elif [ -f "$f" ]; then k=f; elif [ -e "$f" ]; then k=o; else continue; fi
          printf '%s/%s\0' "$k" "$f"
        done
        """;

    /// <summary>The entries of a folder listed by the archive API (as root) that the container's user sees there too,
    /// listed as that user in the same request (probe-15e E4): the check before the listing and the listing are two
    /// steps, and a folder swapped for a link in between would otherwise show a folder the user may not enter. An entry
    /// the user did not see (with the same kind) is left out; a folder the user can no longer list is refused.</summary>
    public static async Task<(IReadOnlyList<FileEntry> Entries, IResult? Problem)> SeenByUserAsync(IContainerEngine engine, ContainerDetails c,
        ContainerPath folder, IReadOnlyList<FileEntry> archived, long maxBytes, CancellationToken ct)
    {
        var listed = await engine.ExecAsync(c.Id, new ExecRequest(["sh", "-c", ListScript, "sh", folder.Value], Timeout: CheckTimeout, MaxOutputBytes: maxBytes), ct);
        if (listed.ExitCode is 3 or 4)
            return ([], Results.Problem(statusCode: 403, title: "Forbidden", detail: $"The {Who(c)} of container {c.Name} may not read {folder}: the agent lists no more than the container's user could"));
        if (listed.ExitCode != 0 || listed.TimedOut)
            return ([], Conflict($"Listing {folder} as the {Who(c)} of container {c.Name} failed (exit code {listed.ExitCode}); listing a folder as the container's user needs sh in its image"));
        if (listed.StdoutTruncated) return ([], ApiProblems.BadRequest($"The folder {folder} holds more names than Agent:Files:MaxListBytes ({maxBytes} bytes) can list; list a subfolder, or raise that limit."));
        var seen = listed.Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries).Where(e => e.Length > 2 && e[1] == '/')
            .Select(e => (Kind: e[0], Name: e[2..])).ToHashSet();
        return (archived.Where(e => seen.Contains((Kind(e.Type), e.Name))).ToList(), null);
    }

    private static char Kind(FileType type) => type switch { FileType.Symlink => 'l', FileType.Directory => 'd', FileType.File => 'f', _ => 'o' };

    /// <summary>The file's bytes as the container's user reads them (`cat` as that user).</summary>
    public static Task<Stream> OpenAsync(IContainerFilesystem files, ContainerDetails c, ContainerPath path, CancellationToken ct) =>
        files.OpenExecStdoutAsync(c.Id, new ExecRequest(["cat", "--", path.Value]), ct);

    // $1 target, $2 temporary name beside it ("" when the name is too long), $3 mode, $4 size. The bytes go to the
    // temporary file and only a whole one is renamed over the target (a link there is removed first: mv would move the
    // file into the folder a link to a folder names); a folder the user may not write but a file in it
    // the user may is written in place (keeping its mode), as the user would with `cat > FILE`.
    private const string WriteScript =
        """
        t=$1; tmp=$2
        if [ -n "$tmp" ] && (umask 077 && : > "$tmp") 2>/dev/null; then
          if cat > "$tmp" && [ "$(wc -c < "$tmp")" -eq "$4" ] && chmod "$3" "$tmp" && { [ ! -L "$t" ] || rm -f -- "$t"; } && mv -f -- "$tmp" "$t"; then exit 0; fi
          rm -f -- "$tmp"; exit 1
        fi
        if [ -L "$t" ]; then echo "$t is a symlink and its folder cannot take the new file beside it: a link is replaced, never written through" >&2; exit 1; fi
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
        126 or 127 => Conflict($"{what} as the {Who(c)} of container {c.Name} needs {tools} in the container's image (exit code {result.ExitCode}); the agent writes no more than the container's user could"),
        _ => Conflict($"{what} as the {Who(c)} of container {c.Name} failed (exit code {result.ExitCode}){(result.Stderr.Trim() is { Length: > 0 } error ? ": " + error : "")}; the agent writes no more than the container's user could"),
    };

    private static IResult Conflict(string detail) => Results.Problem(statusCode: 409, title: "Conflict", detail: detail);
}
