using System.Security.Claims;
using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Engine;
using Agent.Reconciliation;
using Agent.Sources;
using Agent.Status;

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
            "Like docker compose down: remove the project's containers and network, keep its volumes, until up (survives restarts). " +
            "volumes=true (admin only), like down -v: also remove the project's own named volumes, never external ones.");
        return api;
    }

    private static void MapVerbs(RouteGroupBuilder api, string resource, string kind, string stop, string start, string stopSummary)
    {
        var objects = api.MapGroup($"/{resource}/{{name}}").RequireAuthorization(Auth.Roles.Operator).ScopedToObject(kind);
        if (kind == ServiceGroup.ComposeKindName)
            objects.MapPost($"/{stop}", (HttpContext http, string name, bool? volumes, ManifestStore manifests, RuntimeOverrides overrides, WorkQueue queue, StatusStore status) =>
                volumes == true && !http.User.IsInRole(Auth.Roles.Admin)
                    ? Results.Problem(statusCode: 403, title: "Forbidden",
                        detail: $"down?volumes=true removes the project's named volumes and needs the {Auth.Roles.Admin} role; the token's role is {http.User.FindFirstValue(ClaimTypes.Role)}. Use an admin token, or down without volumes (they are kept).",
                        extensions: new Dictionary<string, object?> { ["requiredRole"] = Auth.Roles.Admin })
                    : Toggle(new ObjectKey(kind, name), resource, suspended: true, manifests, overrides, queue, status, removeVolumes: volumes == true))
                .WithSummary(stopSummary);
        else
            objects.MapPost($"/{stop}", (string name, ManifestStore manifests, RuntimeOverrides overrides, WorkQueue queue, StatusStore status) =>
                Toggle(new ObjectKey(kind, name), resource, suspended: true, manifests, overrides, queue, status))
                .WithSummary(stopSummary);
        objects.MapPost($"/{start}", (string name, ManifestStore manifests, RuntimeOverrides overrides, WorkQueue queue, StatusStore status) =>
            Toggle(new ObjectKey(kind, name), resource, suspended: false, manifests, overrides, queue, status))
            .WithSummary($"Clear a {stop}: the {kind}'s containers run again.");
        objects.MapPost("/restart", async (string name, ManifestStore manifests, EngineObserver observer, PlanExecutor executor,
            Microsoft.Extensions.Options.IOptions<Hosting.AgentOptions> options, CancellationToken ct) =>
        {
            var key = new ObjectKey(kind, name);
            if (manifests.Get(key)?.Object is not ServiceGroup group) return NotFound(key);
            var plan = RestartPlanner.PlanRestart(group, await observer.ObserveFreshAsync(key, ct));
            var result = await executor.RunAsync(key, plan, options.Value.Parallelism, ct);
            if (!result.Succeeded) return Results.Problem(statusCode: 502, title: "Restart Failed", detail: string.Join("; ", result.Failures));
            return JsonAnswer.Ok(new GroupRestarted(name, plan.Operations.Select(o => o.ResourceId["container:".Length..])));
        }).WithSummary($"Restart the {kind}'s running and paused containers in dependsOn order, each with its stopSignal and stopGracePeriod.");
    }

    private static IResult Toggle(ObjectKey key, string resource, bool suspended, ManifestStore manifests, RuntimeOverrides overrides, WorkQueue queue,
        StatusStore status, bool removeVolumes = false)
    {
        if (manifests.Get(key) is not { } entry) return NotFound(key);
        overrides.SetSuspended(key, suspended, removeVolumes);
        status.MarkToggled(key, suspended, key.Kind == ServiceGroup.ComposeKindName ? (suspended ? "Down" : "Up") : (suspended ? "Stop" : "Start"),
            specSuspend: entry.Object is ServiceGroup { Spec.Suspend: true });
        queue.Add(key);
        return JsonAnswer.Accepted($"/api/v1/{resource}/{key.Name}", new GroupSuspended(key.Name, suspended, removeVolumes ? true : null));
    }

    private static IResult NotFound(ObjectKey key) => ApiProblems.NotFound($"No {key.Kind} \"{key.Name}\" in the manifests.");
}
