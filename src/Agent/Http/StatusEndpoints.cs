using Agent.Core.Model;
using Agent.Sources;
using Agent.Status;

namespace Agent.Http;

/// <summary>Status of the desired objects: what `kubectl get` (list) and `kubectl describe` (one) give.</summary>
public static class StatusEndpoints
{
    public static RouteGroupBuilder MapStatusEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/objects", (string? kind, StatusView status, ManifestStore manifests, GitRepositoryStatusStore git) =>
            {
                if (kind is not null && !ListedKinds.All.Contains(kind, StringComparer.OrdinalIgnoreCase))
                    return ApiProblems.BadRequest($"kind \"{kind}\" is not one of {string.Join(", ", ListedKinds.All)}");
                var objects = status.List();
                var all = objects.Concat(GitRepositoryViews.Objects(manifests, git, objects)).Concat(manifests.FileProblems.Select(FileStatuses.From));
                return JsonAnswer.Ok(all.Where(o => kind is null || string.Equals(o.Kind, kind, StringComparison.OrdinalIgnoreCase)).ToList());
            })
            .WithSummary("Every object of every kind with its conditions, services and recent events (GitRepositories with their URL, ref and revision under gitRepository); files whose errors belong to no object (broken YAML, a binary file, an unreadable path) as kind \"File\". " +
                         "kind=K (any case) lists only objects of that kind; a kind not listed here is a 400.");
        api.MapGet("/servicegroups", (StatusView status) => JsonAnswer.Ok(status.List(ServiceGroup.KindName)))
            .WithSummary("List service groups (kubectl get).");
        api.MapGet("/servicegroups/{name}", (string name, StatusView status) =>
                status.Get(new ObjectKey(ServiceGroup.KindName, name)) is { } s
                    ? JsonAnswer.Ok(s)
                    : ApiProblems.NotFound($"No ServiceGroup \"{ApiProblems.Shown(name)}\". List them with GET /api/v1/servicegroups."))
            .WithSummary("One service group with conditions, per-service state and recent events (kubectl describe).");
        api.MapGet("/composeprojects", (StatusView status) => JsonAnswer.Ok(status.List(ServiceGroup.ComposeKindName)))
            .WithSummary("List compose projects.");
        api.MapGet("/composeprojects/{name}", (string name, StatusView status) =>
                status.Get(new ObjectKey(ServiceGroup.ComposeKindName, name)) is { } s
                    ? JsonAnswer.Ok(s)
                    : ApiProblems.NotFound($"No ComposeProject \"{ApiProblems.Shown(name)}\". List them with GET /api/v1/composeprojects."))
            .WithSummary("One compose project: conditions, per service desired/ready replicas, containers and health, recent events.");
        return api;
    }
}
