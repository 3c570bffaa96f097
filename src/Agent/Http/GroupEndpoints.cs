using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;
using Agent.Sources;

namespace Agent.Http;

/// <summary>Verbs of the kinds compiled into groups. ServiceGroup stop/start and ComposeProject down/up set and clear the
/// persisted suspend override (a suspended group is stopped, a suspended project is down); restart restarts running containers.</summary>
public static class GroupEndpoints
{
    public static RouteGroupBuilder MapGroupEndpoints(this RouteGroupBuilder api)
    {
        MapVerbs(api, "servicegroups", ServiceGroup.KindName, stop: "stop", start: "start",
            "Stop a group's containers and keep them stopped (survives restarts).");
        MapVerbs(api, "composeprojects", ServiceGroup.ComposeKindName, stop: "down", start: "up",
            "Like docker compose down: remove the project's containers and network, keep its volumes, until up (survives restarts).");
        return api;
    }

    private static void MapVerbs(RouteGroupBuilder api, string resource, string kind, string stop, string start, string stopSummary)
    {
        var objects = api.MapGroup($"/{resource}/{{name}}").RequireAuthorization(Auth.Roles.Operator);
        objects.MapPost($"/{stop}", (string name, ManifestStore manifests, RuntimeOverrides overrides, WorkQueue queue) =>
            Toggle(new ObjectKey(kind, name), resource, suspended: true, manifests, overrides, queue))
            .WithSummary(stopSummary);
        objects.MapPost($"/{start}", (string name, ManifestStore manifests, RuntimeOverrides overrides, WorkQueue queue) =>
            Toggle(new ObjectKey(kind, name), resource, suspended: false, manifests, overrides, queue))
            .WithSummary($"Clear a {stop}: the {kind}'s containers run again.");
        objects.MapPost("/restart", async (string name, ManifestStore manifests, OwnedContainers containers, IContainerEngine engine, AgentLabels labels, CancellationToken ct) =>
        {
            var key = new ObjectKey(kind, name);
            if (manifests.Get(key) is null) return NotFound(key);
            var list = (await containers.ListAsync(name, null, "running", ct)).Where(c => c.Labels.TryGetValue(labels.Kind, out var k) && k == kind).ToList();
            await Parallel.ForEachAsync(list, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
                async (c, token) => await engine.RestartContainerAsync(c.Id, TimeSpan.FromSeconds(10), token));
            return Results.Ok(new { group = name, restarted = list.Select(c => c.Name) });
        }).WithSummary($"Restart every running container of a {kind}.");
    }

    private static IResult Toggle(ObjectKey key, string resource, bool suspended, ManifestStore manifests, RuntimeOverrides overrides, WorkQueue queue)
    {
        if (manifests.Get(key) is null) return NotFound(key);
        overrides.SetSuspended(key, suspended);
        queue.Add(key);
        return Results.Accepted($"/api/v1/{resource}/{key.Name}", new { group = key.Name, suspended });
    }

    private static IResult NotFound(ObjectKey key) => ApiProblems.NotFound($"No {key.Kind} \"{key.Name}\" in the manifests.");
}
