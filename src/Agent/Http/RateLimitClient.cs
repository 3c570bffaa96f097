using Agent.Auth;

namespace Agent.Http;

/// <summary>Who a request counts against for rate limiting: the authenticated principal, else the client address.</summary>
public static class RateLimitClient
{
    private static readonly string[] Unlimited = ["/livez", "/readyz", "/healthz", "/metrics"];

    public static string? Of(HttpContext http)
    {
        var path = http.Request.Path;
        if (Unlimited.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))) return null;
        return http.User.FindFirst(BearerAuthenticationHandler.PrincipalClaim)?.Value is { } principal
            ? "principal:" + principal
            : "address:" + http.Connection.RemoteIpAddress;
    }
}
