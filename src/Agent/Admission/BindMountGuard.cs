using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;
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
public sealed class BindMountGuard(IContainerEngine engine, AgentLabels labels, StatusStore status, WorkQueue queue, ObservedCache cache, ILogger<BindMountGuard> logger)
{
    /// <summary>The reason of the Warning event recorded on the container's object.</summary>
    public const string Reason = "BindSourceMoved";

    private int warned;

    // Each container start whose binds were found to hold what the policy judged (id -> pid and start time): its mounts
    // are fixed for that process's life, so a later check of the same start (its "start" event, handled after the agent's
    // own check) compares nothing. Its bind source deleted meanwhile (an admin's rm -rf, a cleaner) would otherwise read
    // as moved and remove a container that runs what was judged (seen in CI).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Pid, DateTimeOffset? Started)> verified = new(StringComparer.Ordinal);
    private const int VerifiedKept = 4096;

    /// <summary>The one way the agent starts (<paramref name="start"/>: the engine's start or restart) one of its
    /// containers: null when it started with the binds that were judged; otherwise why it was not started (a bind source
    /// goes through a symlink now) or was removed right after the start. <paramref name="created"/>: the request the caller
    /// just created this container (by id) with; its binds are the container's (they never change after the create), so
    /// no inspect is needed to know them, and one without binds needs none after the start either. <paramref name="prepare"/>
    /// sees the container's binds first.</summary>
    public async Task<string?> StartAsync(string container, Func<Task> start, CancellationToken ct, ContainerCreateRequest? created = null,
        Action<IReadOnlyList<BindMount>>? prepare = null)
    {
        var before = created is null ? await engine.InspectContainerAsync(container, ct) : null;
        if (before is not null) await engine.RestoreRestartPolicyAsync(before, labels.Spec, ct);
        var binds = created is null ? before?.Binds ?? [] : BindsOf(created.Spec);
        prepare?.Invoke(binds);
        if (binds.Count > 0 && Moved(binds, root: null) is { } moved)
        {
            var (name, containerLabels) = before is not null ? (before.Name, before.Labels) : (created!.Name, created.Labels);
            return Report(name, containerLabels, before is { State: ContainerState.Running or ContainerState.Paused }
                ? $"not restarted: {moved}; it runs on with the mounts of its last start, and is not restarted until the source is a folder again (or the container is removed)"
                : $"not started: {moved}; it stays stopped until the source is a folder again (or the container is removed)");
        }
        if (binds.Count == 0)
        {
            await start();
            return null;
        }
        // Its after-start inspect serves the observed cache too. Not for one running already: a start of it sends no event.
        using var handover = before is { State: ContainerState.Running } ? null : cache.HandOverInspect(before?.Id ?? container);
        await start();
        return await VerifyRunningAsync(container, ct, handover);
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

    /// <summary>The same check as <see cref="CheckStartedAsync"/> on an inspect made after the start by someone else (the
    /// observed cache's, one per start event): no inspect of its own. Never throws but for shutdown.</summary>
    public async Task CheckInspectedAsync(ContainerDetails details)
    {
        try
        {
            await VerifyAsync(details);
        }
        catch (Exception e) when (e is not OperationCanceledException) // it runs in the cache's inspect loop: never end that loop
        {
            logger.LogWarning("Bind mounts of started container {Container} not verified: {Error}", details.Name, e.Message);
        }
    }

    internal static IReadOnlyList<BindMount> BindsOf(ContainerSpec spec) =>
        spec.Mounts.Where(m => m is { Type: MountType.Bind, Source: not null }).Select(m => new BindMount(m.Source!, m.Target)).ToList();

    private async Task<string?> VerifyRunningAsync(string container, CancellationToken ct, InspectHandover? handover = null)
    {
        var asked = handover is null ? 0 : await handover.BeforeInspectAsync(ct);
        var details = await engine.InspectContainerAsync(container, ct);
        handover?.Inspected(details, asked);
        return details is not null ? await VerifyAsync(details) : null;
    }

    private async Task<string?> VerifyAsync(ContainerDetails details)
    {
        if (details is not { Pid: > 0, Binds.Count: > 0 } || !labels.IsOwned(details.Labels))
            return null; // exited (nothing is mounted now), no binds, or not this agent's
        var start = (details.Pid, details.StartedAt);
        if (verified.TryGetValue(details.Id, out var seen) && seen == start) return null;
        if (Moved(details.Binds, $"/proc/{details.Pid}/root") is not { } moved)
        {
            if (verified.Count >= VerifiedKept) verified.Clear(); // removed containers' entries: at worst a start is compared again
            verified[details.Id] = start;
            return null;
        }
        verified.TryRemove(details.Id, out _);
        try
        {
            await engine.RemoveContainerAsync(details.Id, force: true, CancellationToken.None);
        }
        catch (EngineException e) when (e is EngineNotFoundException or EngineConflictException)
        {
            // gone already, or being removed (autoRemove)
        }
        var message = Report(details.Name, details.Labels, $"removed right after a start: {moved}: a folder on the path was replaced by a symlink after the policy judged it");
        // Its object's status still lists the container: looked at now, not at the end of a backoff or the next resync.
        if (OwnerOf(details.Labels) is { } owner) queue.AddUnlessRunning(owner);
        return message;
    }

    /// <summary>Why one of a container's <paramref name="binds"/> is not what the policy judged, or null. Without
    /// <paramref name="root"/>: only whether each source is still reachable without a symlink (before a start); with it
    /// (/proc/PID/root of the running container): whether what is mounted is the file the source names.</summary>
    private string? Moved(IReadOnlyList<BindMount> binds, string? root)
    {
        foreach (var bind in binds)
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
    private string Report(string name, IReadOnlyDictionary<string, string> containerLabels, string what)
    {
        var service = containerLabels.GetValueOrDefault(labels.Service);
        var message = $"container {name}{(service is null ? "" : $" (service {service})")} {what}";
        logger.LogWarning("{Message}", message);
        if (OwnerOf(containerLabels) is { } owner) status.Record(owner, "Warning", Reason, message);
        return message;
    }

    /// <summary>The manifest object a container belongs to; null for an API run.</summary>
    private ObjectKey? OwnerOf(IReadOnlyDictionary<string, string> containerLabels) =>
        !containerLabels.ContainsKey(labels.Imperative)
        && containerLabels.TryGetValue(labels.Kind, out var kind) && containerLabels.TryGetValue(labels.Object, out var obj)
            ? new ObjectKey(kind, obj) : null;

    /// <summary>A create refused because a bind source goes through a link a container can re-point (see
    /// <see cref="WritableLinks"/>): logged and recorded on <paramref name="owner"/> as a <see cref="Reason"/> Warning; returns the message.</summary>
    public string RefusedCreate(ObjectKey? owner, string why)
    {
        logger.LogWarning("A container of {Owner} is not created: {Why}", owner?.ToString() ?? "an API run", why);
        if (owner is { } key) status.Record(key, "Warning", Reason, $"a container is not created: {why}");
        return why;
    }
}
