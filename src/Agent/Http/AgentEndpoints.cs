using Agent.Auth;
using Agent.Hosting;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Agent.Http;

public static class AgentEndpoints
{
    /// <summary>Maps every HTTP area of the agent.</summary>
    public static WebApplication MapAgentEndpoints(this WebApplication app)
    {
        var auth = app.Services.GetRequiredService<IOptions<AgentOptions>>().Value.Auth;
        app.Services.GetRequiredService<Telemetry.AgentGauges>();
        app.Services.GetRequiredService<TokenStore>(); // reads (or generates) the tokens file at start, not at the first request
        app.UseApiActivity();
        app.UseRequestLimits();
        app.UseProblemExceptions();
        app.UseStatusCodePages();
        app.UseImageReferencePaths();
        app.UseRouting(); // explicit: after the image reference rewrite
        app.UseCors();
        app.UseAuthentication();
        app.UseClientRateLimit();
        app.UseAuthorization();
        app.UseBodyLimit(); // after the 401/403: they come first on every route, whatever the body (probe-33 F12)

        var probes = app.MapGroup("").MapProbeEndpoints();
        if (auth.OpenProbes) probes.AllowAnonymous();
        else probes.RequireAuthorization(Roles.Viewer);
        var metrics = app.MapPrometheusScrapingEndpoint("/metrics");
        if (auth.OpenMetrics) metrics.AllowAnonymous();
        else metrics.RequireAuthorization(Roles.Viewer);

        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        // Nothing in /docs reaches the internet: fonts, the client download, MCP, the AI agent and telemetry are off;
        // "Test request" calls the agent itself with the bearer token entered under Authentication.
        app.MapScalarApiReference("/docs", o => o.WithTitle("Agent API").WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .DisableDefaultFonts().HideClientButton().DisableTelemetry().DisableMcp().DisableAgent().HideDeveloperTools()
            .AddPreferredSecuritySchemes(OpenApiDescriptions.Scheme)).AllowAnonymous();

        var api = app.MapGroup("/api/v1")
            .RequireAuthorization(Roles.Viewer)
            .WithEngineProblems()
            .WithStateProblems()
            .WithRequestValidation()
            .WithScopes()
            .WithMediaTypes();
        api.MapStatusEndpoints();
        api.MapGroupEndpoints();
        api.MapContainerEndpoints();
        api.MapContainerAccessEndpoints();
        api.MapImageEndpoints();
        api.MapBuildEndpoints();
        api.MapTaskEndpoints();
        api.MapRegistryEndpoints();
        api.MapSystemEndpoints();
        api.MapRunEndpoints();
        api.MapJobEndpoints();
        api.MapPruneEndpoints();
        api.MapGitRepositoryEndpoints();
        api.MapVolumeEndpoints();
        api.MapNetworkEndpoints();
        api.MapUsageEndpoints();
        api.MapCommandEndpoints();
        app.MapGitWebhooks();
        return app;
    }

    /// <summary>Routing's AcceptsMatcherPolicy answers a body of a type a route does not take with its own 415 endpoint,
    /// which carries no authorization: a caller without a token, or with too low a role, learnt the route's media type
    /// (probe-16 F7, probe-17 F13). Without it the route's own endpoint is chosen whatever the body's type, so
    /// authentication (401), authorization (403) and scopes (403) judge the request first, and
    /// <see cref="WithMediaTypes"/> answers the 415 afterwards. Call it after every service is added (AddRouting adds the
    /// policy again when it is missing).</summary>
    public static void RemoveMediaTypeRouting(this IServiceCollection services)
    {
        for (var i = services.Count - 1; i >= 0; i--)
            if (services[i].ServiceType == typeof(Microsoft.AspNetCore.Routing.MatcherPolicy) && services[i].ImplementationType?.Name == "AcceptsMatcherPolicy")
                services.RemoveAt(i);
    }

    /// <summary>The body's Content-Type against the route's Accepts metadata, as the last filter of the API group: after
    /// the role (authorization middleware) and the token's scope (<see cref="ScopeGuard.WithScopes"/>). A request without
    /// a Content-Type goes to the route, which says what it needs.</summary>
    public static RouteGroupBuilder WithMediaTypes(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (http.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>() is { ContentTypes.Count: > 0 } accepts
                && http.Request.ContentType is { Length: > 0 } sent && !Takes(accepts.ContentTypes, sent))
                return Results.Problem(statusCode: 415, title: "Unsupported Media Type",
                    detail: $"{http.Request.Method} {http.Request.Path} takes a body of type {string.Join(" or ", accepts.ContentTypes)}, not {sent}: send it with Content-Type: {accepts.ContentTypes[0]}.");
            return await next(context);
        });
        return group;
    }

    private static bool Takes(IReadOnlyList<string> accepted, string sent) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(sent, out var type)
        && accepted.Any(a => Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(a, out var range) && type.IsSubsetOf(range));
}
