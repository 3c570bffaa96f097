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
}
