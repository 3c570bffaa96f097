using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Agent.Auth;

/// <summary>Authenticates "Authorization: Bearer TOKEN" against the token store (or a JWT).</summary>
public sealed class BearerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenStore tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    /// <summary>A stable id of the presented credential (a digest prefix, never the token): what rate limits count against.</summary>
    public const string PrincipalClaim = "agent:principal";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return Task.FromResult(AuthenticateResult.NoResult());
        var token = header[7..].Trim();
        if (tokens.Find(token) is not { Role: var role, Scope: var scope }) return Task.FromResult(AuthenticateResult.Fail("invalid token"));
        var principal = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)))[..16];
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Role, role), new Claim(ClaimTypes.Name, role), new Claim(PrincipalClaim, principal), .. scope.Claims()], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var presented = Request.Headers.Authorization.ToString();
        var problem = presented.Length == 0
            ? "No token was sent."
            : presented.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? "The token is not one of this agent's (or the JWT is invalid: expired, not yet valid, without exp, with a crit header or a scope claim that is not valid)." : "The Authorization header is not \"Bearer <token>\".";
        await Results.Problem(statusCode: 401, title: "Unauthorized",
            detail: $"{problem} Send Authorization: Bearer <token>, with a token from the agent's tokens file (Agent:Auth:TokensFile, by default `tokens` in its state dir; " +
                    "role:token lines; the agent command reads it through the state dir the agent runs with: pass `--state-dir DIR` as given to `agent run`; or set AGENT_TOKEN).").ExecuteAsync(Context); // its path is not told to a caller without a token (probe-27 F6.4)
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var needed = Context.GetEndpoint()?.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>()
            .Select(a => a.Policy).Where(p => p is not null && Roles.Rank(p) >= 0).MaxBy(p => Roles.Rank(p!)) ?? Roles.Admin;
        await Results.Problem(statusCode: 403, title: "Forbidden",
            detail: $"This needs the {needed} role (or stronger); the token's role is {Context.User.FindFirstValue(ClaimTypes.Role)}. Use a token with role {needed} from the tokens file.",
            extensions: new Dictionary<string, object?> { ["requiredRole"] = needed }).ExecuteAsync(Context);
    }
}
