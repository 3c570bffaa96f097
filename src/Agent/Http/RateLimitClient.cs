using Agent.Auth;

namespace Agent.Http;

/// <summary>Who a request counts against for rate limiting: the authenticated principal, else the client address.</summary>
public static class RateLimitClient
{
    public static string? Of(HttpContext http)
    {
        if (ApiActivity.IsRoutine(http.Request.Path)) return null;
        return http.User.FindFirst(BearerAuthenticationHandler.PrincipalClaim)?.Value is { } principal
            ? "principal:" + principal
            : "address:" + http.Connection.RemoteIpAddress;
    }
}
