using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace Agent.Http.Proxy;

/// <summary>YARP's default request and response copies (hop-by-hop headers left out), plus the agent's rules: the path
/// after /proxy and the query without `port` go to the container; the agent's own credentials never do; X-Forwarded-*
/// are set by the agent (a client's are replaced, not trusted); and every answer is sandboxed in a browser, so a page
/// served by a container cannot script the agent's origin (where the API token lives).</summary>
public sealed class ProxyTransformer(PathString prefix, PathString path) : HttpTransformer
{
    private static readonly string[] Credentials = [HeaderNames.Authorization, HeaderNames.ProxyAuthorization, "Forwarded",
        "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix"];

    public const string Sandbox = "sandbox allow-scripts allow-forms allow-popups allow-downloads";

    public override async ValueTask TransformRequestAsync(HttpContext http, HttpRequestMessage request, string destinationPrefix, CancellationToken ct)
    {
        await base.TransformRequestAsync(http, request, destinationPrefix, ct);
        // Headers the client marked hop-by-hop in Connection stay here (Upgrade is YARP's to carry for websockets).
        foreach (var named in http.Request.Headers.Connection.SelectMany(v => (v ?? "").Split(',')).Select(n => n.Trim()))
            if (named.Length > 0 && !named.Equals(HeaderNames.Upgrade, StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Remove(named);
                request.Content?.Headers.Remove(named);
            }
        foreach (var header in Credentials) request.Headers.Remove(header);
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", http.Request.Scheme);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", http.Request.Host.Value ?? "");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Prefix", prefix.Value ?? "");
        request.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, path, WithoutPort(http.Request.QueryString));
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext http, HttpResponseMessage? response, CancellationToken ct)
    {
        var proceed = await base.TransformResponseAsync(http, response, ct);
        http.Response.Headers.Append(HeaderNames.ContentSecurityPolicy, Sandbox);
        return proceed;
    }

    private static bool IsPortKey(string pair)
    {
        var key = pair.Split('=', 2)[0].Replace('+', ' ');
        try
        {
            key = Uri.UnescapeDataString(key);
        }
        catch (UriFormatException)
        {
        }
        return key.Equals("port", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The query as the client sent it (same encoding), without the agent's own `port` parameter (any case or encoding of its key).</summary>
    public static QueryString WithoutPort(QueryString query)
    {
        if (!query.HasValue) return query;
        // The key as ASP.NET binds it: decoded and in any case (probe-17: ?PORT=9092 chose the port and still went upstream).
        var kept = query.Value![1..].Split('&').Where(p => p.Length > 0 && !IsPortKey(p)).ToList();
        return kept.Count == 0 ? QueryString.Empty : new QueryString("?" + string.Join('&', kept));
    }
}
