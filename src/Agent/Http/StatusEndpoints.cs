using Agent.Core.Model;
using Agent.Status;

namespace Agent.Http;

/// <summary>Status of the desired objects: what `kubectl get` (list) and `kubectl describe` (one) give.</summary>
public static class StatusEndpoints
{
    public static RouteGroupBuilder MapStatusEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/objects", (StatusStore status) => Results.Ok(status.List()))
            .WithSummary("Every object of every kind with its conditions, services and recent events.");
        api.MapGet("/servicegroups", (StatusStore status) => Results.Ok(status.List(ServiceGroup.KindName)))
            .WithSummary("List service groups (kubectl get).");
        api.MapGet("/servicegroups/{name}", (string name, StatusStore status) =>
                status.Get(new ObjectKey(ServiceGroup.KindName, name)) is { } s
                    ? Results.Ok(s)
                    : ApiProblems.NotFound($"No ServiceGroup \"{name}\". List them with GET /api/v1/servicegroups."))
            .WithSummary("One service group with conditions, per-service state and recent events (kubectl describe).");
        return api;
    }
}
