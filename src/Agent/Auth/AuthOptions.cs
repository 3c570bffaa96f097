namespace Agent.Auth;

/// <summary>Access settings (section Agent:Auth). Secrets come from files, never from the command line.</summary>
public sealed class AuthOptions
{
    /// <summary>A file of "role:token" lines (roles: viewer, operator, admin). Empty: one admin token is generated into the state dir.</summary>
    public string? TokensFile { get; set; }

    /// <summary>A file holding the HS256 key for JWTs with a "role" claim; empty turns JWTs off.</summary>
    public string? JwtKeyFile { get; set; }

    /// <summary>Whether the viewer role sees environment values in container inspect (they can hold secrets from envFrom files).</summary>
    public bool ViewerSeesEnv { get; set; }

    /// <summary>The longest a JWT may be valid (exp minus iat, or exp minus now without iat); a JWT without exp is refused.</summary>
    public TimeSpan MaxJwtLifetime { get; set; } = TimeSpan.FromHours(24);

    public bool OpenProbes { get; set; } = true;
    public bool OpenMetrics { get; set; } = true;

    /// <summary>Requests per client (token, or address without one) per window; over it: 429 with Retry-After.</summary>
    public int RateLimitPermits { get; set; } = 600;
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromMinutes(1);

    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    public List<string> CorsOrigins { get; set; } = [];
}
