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
        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        var probes = app.MapGroup("").MapProbeEndpoints();
        if (auth.OpenProbes) probes.AllowAnonymous();
        var metrics = app.MapPrometheusScrapingEndpoint("/metrics");
        if (auth.OpenMetrics) metrics.AllowAnonymous();

        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapScalarApiReference("/docs", o => o.WithTitle("Agent API").WithOpenApiRoutePattern("/openapi/{documentName}.json")).AllowAnonymous();

        var api = app.MapGroup("/api/v1")
            .RequireAuthorization(Roles.Viewer)
            .RequireRateLimiting(HttpServiceExtensions.ApiRateLimit)
            .WithEngineProblems()
            .WithStateProblems();
        api.MapStatusEndpoints();
        api.MapGroupEndpoints();
        api.MapContainerEndpoints();
        api.MapImageEndpoints();
        api.MapSystemEndpoints();
        api.MapRunEndpoints();
        return app;
    }
}
