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
        app.UseAuthenticationBeforeMediaType();
        app.UseClientRateLimit();
        app.UseAuthorization();

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
            .WithScopes();
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

    /// <summary>Routing answers a body of a type no endpoint accepts (a form from `curl -d`, text/plain) with its own 415
    /// endpoint, which carries no authorization: a caller without a valid token learnt the route's media type before
    /// being told to authenticate. A request without a valid token is challenged (401) first, as on every other route.</summary>
    public static IApplicationBuilder UseAuthenticationBeforeMediaType(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.GetEndpoint() is { } endpoint && endpoint is not RouteEndpoint
            && endpoint.DisplayName == UnsupportedMediaTypeEndpoint && http.User.Identity?.IsAuthenticated != true)
        {
            await Microsoft.AspNetCore.Authentication.AuthenticationHttpContextExtensions.ChallengeAsync(http);
            return;
        }
        await next(http);
    });

    /// <summary>The display name of ASP.NET Core's AcceptsMatcherPolicy rejection endpoint.</summary>
    public const string UnsupportedMediaTypeEndpoint = "415 HTTP Unsupported Media Type";
}
