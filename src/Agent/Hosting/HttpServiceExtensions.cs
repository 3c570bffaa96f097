using System.Threading.RateLimiting;
using Agent.Auth;
using Agent.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.RateLimiting;

namespace Agent.Hosting;

public static class HttpServiceExtensions
{
    public const string ApiRateLimit = "api";

    /// <summary>Authentication by bearer token, a policy per role, rate limiting, body limits, CORS, problem details, OpenAPI.</summary>
    public static WebApplicationBuilder AddAgentHttp(this WebApplicationBuilder builder)
    {
        DurationConverter.Register();
        var auth = CommaLists.Split(builder.Configuration.GetSection($"{AgentOptions.Section}:Auth").Get<AuthOptions>() ?? new AuthOptions());
        var services = builder.Services;
        services.AddSingleton<TokenStore>();
        services.AddSingleton<OwnedContainers>();
        services.AddAuthentication(BearerAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder().AddFallbackPolicy("default", p => p.RequireRole(Roles.All));
        foreach (var role in Roles.All)
            services.AddAuthorizationBuilder().AddPolicy(role, p => p.RequireRole(Roles.AtLeast(role)));

        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(ApiRateLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Request.Headers.Authorization.ToString() is { Length: > 0 } token ? "t:" + token.GetHashCode(StringComparison.Ordinal) : "a:" + http.Connection.RemoteIpAddress,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = auth.RateLimitPermits, Window = auth.RateLimitWindow, QueueLimit = 0 }));
            options.OnRejected = async (context, ct) =>
            {
                var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : auth.RateLimitWindow;
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Results.Problem(statusCode: 429, title: "Too Many Requests",
                    detail: $"More than {auth.RateLimitPermits} requests in {auth.RateLimitWindow.TotalSeconds:0}s from this client; retry after the Retry-After header's seconds.")
                    .ExecuteAsync(context.HttpContext);
            };
        });
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = auth.MaxRequestBodyBytes);
        services.AddCors(c => c.AddDefaultPolicy(p =>
        {
            if (auth.CorsOrigins.Count > 0) p.WithOrigins([.. auth.CorsOrigins]).AllowAnyHeader().AllowAnyMethod();
        }));
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Agent API";
            doc.Info.Description = "Status, group verbs and imperative verbs on the agent's own containers. Bearer tokens with roles viewer, operator, admin.";
            return Task.CompletedTask;
        }));
        return builder;
    }
}
