using Agent.Core.Planning;

namespace Agent.Core.Status;

/// <summary>
/// What runs of an object whose removal is held (its manifest is gone, the mass-prune guard or a failed read holds it):
/// it is not healed meanwhile, so a replica that is down (stopped by a prune a restart interrupted, crashed, stopped by
/// hand) stays down, and the object says so instead of keeping a Degraded=False from before (probe-15j M6).
/// </summary>
public static class HeldReplicas
{
    /// <summary>Why the object is not healthy ("1 of 2 container(s) not running: g-web-2; ..."), or null when every
    /// container of it runs.</summary>
    public static string? Down(IReadOnlyList<ObservedContainer> containers, string held)
    {
        var down = containers.Where(c => !c.IsRunning).Select(c => c.Name).Order(StringComparer.Ordinal).ToList();
        return down.Count == 0 ? null
            : $"{down.Count} of {containers.Count} container(s) not running: {string.Join(", ", down)}; not started again while {held}";
    }
}
