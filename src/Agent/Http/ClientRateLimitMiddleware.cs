using System.Globalization;
using System.Threading.RateLimiting;

namespace Agent.Http;

/// <summary>
/// Applies <see cref="ClientRateLimiter"/>: a request over its client's limit is answered 429 with Retry-After and a
/// problem body. Not ASP.NET Core's UseRateLimiter: its middleware always makes a partitioned limiter for endpoint
/// policies (the agent has none), whose 100 ms heartbeat kept the idle process waking 10 times a second.
/// </summary>
public static class ClientRateLimitMiddleware
{
    public static IApplicationBuilder UseClientRateLimit(this IApplicationBuilder app)
    {
        var limiter = app.ApplicationServices.GetRequiredService<ClientRateLimiter>();
        return app.Use(async (http, next) =>
        {
            using var lease = limiter.AttemptAcquire(http);
            if (lease.IsAcquired)
            {
                await next(http);
                return;
            }
            var retry = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : limiter.Window;
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too Many Requests", type: "https://tools.ietf.org/html/rfc6585#section-4",
                    detail: $"More than {limiter.Permits} requests in {limiter.Window.TotalSeconds:0}s from this client; retry after the Retry-After header's seconds.")
                .ExecuteAsync(http);
        });
    }
}
