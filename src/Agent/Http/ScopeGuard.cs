using System.Security.Claims;
using Agent.Auth;
using Agent.Core.Model;
using Agent.Sources;
using Microsoft.AspNetCore.Authorization;

namespace Agent.Http;

/// <summary>How a route finds the object it acts on, for a scoped token's check. <see cref="Resolve"/> answers the object
/// (null: one of no group or phase, which no scope covers), or <see cref="ScopeGuard.Missing"/> when there is no such
/// object, so the route answers its own 404.</summary>
public sealed record ScopeTarget(string Description, Func<HttpContext, CancellationToken, Task<ScopeTargetResult>> Resolve);

public sealed record ScopeTargetResult(bool Exists, ScopedObject? Object);

/// <summary>Scoped tokens (phases=, groups=) on the API: reads are never limited; a route that needs more than the viewer
/// role acts only on an object inside the scope, found through the route's <see cref="ScopeTarget"/>. A route without
/// one acts on nothing a scope can cover (images, run, API jobs, prune confirmation): a scoped token is refused there.</summary>
public static class ScopeGuard
{
    public static readonly ScopeTargetResult Missing = new(false, null);

    /// <summary>The objects scopes apply to; anything else (Run, ApiJob) is outside every restricted scope.</summary>
    private static readonly string[] ScopedKinds = [ServiceGroup.KindName, ServiceGroup.ComposeKindName, CronJob.KindName, Job.KindName];

    /// <summary>Checks every route of the group (apply once, on the API group).</summary>
    public static RouteGroupBuilder WithScopes(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var scope = TokenScope.Of(http.User);
            var endpoint = http.GetEndpoint();
            if (!scope.IsRestricted || endpoint is null || Roles.Rank(RequiredRole(endpoint)) <= Roles.Rank(Roles.Viewer)) return await next(context);
            var targets = endpoint.Metadata.GetOrderedMetadata<ScopeTarget>();
            if (targets.Count == 0) return Refused(http, scope, null, "this route acts on nothing that belongs to a group or phase");
            foreach (var target in targets) // a route acting on two things (a container and a network) needs both in scope
            {
                var found = await target.Resolve(http, http.RequestAborted);
                if (!found.Exists || scope.Allows(found.Object)) continue;
                return Refused(http, scope, found.Object, found.Object is null ? $"the {target.Description} belongs to no group or phase" : null);
            }
            return await next(context);
        });
        return group;
    }

    /// <summary>The strongest role a route asks for (the group's viewer unless the route asks more).</summary>
    public static string RequiredRole(Endpoint endpoint) =>
        endpoint.Metadata.OfType<IAllowAnonymous>().Any() ? ""
            : endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).Where(p => p is not null && Roles.Rank(p) >= 0).MaxBy(p => Roles.Rank(p!)) ?? "";

    /// <summary>The route acts on the container in route value <paramref name="routeValue"/>: the object it belongs to decides.</summary>
    public static TBuilder ScopedToContainer<TBuilder>(this TBuilder builder, string routeValue = "id") where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ScopeTarget("container", async (http, ct) =>
        {
            var owned = http.RequestServices.GetRequiredService<OwnedContainers>();
            return await owned.FindAsync(http.Request.RouteValues[routeValue]?.ToString() ?? "", ct) is { } c
                ? new ScopeTargetResult(true, OfLabels(http, c.Labels))
                : Missing;
        }));

    /// <summary>The route acts on the object of <paramref name="kind"/> named by route value <paramref name="routeValue"/>.</summary>
    public static TBuilder ScopedToObject<TBuilder>(this TBuilder builder, string kind, string routeValue = "name") where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ScopeTarget(kind, (http, _) =>
            Task.FromResult(new ScopeTargetResult(true, Of(http, kind, http.Request.RouteValues[routeValue]?.ToString() ?? "")))));

    /// <summary>The route acts on the object <paramref name="find"/> gives for route value <paramref name="routeValue"/>, of
    /// whichever kind it is (a Job from a manifest or from the API), or on nothing when it gives none: then the route answers
    /// its own 404 (a CronJob's name given as a Job's was refused as "Job/NAME is outside" the scope; probe-39 F7).</summary>
    public static TBuilder ScopedToFound<TBuilder>(this TBuilder builder, string description, string routeValue, Func<HttpContext, string, ObjectKey?> find)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ScopeTarget(description, (http, _) =>
            Task.FromResult(find(http, http.Request.RouteValues[routeValue]?.ToString() ?? "") is { } key
                ? new ScopeTargetResult(true, Of(http, key.Kind, key.Name))
                : Missing)));

    /// <summary>The route finds its target itself (a volume, a network): <paramref name="resolve"/> gives its labels, or null when there is none.</summary>
    public static TBuilder ScopedByLabels<TBuilder>(this TBuilder builder, string description,
        Func<HttpContext, CancellationToken, Task<IReadOnlyDictionary<string, string>?>> resolve) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ScopeTarget(description, async (http, ct) =>
            await resolve(http, ct) is { } labels ? new ScopeTargetResult(true, OfLabels(http, labels)) : Missing));

    /// <summary>The object that labels name (kind and object), or null for a container of none or of a kind scopes do not cover.</summary>
    public static ScopedObject? OfLabels(HttpContext http, IReadOnlyDictionary<string, string> labels)
    {
        var names = http.RequestServices.GetRequiredService<AgentLabels>();
        if (labels.ContainsKey(names.Imperative) || !labels.TryGetValue(names.Kind, out var kind) || !labels.TryGetValue(names.Object, out var name)) return null;
        return Of(http, kind, name);
    }

    private static ScopedObject? Of(HttpContext http, string kind, string name)
    {
        if (!ScopedKinds.Contains(kind)) return null;
        var manifests = http.RequestServices.GetRequiredService<ManifestStore>();
        return new ScopedObject(kind, name, manifests.Get(new ObjectKey(kind, name))?.Object is ServiceGroup g ? g.Spec.Phase : null);
    }

    private static IResult Refused(HttpContext http, TokenScope scope, ScopedObject? target, string? why) =>
        Results.Problem(statusCode: 403, title: "Forbidden",
            detail: $"The token is scoped to {scope} and {why ?? target!.ToString() + " is outside it"}. "
                    + "Use a token whose scope covers it (or an unscoped one).",
            extensions: new Dictionary<string, object?>
            {
                ["scope"] = new ScopeView(scope.Phases?.Order().ToList(), scope.Groups?.Order().ToList()),
                ["object"] = target is null ? null : new RefusedObject(target.Kind, target.Name, target.Phase?.ToString().ToLowerInvariant()),
                ["role"] = http.User.FindFirstValue(ClaimTypes.Role),
            });
}
