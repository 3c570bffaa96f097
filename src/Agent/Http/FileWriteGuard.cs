using Agent.Core.Files;
using Agent.Core.Model;
using Agent.Engine;

namespace Agent.Http;

/// <summary>
/// What a write or mkdir may touch. The archive API writes as root into the container's root file system, beneath any
/// tmpfs and past the engine's own bind mounts; so a write is allowed only where the container would see it, judged on
/// the path where its folders' symlinks lead, and, for a container that runs as another user, only where that user may
/// write itself (checked with `test -w` run as that user inside it; the write itself then runs as that user too:
/// <see cref="ContainerUserFiles"/>), like a delete, which runs `rm` as the container's user.
/// </summary>
public static class FileWriteGuard
{
    private static readonly string[] KernelFolders = ["/proc", "/sys", "/dev"];
    private static readonly string[] EngineFiles = ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf"];
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(10);

    /// <param name="target">The file or folder written.</param>
    /// <param name="resolved">Where <paramref name="target"/> leads once the symlinks among its folders are followed
    /// (null: a loop of links); the rules judge this path, as the engine and the container resolve it.</param>
    /// <param name="writable">What must be writable for the container's user: the file when it exists, else the nearest existing folder above it.</param>
    public static async Task<IResult?> ProblemAsync(ContainerDetails c, ContainerPath target, ContainerPath? resolved, ContainerPath writable, IContainerEngine engine, CancellationToken ct)
    {
        if (resolved is null) return Conflict($"{target} in container {c.Name} leads through more than {ContainerPathResolver.MaxLinks} symlinks (a loop?)");
        var shown = Shown(target, resolved);
        if (KernelFolderProblem(resolved, shown) is { } kernel) return kernel;
        if (EngineFiles.Contains(resolved.Value))
            return Conflict($"{shown} is bind-mounted by the engine, which writes it from the container's settings: change it in the manifest (extraHosts, dns, hostname) instead");
        if (c.TmpfsMounts.FirstOrDefault(m => IsUnder(resolved, m)) is { } tmpfs)
            return Conflict($"{tmpfs} is a tmpfs mount in container {c.Name} and {shown} is beneath it: the archive API would write beneath it, where the container never looks. Write there from inside the container (POST /api/v1/containers/{c.Name}/exec)");
        if (ContainerUserFiles.RunsAsRoot(c)) return null;
        if (c.State != ContainerState.Running)
            return Conflict($"Container {c.Name} runs as {ContainerUserFiles.Who(c)}: the agent writes only where that user may (checked with `test -w` as that user inside it), which needs it running. Start it first.");
        var check = await engine.ExecAsync(c.Id, new ExecRequest(["test", "-w", writable.Value], Timeout: CheckTimeout), ct);
        return check.ExitCode switch
        {
            0 => null,
            126 or 127 => Conflict($"Container {c.Name} runs as {ContainerUserFiles.Who(c)} and has no `test` command to check that the user may write {writable}; the agent writes no more than the container's user could"),
            _ => Conflict($"The {ContainerUserFiles.Who(c)} of container {c.Name} may not write {writable}: the agent writes no more than the container's user could"),
        };
    }

    /// <summary>A path under /proc, /sys or /dev (the one check of writes, mkdir and deletes); judged on the path as written before anything is looked up there too
    /// (the archive API sees only the image's folders, where /proc/1 does not exist: a 404 would hide the rule).</summary>
    public static IResult? KernelFolderProblem(ContainerPath path, string? shown = null) =>
        KernelFolders.FirstOrDefault(f => IsUnder(path, f)) is { } kernel
            ? ApiProblems.BadRequest($"{shown ?? path.Value} is under {kernel}, which the kernel or the engine provides in the container: the files API writes, makes and deletes nothing there")
            : null;

    /// <summary>The rule above on where <paramref name="target"/> leads (null: a loop, judged later), before its folder is
    /// looked up: through a link into /proc the folder may exist only in the running container, and a 404 would send the
    /// user to a mkdir that is refused.</summary>
    public static IResult? KernelFolderProblem(ContainerPath target, ContainerPath? resolved) =>
        resolved is null ? null : KernelFolderProblem(resolved, Shown(target, resolved));

    private static string Shown(ContainerPath target, ContainerPath resolved) =>
        resolved == target ? target.Value : $"{target} (which leads to {resolved})";

    private static bool IsUnder(ContainerPath path, string folder) =>
        path.Value == folder || path.Value.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static IResult Conflict(string detail) => Results.Problem(statusCode: 409, title: "Conflict", detail: detail);
}
