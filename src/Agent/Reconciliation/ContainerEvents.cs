using System.Globalization;
using Agent.Core.Model;
using Agent.Engine;

namespace Agent.Reconciliation;

/// <summary>What a container event changes in the cached list entry (pure). Every rule sets fields to what the event
/// says, so replaying events over a newer listing ends where the engine is: the last event for a container wins.</summary>
public static class ContainerEvents
{
    /// <summary>Event attributes that are not labels: the engine adds them beside the container's labels.</summary>
    private static readonly HashSet<string> NotLabels = ["name", "image", "exitCode", "oldName", "signal", "execID"];

    /// <summary>Whether the event changes what the list shows (exec, attach, top, ... do not).</summary>
    public static bool Changes(EngineEvent e) =>
        e.Type == "container" && (e.Action is "create" or "start" or "die" or "destroy" or "rename" or "pause" or "unpause"
                                  || e.Action.StartsWith("health_status", StringComparison.Ordinal));

    /// <summary>A "start" leaves what only an inspect tells (a healthcheck's starting state, the ports the engine
    /// picked): the cache looks once per start, and once per unpause (the health a paused container had may have
    /// changed). A "create" carries the labels the container inherited from its image:
    /// only the adapter's inspect tells whether they are its own (InheritedOwnership).</summary>
    public static bool NeedsInspect(EngineEvent e) => e is { Type: "container", Action: "start" or "create" or "unpause" };

    /// <summary>The entry after the event; null when the container is gone (or was never known and the event cannot
    /// describe it).</summary>
    public static ContainerSummary? Apply(ContainerSummary? known, EngineEvent e)
    {
        var name = e.Attributes.GetValueOrDefault("name");
        switch (e.Action)
        {
            case "destroy":
                return null;
            case "create":
                return known ?? new ContainerSummary(e.ActorId, name ?? e.ActorId[..Math.Min(12, e.ActorId.Length)], e.Attributes.GetValueOrDefault("image") ?? "",
                    ContainerState.Created, HealthState.None, ContainerSummary.StatusOf(ContainerState.Created, null), null, AsListed(e.Time),
                    e.Attributes.Where(a => !NotLabels.Contains(a.Key)).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal));
        }
        if (known is null) return null; // created before the last listing and not in it: the next inspect or listing tells
        return e.Action switch
        {
            // A container seen with a health state has a healthcheck, which starts again; of one seen without, only the
            // inspect tells whether it has one: until then it is not taken for a ready container without a healthcheck.
            "start" => known with
            {
                State = ContainerState.Running, Status = ContainerSummary.StatusOf(ContainerState.Running, null), ExitCode = null,
                Health = known.Health == HealthState.None ? HealthState.None : HealthState.Starting,
                HealthUnknown = known.Health == HealthState.None,
                NetworkIds = null, // networks connected after the create's inspect are known again from the start's inspect
            },
            "die" => Exited(known, e),
            "rename" when name is not null => known with { Name = name },
            // Not ready while paused (State); its health is told again by the inspect an unpause queues.
            "pause" => known with { State = ContainerState.Paused, Status = ContainerSummary.StatusOf(ContainerState.Paused, null) },
            "unpause" => known with
            {
                State = ContainerState.Running, Status = ContainerSummary.StatusOf(ContainerState.Running, null), HealthUnknown = known.Health == HealthState.None,
            },
            _ when e.Action.StartsWith("health_status: ", StringComparison.Ordinal) => known with { Health = Health(e.Action["health_status: ".Length..]), HealthUnknown = false },
            _ => known,
        };
    }

    /// <summary>A container as an inspect shows it, in the list's shape.</summary>
    public static ContainerSummary FromDetails(ContainerDetails d) => new(
        d.Id, d.Name, d.Image, d.State, d.State == ContainerState.Running ? d.Health : HealthState.None,
        ContainerSummary.StatusOf(d.State, d.ExitCode),
        d.State is ContainerState.Exited or ContainerState.Dead ? d.ExitCode : null, AsListed(d.Created), d.Labels)
    {
        Ports = d.Ports.Distinct().OrderBy(p => p.ContainerPort).ThenBy(p => p.HostIp, StringComparer.Ordinal).ToList(),
        NetworkIds = d.NetworkIds,
        HasBinds = d.Binds.Count > 0,
        WritableBinds = d.Binds.Where(b => b.Writable).Select(b => b.Source).ToList(),
    };

    /// <summary>A time as the list call gives it (whole seconds): an entry from an event or an inspect does not change
    /// when the next listing replaces it.</summary>
    private static DateTimeOffset AsListed(DateTimeOffset time) => DateTimeOffset.FromUnixTimeSeconds(time.ToUnixTimeSeconds());

    private static ContainerSummary Exited(ContainerSummary known, EngineEvent e)
    {
        int? code = e.Attributes.TryGetValue("exitCode", out var text) && int.TryParse(text, CultureInfo.InvariantCulture, out var c) ? c : null;
        // The list shows no health for a container that is not running.
        return known with { State = ContainerState.Exited, Status = ContainerSummary.StatusOf(ContainerState.Exited, code), ExitCode = code, Health = HealthState.None, HealthUnknown = false };
    }

    private static HealthState Health(string text) => text switch
    {
        "healthy" => HealthState.Healthy,
        "unhealthy" => HealthState.Unhealthy,
        "starting" => HealthState.Starting,
        _ => HealthState.None,
    };
}
