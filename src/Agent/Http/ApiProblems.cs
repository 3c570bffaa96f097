using Agent.Core.Manifests;
using Agent.Engine;

namespace Agent.Http;

/// <summary>RFC 9457 problem details with a message a person can act on.</summary>
public static class ApiProblems
{
    public static IResult NotFound(string what) =>
        Results.Problem(statusCode: 404, title: "Not Found", detail: what);

    /// <summary>A name or id from the request's path as an answer echoes it: a long one keeps its start and its end, and an
    /// encoded slash is shown as the slash it stands for (routing decodes a path segment except %2F, so "a%2Fb" reaches
    /// the route as typed; a "%252F" typed, decoded to "%2F" before routing, reads as a slash too: only shown, never looked up).</summary>
    public static string Shown(string routeValue) => JsonSyntax.Bounded(routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase));

    public static IResult BadRequest(string detail, IDictionary<string, object?>? extensions = null) =>
        Results.Problem(statusCode: 400, title: "Bad Request", detail: detail, extensions: extensions);

    /// <summary>A JSON body over its endpoint's limit: 413 naming the limit and the body's size (bytes, as UTF-8).</summary>
    public static IResult BodyTooLarge(string what, long limit, long size) =>
        Results.Problem(statusCode: 413, title: "Content Too Large",
            detail: $"{what} is at most {limit} bytes ({limit / 1024} KiB) of JSON; this one is {size} bytes. Send a smaller body.");

    /// <summary>The JSON body of a request whose own limit is <paramref name="limit"/> bytes (below the server's), or the
    /// problem to answer: 413 over the limit, 400 when it is not JSON (<see cref="Malformed"/>). Read whole, as the parsers read it.</summary>
    public static async Task<(string? Json, IResult? Problem)> ReadJsonBodyAsync(HttpRequest request, string what, long limit, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body);
        var json = await reader.ReadToEndAsync(ct);
        var size = System.Text.Encoding.UTF8.GetByteCount(json);
        if (size > limit) return (null, BodyTooLarge(what, limit, size));
        return Core.Manifests.JsonSyntax.Check(json) is { } syntax ? (null, Malformed(syntax)) : (json, null);
    }

    /// <summary>A body that is not JSON: 400 naming the line, column and field of the body as sent, also in <c>errors</c>
    /// as the run and job parsers' errors are.</summary>
    public static IResult Malformed(Core.Manifests.JsonSyntaxError syntax) =>
        BadRequest(syntax.ToString(), new Dictionary<string, object?> { ["errors"] = new List<FieldError> { new(syntax.Path, syntax.Line, syntax.Column, syntax.Text) } });

    /// <summary>A body a strict reader refused (<see cref="StrictJson"/>): 400 naming its field, line and column, in its
    /// detail and in <c>errors</c>, as <see cref="Malformed"/> does.</summary>
    public static IResult BadBody(FieldError error) =>
        BadRequest(error.Field.Length > 0 ? $"{error.Field}: {error.Message}" : error.Message, new Dictionary<string, object?> { ["errors"] = new List<FieldError> { error } });

    /// <summary>A request the security policy refuses: 400, each field with its rule (<see cref="Listed"/>).</summary>
    public static IResult Refused(IEnumerable<(string Field, string Message)> violations)
    {
        var (detail, extensions) = Listed(violations.ToList(), v => $"{v.Field}: {v.Message}", v => new FieldViolation(v.Field, v.Message));
        return BadRequest(detail, extensions);
    }

    /// <summary>The errors a body's fields have, for a problem answer: the first few in its detail, the first
    /// <see cref="MaxErrorsListed"/> in <c>errors</c> (with <c>errorsNotListed</c>, how many more), so a body with thousands of
    /// bad fields gets an answer of a few KiB, not a copy of itself many times its size.</summary>
    public static (string Detail, Dictionary<string, object?> Extensions) FieldErrors(IReadOnlyList<ManifestError> errors) =>
        Listed(errors, e => $"{e.Path}: {e.Message}".TrimStart(':', ' '), e => new FieldError(e.Path, e.Line, e.Column, e.Message));

    public const int MaxErrorsListed = 100;
    private const int ErrorsInDetail = 10;

    private static (string Detail, Dictionary<string, object?> Extensions) Listed<T, TField>(IReadOnlyList<T> errors, Func<T, string> text, Func<T, TField> field)
    {
        var detail = string.Join("; ", errors.Take(ErrorsInDetail).Select(text));
        if (errors.Count > ErrorsInDetail) detail += $"; and {errors.Count - ErrorsInDetail} more (in errors)";
        var extensions = new Dictionary<string, object?> { ["errors"] = errors.Take(MaxErrorsListed).Select(field).ToList() };
        if (errors.Count > MaxErrorsListed) extensions["errorsNotListed"] = errors.Count - MaxErrorsListed;
        return (detail, extensions);
    }

    public static IResult ContainerNotFound(string id) =>
        NotFound($"No container \"{Shown(id)}\" managed by this agent. Only the agent's own containers are visible here; list them with GET /api/v1/containers.");

    public static IResult From(EngineException e) => e switch
    {
        EngineAwayException away => new RetryAfter(Results.Problem(statusCode: 503, title: "Engine Unavailable", detail: e.Message,
            extensions: new Dictionary<string, object?> { ["engineUnreachableSince"] = away.Since }), away.RetryAfterSeconds),
        EngineNotFoundException => Results.Problem(statusCode: 404, title: "Not Found", detail: e.Message),
        EngineConflictException => Results.Problem(statusCode: 409, title: "Conflict", detail: e.Message),
        EngineUnavailableException => Results.Problem(statusCode: 503, title: "Engine Unavailable", detail: e.Message),
        RegistryAuthException auth => Results.Problem(statusCode: 422, title: "Registry Refused The Credentials", detail: $"{e.Message.TrimEnd('.', ' ')}. {auth.Hint}"),
        RegistryUnreachableException => Results.Problem(statusCode: 502, title: "Registry Unreachable", detail: e.Message),
        RegistryCredentialsUnreadableException => Results.Problem(statusCode: 500, title: "Registry Credentials Unreadable",
            detail: $"{e.Message}. Nothing was sent to the engine or the registry; fix the file and retry."),
        { StatusCode: 400 } => Results.Problem(statusCode: 400, title: "Bad Request", detail: e.Message),
        _ => Results.Problem(statusCode: 502, title: "Engine Error", detail: e.Message),
    };

    private sealed class RetryAfter(IResult problem, int seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return problem.ExecuteAsync(http);
        }
    }

    /// <summary>A state file could not be saved: 507 when the disk is full, 500 otherwise; the verb did not take effect.</summary>
    public static IResult From(State.StateWriteException e) => e.IsDiskFull
        ? Results.Problem(statusCode: 507, title: "Insufficient Storage",
            detail: $"The state dir is full: {e.Message}. Nothing was changed; free space in the state dir and retry.", extensions: new Dictionary<string, object?> { ["file"] = e.Path })
        : Results.Problem(statusCode: 500, title: "State Not Saved",
            detail: $"The state dir cannot be written: {e.Message}. Nothing was changed; make the state dir writable and retry.", extensions: new Dictionary<string, object?> { ["file"] = e.Path });

    /// <summary>Turns state write failures in an endpoint into problem responses.</summary>
    public static RouteGroupBuilder WithStateProblems(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context);
            }
            catch (State.StateWriteException e)
            {
                return From(e);
            }
        });
        return group;
    }

    /// <summary>Turns engine failures in an endpoint into problem responses.</summary>
    public static RouteGroupBuilder WithEngineProblems(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context);
            }
            catch (EngineException e)
            {
                return From(e);
            }
        });
        return group;
    }
}
