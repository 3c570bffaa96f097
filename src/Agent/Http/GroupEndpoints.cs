using Agent.Core.Model;
using Agent.Core.Planning;
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
        objects.MapPost("/restart", async (string name, ManifestStore manifests, EngineObserver observer, PlanExecutor executor,
            Microsoft.Extensions.Options.IOptions<Hosting.AgentOptions> options, CancellationToken ct) =>
        {
            var key = new ObjectKey(kind, name);
            if (manifests.Get(key)?.Object is not ServiceGroup group) return NotFound(key);
            var plan = RestartPlanner.PlanRestart(group, await observer.ObserveAsync(key, ct));
            var result = await executor.RunAsync(plan, options.Value.Parallelism, ct);
            if (!result.Succeeded) return Results.Problem(statusCode: 502, title: "Restart Failed", detail: string.Join("; ", result.Failures));
            return Results.Ok(new { group = name, restarted = plan.Operations.Select(o => o.ResourceId["container:".Length..]) });
        }).WithSummary($"Restart the {kind}'s running containers in dependsOn order, each with its stopSignal and stopGracePeriod.");
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
