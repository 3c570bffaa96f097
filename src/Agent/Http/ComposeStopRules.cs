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

    /// <summary>The containers a stop of <paramref name="service"/> stops: those of the service that run or are paused,
    /// by name.</summary>
    public static IReadOnlyList<ObservedContainer> StopTargets(ObservedState observed, string service) =>
        observed.Containers.Where(c => c.Service == service && (c.IsRunning || c.State == ContainerState.Paused))
            .OrderBy(c => c.Replica).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();

    /// <summary>The project with only <paramref name="services"/> (in their order).</summary>
    public static ServiceGroup OnlyServices(ServiceGroup project, IReadOnlySet<string> services) =>
        project with { Spec = project.Spec with { Services = project.Spec.Services.Where(s => services.Contains(s.Name)).ToList() } };
}
