using Agent.Auth;
using Agent.Http;
using Microsoft.AspNetCore.Authentication;

namespace Agent.Hosting;

public static class HttpServiceExtensions
{
    /// <summary>Authentication by bearer token, a policy per role, rate limiting, body limits, CORS, problem details, OpenAPI.</summary>
    public static WebApplicationBuilder AddAgentHttp(this WebApplicationBuilder builder)
    {
        DurationConverter.Register();
        var authSection = builder.Configuration.GetSection($"{AgentOptions.Section}:Auth");
        var auth = CommaLists.Split(authSection.Get<AuthOptions>() ?? new AuthOptions(), authSection);
        var services = builder.Services;
        services.AddSingleton<TokenStore>();
        services.AddSingleton<OwnedContainers>();
        services.AddSingleton<ContainerListBodies>();
        services.AddSingleton<ManagedResources>();
        services.AddContainerAccess(builder.Configuration);
        services.AddSingleton<ImageUsers>();
        services.AddSingleton<ImageNameReservations>();
        services.AddSingleton<Usage.HostUsage>();
        services.AddAuthentication(BearerAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
        // No fallback policy: every endpoint states its own (unknown routes answer 404, not 401).
        foreach (var role in Roles.All)
            services.AddAuthorizationBuilder().AddPolicy(role, p => p.RequireRole(Roles.AtLeast(role)));

        // Keyed on who authenticated (a digest of the token), else the client address: spelling the header differently
        // does not make a new client, and requests without a token are limited too. Probes and metrics are not limited
        // (a kubelet or Prometheus must not be turned away). Applied by UseClientRateLimit.
        services.AddSingleton(new ClientRateLimiter(auth.RateLimitPermits, auth.RateLimitWindow, TimeProvider.System, RateLimitClient.Of));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = auth.MaxRequestBodyBytes;
            k.Limits.MaxRequestLineSize = ErrorAnswers.KestrelRequestLine;
            k.Limits.MaxRequestHeadersTotalSize = ErrorAnswers.KestrelRequestHeaders;
        });
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddCors(c => c.AddDefaultPolicy(p =>
        {
            if (auth.CorsOrigins.Count > 0) p.WithOrigins([.. auth.CorsOrigins]).AllowAnyHeader().AllowAnyMethod();
        }));
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ErrorAnswers.Customize);
        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        services.AddOpenApi("v1", OpenApiDescriptions.Configure);
        return builder;
    }
}
