using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Options;

namespace Agent.Http.Proxy;

/// <summary>The one outbound client the proxy uses: no system proxy, no redirects followed, no decompression and no
/// cookie jar (the answer goes back as the container sent it), a connect timeout of its own.</summary>
public sealed class ProxyClient(IOptions<ProxyOptions> options) : IDisposable
{
    public HttpMessageInvoker Invoker { get; } = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        ActivityHeadersPropagator = new Yarp.ReverseProxy.Forwarder.ReverseProxyPropagator(DistributedContextPropagator.Current),
        ConnectTimeout = options.Value.ConnectTimeout,
    });

    public void Dispose() => Invoker.Dispose();
}
