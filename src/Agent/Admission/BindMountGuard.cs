using Agent.Core.Model;
using Agent.Engine;

namespace Agent.Admission;

/// <summary>
/// The engine is given each bind source with its symlinks resolved, but it opens that path again when it mounts (at
/// start): a folder on the path replaced by a symlink in between would still mount something else. After the start, each
/// bind is compared, as (device, inode), with what the judged path names now without following any symlink; on a
/// difference the container is removed. This needs the agent on the host's pid and mount namespaces with the rights to
/// open /proc/PID/root (root); otherwise it says so once and checks nothing.
/// </summary>
public sealed class BindMountGuard(IContainerEngine engine, ILogger<BindMountGuard> logger)
{
    private int warned;

    /// <summary>Why the started <paramref name="container"/>'s binds are not the paths <paramref name="admitted"/> names
    /// (it is removed then), or null (they are, it is no longer running, or this host cannot tell).</summary>
    public async Task<string?> VerifyAsync(string container, ContainerSpec admitted, CancellationToken ct)
    {
        var binds = admitted.Mounts.Select((m, i) => (Mount: m, Index: i)).Where(x => x.Mount is { Type: MountType.Bind, Source: not null }).ToList();
        if (binds.Count == 0) return null;
        if (await engine.InspectContainerAsync(container, ct) is not { Pid: > 0 } details) return null; // exited: nothing is mounted now
        var root = $"/proc/{details.Pid}/root";
        foreach (var (mount, index) in binds)
        {
            var (mounted, mountedWhy) = PathIdentity.InRoot(root, mount.Target);
            if (mountedWhy == PathIdentity.Failure.Gone) return null;
            var (judged, judgedWhy) = PathIdentity.WithoutLinks(mount.Source!);
            if (mountedWhy == PathIdentity.Failure.Unsupported || judgedWhy == PathIdentity.Failure.Unsupported)
            {
                if (Interlocked.Exchange(ref warned, 1) == 0)
                    logger.LogWarning("Bind mounts are not verified after start: this agent cannot open /proc/PID/root of a container (run it on the host as root) or the kernel has no openat2");
                return null;
            }
            if (judged is not null && judged == mounted) continue;
            var why = judgedWhy == PathIdentity.Failure.Symlink ? $"{mount.Source} now goes through a symlink"
                : judged is null ? $"{mount.Source} no longer exists"
                : mounted is null ? $"nothing is found at {mount.Target} in it"
                : $"{mount.Target} in it is not {mount.Source}";
            logger.LogWarning("Container {Container}: bind {Source} -> {Target} is not what was judged ({Why}): removing it", container, mount.Source, mount.Target, why);
            try
            {
                await engine.RemoveContainerAsync(container, force: true, CancellationToken.None);
            }
            catch (EngineException e) when (e is EngineNotFoundException or EngineConflictException)
            {
                // gone already, or being removed (autoRemove)
            }
            return $"container removed after start: its bind of {mount.Source} at {mount.Target} (mount {index}) does not hold what the policy judged " +
                   $"({why}): a folder on the path was replaced by a symlink between the check and the mount";
        }
        return null;
    }
}
