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
    /// service the project does not have; null when it applies.</summary>
    public static string? ServiceRefusal(ServiceGroup project, string service)
    {
        var name = project.Metadata.Name;
        return project.Spec.Services.All(s => s.Name != service)
            ? $"ComposeProject \"{name}\" has no service \"{service}\" (its services: {string.Join(", ", project.Spec.Services.Select(s => s.Name))})"
            : null;
    }

    /// <summary><paramref name="service"/> and every service it depends on, directly or through others: what docker compose
    /// start SERVICE starts.</summary>
    public static IReadOnlySet<string> WithDependencies(ServiceGroup project, string service)
    {
        var byName = project.Spec.Services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var closure = new HashSet<string>(StringComparer.Ordinal);
        var next = new Stack<string>([service]);
        while (next.TryPop(out var name))
            if (closure.Add(name) && byName.TryGetValue(name, out var spec))
                foreach (var dependency in spec.DependsOn) next.Push(dependency.Service);
        return closure;
    }

    /// <summary>The containers that stay stopped when a project stopped as a whole starts only <paramref name="services"/>:
    /// those of the other services that do not run. They are kept stopped as user stops, as after docker compose stop
    /// SERVICE, so that a later start of the project (or of their service) starts them. One whose stop is still landing
    /// is one of them.</summary>
    public static IReadOnlyList<ObservedContainer> LeftStopped(ObservedState observed, IReadOnlySet<string> services) =>
        observed.Containers.Where(c => !services.Contains(c.Service) && (!c.IsRunning || c.StopInFlight)).ToList();

    /// <summary>The stopped containers a start will start (recorded first as stopped by the agent, so that a start cut off
    /// by an agent kill is finished after the restart): those of <paramref name="only"/> (all services when null) that
    /// are exited, dead or still being stopped, other than <paramref name="kept"/>. With <paramref name="arrivedWith"/>
    /// (what was seen when the start arrived while a reconcile ran), only containers seen then: one made since was made
    /// and run by that reconcile, the start does not run it again, and a record of it would have the next reconcile run
    /// it again (CI, session 59: a one-shot made by the reconcile that ran as agent up arrived ran twice).</summary>
    public static IReadOnlyList<string> ToStart(ObservedState seen, IReadOnlySet<string>? only, IReadOnlyCollection<string> kept, ObservedState? arrivedWith) =>
        seen.Containers.Where(c => (c.State is ContainerState.Exited or ContainerState.Dead || c.StopInFlight) && (only is null || only.Contains(c.Service))
                && !kept.Contains(c.Id) && (arrivedWith is null || arrivedWith.Containers.Any(a => a.Id == c.Id)))
            .Select(c => c.Id).ToList();

    /// <summary>The containers a stop of <paramref name="service"/> stops: those of the service that run or are paused,
    /// by name.</summary>
    public static IReadOnlyList<ObservedContainer> StopTargets(ObservedState observed, string service) =>
        observed.Containers.Where(c => c.Service == service && (c.IsRunning || c.State == ContainerState.Paused))
            .OrderBy(c => c.Replica).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();

    /// <summary>The project with only <paramref name="services"/> (in their order).</summary>
    public static ServiceGroup OnlyServices(ServiceGroup project, IReadOnlySet<string> services) =>
        project with { Spec = project.Spec with { Services = project.Spec.Services.Where(s => services.Contains(s.Name)).ToList() } };
}
