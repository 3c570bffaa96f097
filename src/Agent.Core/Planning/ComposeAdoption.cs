using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>
/// A compose project that `docker compose up` already started (Compose's labels, no agent labels). Without
/// `adopt: true` nothing is touched and a Conflict lists what is there. With it, the compose-made network and volumes
/// are taken over as they are (their labels cannot change; the reconciler records them in the state dir) and the
/// containers are replaced one service at a time, stop-first: the old container of a service is stopped and removed,
/// then the agent's is created on the same network with the same volumes, so the data stays.
/// </summary>
internal static class ComposeAdoption
{
    /// <summary>True when the plan must stop here: foreign objects and no `adopt: true` (a Conflict hold is added).</summary>
    public static bool HoldsConflict(PlanInput input, ServiceGroup project, PlanBuilder plan)
    {
        var foreign = input.Observed.Foreign;
        if (project.Compose is not { Adopt: false } || foreign.IsEmpty) return false;
        plan.Hold(Hold.Conflict, $"project {project.Metadata.Name} was started by docker compose: {Describe(foreign)}. " +
            "Nothing is touched: remove them (docker compose down), or set adopt: true on the ComposeProject to replace the containers one service at a time, keeping the network and volumes");
        return true;
    }

    public static bool Adopting(PlanInput input, ServiceGroup project) => project.Compose is { Adopt: true } && !input.Observed.Foreign.IsEmpty;

    /// <summary>The compose-made network of that name, taken over, or null when there is none (or no adoption).</summary>
    public static ObservedNetwork? TakeOverNetwork(PlanInput input, ServiceGroup project, PlanBuilder plan, string name)
    {
        if (!Adopting(input, project) || input.Observed.Foreign.Networks.FirstOrDefault(n => n.Name == name) is not { } network) return null;
        plan.Adopt($"network:{name}");
        return network;
    }

    /// <summary>Takes over the compose-made volume of that name, when there is one: true when it is taken.</summary>
    public static bool TakeOverVolume(PlanInput input, ServiceGroup project, PlanBuilder plan, string name)
    {
        if (!Adopting(input, project) || !input.Observed.Foreign.Volumes.Contains(name)) return false;
        plan.Adopt($"volume:{name}");
        return true;
    }

    /// <summary>Stops and removes the compose-made containers of <paramref name="service"/> after <paramref name="previous"/>
    /// (the last adopted service's starts); returns the removals the service's creates must wait for.</summary>
    public static List<int> Replace(PlanInput input, ServiceGroup project, ServiceSpec service, PlanBuilder plan, IReadOnlyList<int> previous)
    {
        if (!Adopting(input, project)) return [];
        var old = input.Observed.Foreign.Containers.Where(c => c.Service == service.Name).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        if (old.Count == 0) return [];
        // Like a stop-first update: the image is checked before the old container goes.
        List<int> after = [.. previous, plan.EnsureImage(service.Container, compose: true)];
        return old.Select(c => plan.Retire(c, "adopting: replaces the container docker compose made", after)).ToList();
    }

    /// <summary>Compose-made containers of services the project does not have are left alone, and said so.</summary>
    public static void HoldStrays(PlanInput input, ServiceGroup project, PlanBuilder plan)
    {
        if (!Adopting(input, project)) return;
        var services = project.Spec.Services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var strays = input.Observed.Foreign.Containers.Where(c => !services.Contains(c.Service)).Select(c => c.Name).Order(StringComparer.Ordinal).ToList();
        if (strays.Count > 0)
            plan.Hold(Hold.Conflict, $"not adopted, their service is not in the project: {string.Join(", ", strays)} (left alone; remove them with docker rm)");
    }

    private static string Describe(ForeignObjects foreign)
    {
        var parts = new List<string>();
        if (foreign.Containers.Count > 0)
            parts.Add("containers " + string.Join(", ", foreign.Containers.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => $"{c.Name} ({c.Service})")));
        if (foreign.Networks.Count > 0) parts.Add("network " + string.Join(", ", foreign.Networks.Select(n => n.Name).Order(StringComparer.Ordinal)));
        if (foreign.Volumes.Count > 0) parts.Add("volumes " + string.Join(", ", foreign.Volumes.Order(StringComparer.Ordinal)));
        return string.Join("; ", parts);
    }
}
