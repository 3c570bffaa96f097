using Agent.Auth;
using Agent.Engine;

namespace Agent.Http;

/// <summary>Registries the agent has credentials for (Agent:Registries, from files) and login checks. Neither the user
/// name nor the password is ever in an answer or a log line.</summary>
public static class RegistryEndpoints
{
    /// <summary>Check the configured credential of <c>server</c>, or the given username and password (not stored).</summary>
    public sealed record LoginBody(string Server, string? Username, string? Password);

    public static RouteGroupBuilder MapRegistryEndpoints(this RouteGroupBuilder api)
    {
        var registries = api.MapGroup("/registries");
        registries.MapGet("/", (RegistryCredentialFiles files) => JsonAnswer.Ok(files.Servers.Select(s => new RegistryServer(s))))
            .WithSummary("The registries the agent has credentials for (Agent:Registries); their pulls and pushes use them.");
        registries.MapPost("/login", Login).RequireAuthorization(Roles.Admin).Accepts<LoginBody>("application/json")
            .WithSummary("Check credentials against a registry (docker login SERVER): the configured ones of {\"server\"}, or {\"server\", \"username\", \"password\"} "
                         + "(checked, never stored). 422 when the registry refuses them, 502 when it cannot be reached.");
        return api;
    }

    private static async Task<IResult> Login(HttpContext http, IContainerEngine engine, RegistryCredentialFiles files, ILogger<LoginBody> logger, CancellationToken ct)
    {
        var (body, error) = await StrictJson.ReadAsync<LoginBody>(http, ct);
        if (error is not null) return ApiProblems.BadBody(error);
        if (string.IsNullOrWhiteSpace(body!.Server)) return ApiProblems.BadRequest("server is required, e.g. {\"server\": \"localhost:5000\"}");
        if (body.Username is null != body.Password is null) return ApiProblems.BadRequest("give both username and password, or neither to check the configured credential");
        var server = ImageReference.NormalizeServer(body.Server);
        var credential = body.Username is not null
            ? new RegistryCredential(server, body.Username, body.Password!)
            : files.For(server);
        if (credential is null)
            return ApiProblems.NotFound($"No credential is configured for {server} (Agent:Registries: server, usernameFile, passwordFile); configured: {(files.Servers.Count == 0 ? "none" : string.Join(", ", files.Servers))}.");
        try
        {
            await engine.CheckRegistryLoginAsync(credential, ct);
        }
        catch (RegistryAuthException e) when (body.Username is not null)
        {
            // The request's own credentials were checked, not the files: say so (probe-17 F3).
            return Results.Problem(statusCode: 422, title: "Registry Refused The Credentials",
                detail: $"{e.Message} Check the username and password given in the request (the files of Agent:Registries were not used; leave both out to check those).");
        }
        logger.LogInformation("Registry login check for {Server} succeeded", server);
        return JsonAnswer.Ok(new RegistryLogin(server, true, body.Username is null ? "configured" : "request"));
    }
}
