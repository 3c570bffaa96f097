using System.Net;
using Agent.Auth;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace Agent.Http.Proxy;

/// <summary>A reverse proxy (YARP's forwarder) to the agent's own containers: any method, streamed bodies, websockets.
/// It needs the operator role whatever the method: a container's app can act, and reaching it is acting.</summary>
public static class ProxyEndpoints
{
    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    public static RouteGroupBuilder MapProxyEndpoints(this RouteGroupBuilder api)
    {
        var containers = api.MapGroup("/containers").AddEndpointFilter(RequestValidation.ContainerId).ScopedToContainer();
        containers.MapMethods("/{id}/proxy", ["GET", "HEAD"], Describe).RequireAuthorization(Roles.Operator).WithAnyQueryKeys().Produces<UpstreamView>()
            .WithSummary("The upstream the proxy uses for this container (port: which container port; default its only TCP port): {url, port, via: published|network, network}.");
        containers.MapMethods("/{id}/proxy/{*path}", Methods, Forward).RequireAuthorization(Roles.Operator).WithMetadata(OwnBodyLimit.Instance).WithAnyQueryKeys()
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.Responses ??= new Microsoft.OpenApi.OpenApiResponses();
                operation.Responses["502"] = new Microsoft.OpenApi.OpenApiResponse { Description = "The container's port refused or dropped the connection (or it is not listening)." };
                operation.Responses["504"] = new Microsoft.OpenApi.OpenApiResponse { Description = "The container did not answer within Agent:Proxy:Timeout." };
                return Task.CompletedTask;
            })
            .WithSummary("Forward the request to the container (port: which container port, not passed on): streamed bodies, websockets, hop-by-hop headers and the agent's Authorization left out, X-Forwarded-For/Proto/Host/Prefix set, answers sandboxed by Content-Security-Policy. 502 when the upstream fails, 504 after Agent:Proxy:Timeout.");
        return api;
    }

    public sealed record UpstreamView(string Container, string Url, int Port, string Via, string? Network);

    /// <summary>`/proxy` describes the upstream; `/proxy/` (which routing matches here too) is the container's root page.</summary>
    private static async Task Describe(HttpContext http, string id, int? port, OwnedContainers owned, ProxyTargets targets, IHttpForwarder forwarder,
        ProxyClient client, IOptions<ProxyOptions> options, CancellationToken ct)
    {
        if (http.Request.Path.Value!.EndsWith('/'))
        {
            await Forward(http, id, port, targets, forwarder, client, options, ct);
            return;
        }
        if (await owned.FindAsync(id, ct) is not { } c)
        {
            await ApiProblems.ContainerNotFound(id).ExecuteAsync(http);
            return;
        }
        var (upstream, status, problem) = ProxyUpstream.Choose(c, port);
        await (upstream is null
            ? Problem(status, problem)
            : JsonAnswer.Ok(new UpstreamView(c.Name, upstream.Url.ToString(), upstream.Port, upstream.Via, upstream.Network))).ExecuteAsync(http);
    }

    /// <summary>Kestrel's 413 somewhere in what the forwarder saw (it may come wrapped, beside the upstream's broken pipe).</summary>
    private static bool OverBodyLimit(Exception? e) => e switch
    {
        null => false,
        BadHttpRequestException { StatusCode: 413 } => true,
        AggregateException all => all.InnerExceptions.Any(OverBodyLimit),
        _ => OverBodyLimit(e.InnerException),
    };

    /// <summary>The upstream sent its headers and then nothing for Agent:Proxy:Timeout: the activity timeout cancels the
    /// body's copy, which the forwarder reports as a body error, not as a timeout (probe-62: a 502 "Is something listening
    /// on that port?" for a CGI that answered its headers at once). The client's own going away is not this.</summary>
    private static bool SilentAfterHeaders(HttpContext http, ForwarderError error, Exception? exception) =>
        error is ForwarderError.ResponseBodyDestination or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient
        && !http.RequestAborted.IsCancellationRequested
        && (exception is OperationCanceledException || exception?.GetBaseException() is OperationCanceledException);

    private static IResult TooLarge(long limit) =>
        Results.Problem(statusCode: 413, title: "Content Too Large",
            detail: $"A request body through the proxy is at most {limit} bytes (Agent:Proxy:MaxRequestBodyBytes).");

    private static IResult Problem(int status, string detail) =>
        Results.Problem(statusCode: status, title: Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status), detail: detail);

    private static async Task Forward(HttpContext http, string id, int? port, ProxyTargets targets, IHttpForwarder forwarder,
        ProxyClient client, IOptions<ProxyOptions> options, CancellationToken ct)
    {
        // The route value is decoded; the request's PathString keeps what must stay escaped (%2F) for the upstream.
        var full = http.Request.Path.Value!;
        var marker = $"/containers/{id}/proxy";
        var end = full.IndexOf(marker, StringComparison.OrdinalIgnoreCase) + marker.Length;
        var rest = full[end..];
        if (rest.Length == 0)
        {
            // `.../proxy` is the description of the upstream (GET, HEAD); the container's pages are under `.../proxy/`.
            http.Response.Headers.Allow = "GET, HEAD";
            await Problem(405, $"{http.Request.Method} {marker} is not forwarded: GET {marker} describes the upstream; the container's root page is {marker}/").ExecuteAsync(http);
            return;
        }
        if (await targets.FindAsync(id, ct) is not { } c)
        {
            await ApiProblems.ContainerNotFound(id).ExecuteAsync(http);
            return;
        }
        var (upstream, status, problem) = ProxyUpstream.Choose(c, port);
        if (upstream is null)
        {
            await Problem(status, problem).ExecuteAsync(http);
            return;
        }
        if (http.Request.ContentLength > options.Value.MaxRequestBodyBytes)
        {
            await TooLarge(options.Value.MaxRequestBodyBytes).ExecuteAsync(http); // before anything reaches the container
            return;
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = options.Value.MaxRequestBodyBytes;
        if (http.Features.Get<IStatusCodePagesFeature>() is { } pages) pages.Enabled = false; // the container's own answers pass unchanged

        var transformer = new ProxyTransformer(http.Request.PathBase + full[..end], rest.StartsWith('/') ? rest : "/" + rest);
        var error = await forwarder.SendAsync(http, upstream.Url.ToString().TrimEnd('/'), client.Invoker, new ForwarderRequestConfig
        {
            ActivityTimeout = options.Value.Timeout,
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        }, transformer);
        if (error == ForwarderError.None) return;
        targets.Forget(id);
        var exception = http.Features.Get<IForwarderErrorFeature>()?.Exception;
        var cause = exception?.GetBaseException().Message;
        // One line (YARP's own warning with its stack trace is turned down in appsettings: any client could flood the log).
        var log = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Agent.Http.Proxy");
        if (http.Response.HasStarted)
        {
            // The client got a cut answer; only the log can say why.
            log.LogInformation("Proxy to {Container} port {Port} failed after the answer began ({Status}): {Error} {Cause}", c.Name, upstream.Port, http.Response.StatusCode, error, cause);
            return;
        }
        if (OverBodyLimit(exception))
        {
            await TooLarge(options.Value.MaxRequestBodyBytes).ExecuteAsync(http); // a chunked body that went over
            return;
        }
        log.LogInformation("Proxy to {Container} port {Port} failed: {Error} {Cause}", c.Name, upstream.Port, error, cause);
        var timedOut = error == ForwarderError.RequestTimedOut || SilentAfterHeaders(http, error, exception);
        if (timedOut) http.Response.Clear(); // the upstream's headers, copied but never sent
        await (timedOut
            ? Results.Problem(statusCode: 504, title: "Gateway Timeout",
                detail: $"Container {c.Name} {(error == ForwarderError.RequestTimedOut ? "did not answer" : "sent its headers, then nothing more")} on port {upstream.Port} ({upstream.Url}) within {options.Value.Timeout.TotalSeconds:0.###}s (Agent:Proxy:Timeout).")
            : Results.Problem(statusCode: 502, title: "Bad Gateway",
                detail: $"Proxying to container {c.Name} on port {upstream.Port} ({upstream.Url}) failed ({error}{(cause is null ? "" : $": {cause}")}). Is something listening on that port?"))
            .ExecuteAsync(http);
    }
}
