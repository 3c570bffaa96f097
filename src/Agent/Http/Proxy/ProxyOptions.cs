namespace Agent.Http.Proxy;

/// <summary>The reverse proxy to containers (section Agent:Proxy).</summary>
public sealed class ProxyOptions
{
    public const string Section = "Agent:Proxy";

    /// <summary>The longest the upstream may stay silent (no response headers, no body bytes) before the proxy answers 504.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>The longest a connection to the container may take to open; a refused or unreachable port is a 502.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest request body passed through (streamed, never buffered).</summary>
    public long MaxRequestBodyBytes { get; set; } = 100L * 1024 * 1024;
}
