using Agent.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Agent.Http;

/// <summary>The OpenAPI document explains the API: the bearer scheme, which role each operation needs, request bodies,
/// and every status code an operation can answer (errors as problem+json).</summary>
public static class OpenApiDescriptions
{
    public const string Scheme = "Bearer";

    /// <summary>Documentation-only shape of POST /run (the service object is parsed by the manifest parser).</summary>
    public sealed record RunBody(System.Text.Json.JsonElement Service, RunWaitFor? WaitFor, bool? AutoRemove, string? Network);

    public sealed record RunWaitFor(string Path, int Port, string? Timeout);

    public static void Configure(OpenApiOptions o)
    {
        o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Agent API";
            doc.Info.Description = "Status, group verbs and imperative verbs on the agent's own containers. Bearer tokens with roles viewer, operator, admin; "
                                   + "every error is application/problem+json with a detail that says what to change.";
            doc.Components ??= new OpenApiComponents();
            doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            doc.Components.SecuritySchemes[Scheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "A token from the agent's tokens file (Agent:Auth:TokensFile, else <state dir>/tokens; one role:token per line), or an HS256 JWT with a role claim and exp.",
            };
            return Task.CompletedTask;
        });
        o.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            var role = metadata.OfType<IAllowAnonymous>().Any()
                ? null
                : metadata.OfType<IAuthorizeData>().Select(a => a.Policy).Where(p => p is not null && Roles.Rank(p) >= 0).MaxBy(p => Roles.Rank(p!));
            operation.Responses ??= new OpenApiResponses();
            void Document(int status, string description)
            {
                if (operation.Responses.ContainsKey(status.ToString(System.Globalization.CultureInfo.InvariantCulture))) return;
                operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
                {
                    Description = description,
                    Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() },
                };
            }
            if (role is not null)
            {
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, context.Document)] = [] }];
                operation.Description = $"{operation.Description}{(string.IsNullOrEmpty(operation.Description) ? "" : " ")}Needs the {role} role.";
                Document(401, "No token, or not one of this agent's: the detail says where the tokens are.");
                var scoped = Roles.Rank(role) > Roles.Rank(Roles.Viewer);
                if (scoped)
                    operation.Description += metadata.OfType<ScopeTarget>().Select(t => t.Description).ToList() is { Count: > 0 } targets
                        ? $" A scoped token (phases=, groups=) may act only on a {string.Join(" and a ", targets)} inside its scope (403 naming the scope otherwise)."
                        : " A scoped token (phases=, groups=) is refused: this acts on nothing of a group or phase.";
                Document(403, scoped ? $"The token's role is weaker than {role}, or the object is outside the token's scope (the detail names both)." : $"The token's role is weaker than {role}.");
                Document(429, "Too many requests from this client: retry after the Retry-After header's seconds.");
            }
            var path = context.Description.RelativePath ?? "";
            var hasBody = context.Description.ParameterDescriptions.Any(p => p.Source.Id == "Body") || operation.RequestBody is not null;
            if (context.Description.ParameterDescriptions.Count > 0 || hasBody) Document(400, "A query value, path value or body is invalid: the detail names it and says what to change.");
            if (path.Contains('{')) Document(404, "No such object, or a container that is not this agent's.");
            if (hasBody) Document(413, "The body is larger than Agent:Auth:MaxRequestBodyBytes.");
            if (path.Contains("containers", StringComparison.Ordinal) || path.Contains("images", StringComparison.Ordinal) || path.Contains("system", StringComparison.Ordinal) || path.EndsWith("run", StringComparison.Ordinal))
            {
                Document(409, "The engine refused: conflict (e.g. the container is running).");
                Document(502, "The engine answered with an error.");
                Document(503, "The engine does not answer.");
            }
            if (path.Contains("registries", StringComparison.Ordinal) || path.EndsWith("push", StringComparison.Ordinal) || path.EndsWith("pull", StringComparison.Ordinal))
            {
                Document(422, "The registry refused the credentials (wrong user or password in the files of Agent:Registries).");
                Document(502, "The registry cannot be reached, or the engine answered with an error.");
                Document(503, "The engine does not answer.");
            }
            if (path.Contains("composeprojects/", StringComparison.Ordinal) && (path.EndsWith("/stop", StringComparison.Ordinal) || path.EndsWith("/start", StringComparison.Ordinal)))
                Document(409, "The project is down (agent down or suspend: true): nothing to stop or start; up brings it up. With service=S, start while the whole project is stopped.");
            if (path.EndsWith("load", StringComparison.Ordinal) || path.EndsWith("build", StringComparison.Ordinal))
                Document(413, "The upload is larger than Agent:Images:MaxLoadBytes (load) or Agent:Images:MaxBuildContextBytes (build).");
            Document(500, "The agent failed unexpectedly; its log has the details.");
            return Task.CompletedTask;
        });
    }
}
