using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;
using Agent.Sources;

namespace Agent.Http;

/// <summary>Group verbs: stop is the persisted suspend override, start clears it, restart restarts the group's containers.</summary>
public static class GroupEndpoints
{
    public static RouteGroupBuilder MapGroupEndpoints(this RouteGroupBuilder api)
    {
        var groups = api.MapGroup("/servicegroups/{name}").RequireAuthorization(Auth.Roles.Operator);
        groups.MapPost("/stop", (string name, ManifestStore manifests, RuntimeOverrides overrides, WorkQueue queue) =>
            Toggle(name, suspended: true, manifests, overrides, queue)).WithSummary("Stop a group's containers and keep them stopped (survives restarts).");
        groups.MapPost("/start", (string name, ManifestStore manifests, RuntimeOverrides overrides, WorkQueue queue) =>
            Toggle(name, suspended: false, manifests, overrides, queue)).WithSummary("Clear a stop: the group's containers run again.");
        groups.MapPost("/restart", async (string name, ManifestStore manifests, OwnedContainers containers, IContainerEngine engine, CancellationToken ct) =>
        {
            if (manifests.Get(new ObjectKey(ServiceGroup.KindName, name)) is null) return NoGroup(name);
            var list = await containers.ListAsync(name, null, "running", ct);
            await Parallel.ForEachAsync(list, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
                async (c, token) => await engine.RestartContainerAsync(c.Id, TimeSpan.FromSeconds(10), token));
            return Results.Ok(new { group = name, restarted = list.Select(c => c.Name) });
        }).WithSummary("Restart every running container of a group.");
        return api;
    }

    private static IResult Toggle(string name, bool suspended, ManifestStore manifests, RuntimeOverrides overrides, WorkQueue queue)
    {
        var key = new ObjectKey(ServiceGroup.KindName, name);
        if (manifests.Get(key) is null) return NoGroup(name);
        overrides.SetSuspended(key, suspended);
        queue.Add(key);
        return Results.Accepted($"/api/v1/servicegroups/{name}", new { group = name, suspended });
    }

    private static IResult NoGroup(string name) => ApiProblems.NotFound($"No ServiceGroup \"{name}\" in the manifests.");
}
