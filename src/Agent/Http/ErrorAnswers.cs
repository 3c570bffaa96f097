using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;

namespace Agent.Http;

/// <summary>
/// Every error the agent answers is problem+json with a detail that says what to change: failed query binding (tail=abc),
/// unknown routes (404), wrong methods (405), bodies over the limit (413), request lines and headers over the limit
/// (414, 431: checked here, below Kestrel's own larger limits, so Kestrel never answers with an empty body), and
/// unexpected failures (500, without internals).
/// </summary>
public static partial class ErrorAnswers
{
    public const int MaxRequestTarget = 8 * 1024;
    public const int MaxRequestHeaders = 32 * 1024;

    /// <summary>What Kestrel itself allows: well above the limits checked here, so the answer is ours.</summary>
    public const int KestrelRequestLine = 256 * 1024;
    public const int KestrelRequestHeaders = 256 * 1024;

    [GeneratedRegex("^Failed to bind parameter \"(?<type>.+) (?<name>\\w+)\" from \"(?<value>.*)\"\\.$", RegexOptions.Singleline)]
    private static partial Regex FailedBinding();

    [GeneratedRegex("^Required parameter \"(?<type>.+) (?<name>\\w+)\" was not provided from (?<source>.+)\\.$", RegexOptions.Singleline)]
    private static partial Regex MissingParameter();

    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var request = context.HttpContext.Request;
        problem.Detail ??= problem.Status switch
        {
            404 => $"No route {request.Method} {request.Path}. The API is under /api/v1 (see /openapi/v1.json or /docs); probes are /livez, /readyz, /healthz.",
            405 => $"{request.Path} does not take {request.Method}; see /openapi/v1.json for the methods it takes.",
            400 => QueryKeys.BadValue(context.HttpContext),
            413 => TooLarge(context.HttpContext),
            415 => "Send the body as JSON with Content-Type: application/json.",
            500 => "The agent failed unexpectedly; its log has the details.",
            _ => null,
        };
        problem.Instance ??= request.Path;
    }

    /// <summary>414 and 431 before anything else reads the request.</summary>
    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var target = http.Request.Path.Value?.Length + http.Request.QueryString.Value?.Length ?? 0;
        if (target > MaxRequestTarget)
        {
            await Results.Problem(statusCode: 414, title: "URI Too Long",
                detail: $"The path and query are {target} characters; at most {MaxRequestTarget} are accepted. Send fewer or shorter query values.").ExecuteAsync(http);
            return;
        }
        var headers = http.Request.Headers.Sum(h => h.Key.Length + h.Value.Sum(v => v?.Length ?? 0) + 4);
        if (headers > MaxRequestHeaders)
        {
            await Results.Problem(statusCode: 431, title: "Request Header Fields Too Large",
                detail: $"The request headers are {headers} bytes; at most {MaxRequestHeaders} are accepted. Drop large cookies or headers.").ExecuteAsync(http);
            return;
        }
        if (http.Request.Path.Value?.Contains('\0') == true || http.Request.QueryString.Value?.Contains("%00", StringComparison.Ordinal) == true)
        {
            await Results.Problem(statusCode: 400, title: "Bad Request",
                detail: "The path or query contains a NUL character (%00); remove it.").ExecuteAsync(http);
            return;
        }
        await next(http);
    });

    /// <summary>Every body over Agent:Auth:MaxRequestBodyBytes is a 413, also on a route that reads none (probe-31 F14: 2 MB
    /// on POST .../stop was taken, and the group stopped), but for the routes with a limit of their own
    /// (<see cref="OwnBodyLimit"/>: uploads, the proxy), which judge it themselves.</summary>
    public static IApplicationBuilder UseBodyLimit(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.Request.ContentLength > Limit(http) && http.GetEndpoint()?.Metadata.GetMetadata<OwnBodyLimit>() is null)
        {
            await Results.Problem(statusCode: 413, title: "Content Too Large", detail: TooLarge(http)).ExecuteAsync(http);
            return;
        }
        await next(http);
    });

    /// <summary>Exceptions as problems: bad requests (binding, body size) with the parameter named, anything else as a 500.
    /// A bad request is the client's mistake, not the agent's: one debug line without a stack trace, never the middleware's
    /// error with one (any unauthenticated client could flood the log with oversized bodies).</summary>
    public static IApplicationBuilder UseProblemExceptions(this IApplicationBuilder app) => app.UseExceptionHandler(new ExceptionHandlerOptions
    {
        StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : e is OperationCanceledException ? 504 : 500,
        SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException or OperationCanceledException,
        ExceptionHandler = async http =>
        {
            var error = http.Features.Get<IExceptionHandlerFeature>()?.Error;
            if (error is OperationCanceledException && !http.RequestAborted.IsCancellationRequested)
            {
                // The client is still there, so no one cancelled: an engine call ran out of Agent:EngineRequestTimeout.
                var options = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Hosting.AgentOptions>>().Value;
                var engine = Engine.EngineEndpoint.Resolve(options.DockerHost);
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ErrorAnswers))
                    .LogWarning("{Method} {Path}: the Docker engine at {Engine} did not answer within {Timeout}s", http.Request.Method, http.Request.Path, engine, options.EngineRequestTimeout.TotalSeconds);
                await Results.Problem(statusCode: 504, title: "Engine Timeout",
                    detail: $"The Docker engine at {engine} accepted the call but did not answer within {options.EngineRequestTimeout.TotalSeconds:0.#} s (Agent:EngineRequestTimeout). Check that dockerd is responsive (docker version).").ExecuteAsync(http);
                return;
            }
            var status = error is BadHttpRequestException bad ? bad.StatusCode : 500;
            var detail = error is BadHttpRequestException request ? (request.StatusCode == 413 ? TooLarge(http) : Describe(request)) : null;
            if (error is BadHttpRequestException)
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ErrorAnswers))
                    .LogDebug("Bad request {Method} {Path}: {Status} {Detail}", http.Request.Method, http.Request.Path, status, detail);
            await Results.Problem(statusCode: status, detail: detail).ExecuteAsync(http);
        },
    });

    private static long? Limit(HttpContext http) =>
        http.RequestServices.GetService<Microsoft.Extensions.Options.IOptions<Auth.AuthOptions>>()?.Value.MaxRequestBodyBytes;

    /// <summary>The server's body limit, in the words of every 413 that is not an endpoint's own lower limit.</summary>
    private static string TooLarge(HttpContext http) =>
        Limit(http) is { } limit
            ? $"The body is larger than {limit} bytes ({limit / 1024} KiB, Agent:Auth:MaxRequestBodyBytes); send a smaller body."
            : "The body is larger than Agent:Auth:MaxRequestBodyBytes allows; send a smaller body.";

    /// <summary>"tail=\"abc\" is not a whole number" from ASP.NET Core's binding messages.</summary>
    public static string Describe(BadHttpRequestException e)
    {
        if (e.StatusCode == 413) return "The body is larger than Agent:Auth:MaxRequestBodyBytes allows; send a smaller body.";
        if (FailedBinding().Match(e.Message) is { Success: true } failed)
        {
            return BadQueryValue(failed.Groups["name"].Value, failed.Groups["value"].Value, failed.Groups["type"].Value);
        }
        if (MissingParameter().Match(e.Message) is { Success: true } missing)
            return $"{missing.Groups["name"].Value} is required ({Expected(missing.Groups["type"].Value)}) in the {missing.Groups["source"].Value}.";
        return e.Message;
    }

    /// <summary>Why query value <paramref name="value"/> of <paramref name="name"/> cannot be the <paramref name="type"/> the
    /// route binds it to (a C# or .NET type name: bool, Int32, Nullable&lt;int&gt;...).</summary>
    public static string BadQueryValue(string name, string value, string type) =>
        // A whole number too large for its field is one still (probe-39: "99999999999999999999 is not a whole number").
        LargestWhole(type) is { } largest && value.TrimStart('-') is { Length: > 0 } digits && digits.All(char.IsAsciiDigit)
            ? $"{Bounded(name)}=\"{Bounded(value)}\" is out of range: at most {largest}; fix or leave out that query value."
            : $"{Bounded(name)}=\"{Bounded(value)}\" is not {Expected(type)}; fix or leave out that query value.";

    private static string Bounded(string value) => Core.Manifests.JsonSyntax.Bounded(value);

    private static long? LargestWhole(string type) => type.Replace("Nullable<", "").TrimEnd('>', '?') switch
    {
        "int" or "Int32" => int.MaxValue,
        "long" or "Int64" => long.MaxValue,
        _ => null,
    };

    private static string Expected(string type) => type.Replace("Nullable<", "").TrimEnd('>', '?') switch
    {
        "int" or "long" or "Int32" or "Int64" => "a whole number (e.g. 100)",
        "bool" or "Boolean" => "true or false",
        "string" or "String" => "a text value",
        var other => $"a valid {other}",
    };
}
