using Agent.Core.Model;
using Agent.Engine;
using Agent.Status;

namespace Agent.Admission;

/// <summary>
/// The engine is given each bind source with its symlinks resolved, but it opens that path again at EVERY start (the
/// agent's, a restart policy's after a crash, the engine's own at boot): a folder on the path replaced by a symlink since
/// would mount something the policy never judged (the host's docker socket, /etc). So every start of one of this agent's
/// containers is checked: before the agent starts one, each bind source must still be reachable without following a
/// symlink (else it is not started); after any start (the agent's, or a "start" event), each bind is compared, as
/// (device, inode), with what that path names now, and on a difference the container is removed at once (a manifest's
/// replica is then created again only through the policy). The after-start comparison needs the agent on the host's pid
/// and mount namespaces with the rights to open /proc/PID/root (root); otherwise it says so once and compares nothing.
/// </summary>
public sealed class BindMountGuard(IContainerEngine engine, AgentLabels labels, StatusStore status, ILogger<BindMountGuard> logger)
{
    /// <summary>The reason of the Warning event recorded on the container's object.</summary>
    public const string Reason = "BindSourceMoved";

    private int warned;

    /// <summary>The one way the agent starts (<paramref name="start"/>: the engine's start or restart) one of its
    /// containers: null when it started with the binds that were judged; otherwise why it was not started (a bind source
    /// goes through a symlink now) or was removed right after the start.</summary>
    public async Task<string?> StartAsync(string container, Func<Task> start, CancellationToken ct)
    {
        var before = await engine.InspectContainerAsync(container, ct);
        if (before is { Binds.Count: > 0 } && Moved(before, root: null) is { } moved)
            return Report(before, $"not started: {moved}; it stays stopped until the source is a folder again (or the container is removed)");
        await start();
        return before is { Binds.Count: > 0 } ? await VerifyRunningAsync(container, ct) : null;
    }

    /// <summary>A container of this instance started (an engine event: the agent's own starts and everyone else's): its
    /// binds are compared with their judged paths and it is removed on a difference. Never throws but for shutdown.</summary>
    public async Task CheckStartedAsync(string container, CancellationToken ct)
    {
        try
        {
            await VerifyRunningAsync(container, ct);
        }
        catch (EngineException e)
        {
            logger.LogWarning("Bind mounts of started container {Container} not verified: {Error}", container, e.Message);
        }
    }

    private async Task<string?> VerifyRunningAsync(string container, CancellationToken ct)
    {
        if (await engine.InspectContainerAsync(container, ct) is not { Pid: > 0, Binds.Count: > 0 } details || !labels.IsOwned(details.Labels))
            return null; // exited (nothing is mounted now), no binds, or not this agent's
        if (Moved(details, $"/proc/{details.Pid}/root") is not { } moved) return null;
        try
        {
            await engine.RemoveContainerAsync(details.Id, force: true, CancellationToken.None);
        }
        catch (EngineException e) when (e is EngineNotFoundException or EngineConflictException)
        {
            // gone already, or being removed (autoRemove)
        }
        return Report(details, $"removed right after a start: {moved}: a folder on the path was replaced by a symlink after the policy judged it");
    }

    /// <summary>Why a bind of <paramref name="container"/> is not what the policy judged, or null. Without
    /// <paramref name="root"/>: only whether each source is still reachable without a symlink (before a start); with it
    /// (/proc/PID/root of the running container): whether what is mounted is the file the source names.</summary>
    private string? Moved(ContainerDetails container, string? root)
    {
        foreach (var bind in container.Binds)
        {
            PathIdentity.Identity? mounted = null;
            if (root is not null)
            {
                (mounted, var mountedWhy) = PathIdentity.InRoot(root, bind.Target);
                if (mountedWhy == PathIdentity.Failure.Gone) return null;
                if (mountedWhy == PathIdentity.Failure.Unsupported) return Unsupported();
            }
            var (judged, judgedWhy) = PathIdentity.WithoutLinks(bind.Source);
            if (judgedWhy == PathIdentity.Failure.Unsupported) return Unsupported();
            if (judgedWhy == PathIdentity.Failure.Missing && root is null) continue; // the engine refuses a missing source itself
            if (judged is not null && (root is null || judged == mounted)) continue;
            var why = judgedWhy == PathIdentity.Failure.Symlink ? $"{bind.Source} now goes through a symlink"
                : judged is null ? $"{bind.Source} no longer exists"
                : mounted is null ? $"nothing is found at {bind.Target} in it"
                : $"{bind.Target} in it is not {bind.Source}";
            return $"its bind of {bind.Source} at {bind.Target} does not hold what the policy judged ({why})";
        }
        return null;
    }

    private string? Unsupported()
    {
        if (Interlocked.Exchange(ref warned, 1) == 0)
            logger.LogWarning("Bind mounts are not verified at start: this agent cannot open /proc/PID/root of a container (run it on the host as root) or the kernel has no openat2");
        return null;
    }

    /// <summary>Logs <paramref name="what"/> happened to the container and records it as a Warning event on its object
    /// (an API run has none); returns the message.</summary>
    private string Report(ContainerDetails container, string what)
    {
        var service = container.Labels.GetValueOrDefault(labels.Service);
        var message = $"container {container.Name}{(service is null ? "" : $" (service {service})")} {what}";
        logger.LogWarning("{Message}", message);
        if (!container.Labels.ContainsKey(labels.Imperative)
            && container.Labels.TryGetValue(labels.Kind, out var kind) && container.Labels.TryGetValue(labels.Object, out var name))
            status.Record(new ObjectKey(kind, name), "Warning", Reason, message);
        return message;
    }
}
