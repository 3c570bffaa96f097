using Agent.Core.Model;
using Agent.Core.Planning;

namespace Agent.Http;

/// <summary>When a ComposeProject's stop or start (docker compose stop/start) does not apply: while the project is down
/// (agent down, or suspend: true in its manifest) it has no containers to stop or start, as with docker compose.</summary>
public static class ComposeStopRules
{
    /// <summary>Why <paramref name="verb"/> ("stop" or "start") is refused for project <paramref name="name"/>, naming the
    /// verb that applies; null when it applies.</summary>
    public static string? Refusal(string verb, string name, bool down, bool specSuspend)
    {
        var shown = $"composeproject/{name}";
        if (specSuspend)
            return $"ComposeProject \"{name}\" has suspend: true in its manifest, which keeps it down (no containers to {verb}); " +
                   "remove suspend from the manifest to bring it up";
        if (!down) return null;
        return verb == "start"
            ? $"ComposeProject \"{name}\" is down (agent down): it has no containers to start; bring it up with agent up {shown} (POST /api/v1/composeprojects/{name}/up)"
            : $"ComposeProject \"{name}\" is down (agent down): its containers are removed already, nothing to stop; agent up {shown} brings it up";
    }

    /// <summary>Why stop or start of one service (<c>?service=</c>, docker compose stop/start SERVICE) is refused: a
    /// service the project does not have, or a start while the whole project is stopped (the reconciler would stop it
    /// again); null when it applies.</summary>
    public static string? ServiceRefusal(string verb, ServiceGroup project, string service, bool projectStopped)
    {
        var name = project.Metadata.Name;
        if (project.Spec.Services.All(s => s.Name != service))
            return $"ComposeProject \"{name}\" has no service \"{service}\" (its services: {string.Join(", ", project.Spec.Services.Select(s => s.Name))})";
        if (verb == "start" && projectStopped)
            return $"ComposeProject \"{name}\" is stopped as a whole: start it with agent start composeproject/{name} (POST /api/v1/composeprojects/{name}/start)";
        return null;
    }

    /// <summary>The containers a stop of <paramref name="service"/> stops: those of the service that run or are paused,
    /// by name.</summary>
    public static IReadOnlyList<ObservedContainer> StopTargets(ObservedState observed, string service) =>
        observed.Containers.Where(c => c.Service == service && (c.IsRunning || c.State == ContainerState.Paused))
            .OrderBy(c => c.Replica).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();

    /// <summary>The project with only <paramref name="service"/>: what a start of that service starts.</summary>
    public static ServiceGroup OnlyService(ServiceGroup project, string service) =>
        project with { Spec = project.Spec with { Services = project.Spec.Services.Where(s => s.Name == service).ToList() } };
}
