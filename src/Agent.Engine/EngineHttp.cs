using System.Net.Sockets;
using System.Text.Json;

namespace Agent.Engine;

/// <summary>Plain GETs to the engine for what Docker.DotNet maps for newer API versions only: /system/df's response
/// changed shape (API 1.52 moved it under ImageUsage, ...), and the library reads only the new one.</summary>
internal sealed class EngineHttp(Uri endpoint) : IDisposable
{
    private readonly HttpClient client = Create(endpoint);

    private static HttpClient Create(Uri endpoint)
    {
        if (endpoint.Scheme == "unix")
        {
            var path = endpoint.LocalPath;
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            };
            return new HttpClient(handler) { BaseAddress = new Uri("http://docker/"), Timeout = TimeSpan.FromMinutes(5) };
        }
        var scheme = endpoint.Scheme is "https" ? "https" : "http";
        return new HttpClient { BaseAddress = new Uri($"{scheme}://{endpoint.Authority}/"), Timeout = TimeSpan.FromMinutes(5) };
    }

    /// <summary>GET a path; a non-2xx answer throws with the engine's message and status.</summary>
    public async Task<JsonDocument> GetJsonAsync(string path, CancellationToken ct)
    {
        using var response = await client.GetAsync(path, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
            throw new EngineException($"{path} failed ({(int)response.StatusCode}): {EngineMapping.ErrorMessage(body)}", (int)response.StatusCode);
        return JsonDocument.Parse(body);
    }

    /// <summary>GET a path whose answer may be large: more than <paramref name="maxBytes"/> of it throws <paramref name="tooLarge"/>'s
    /// exception before it is all in memory.</summary>
    public async Task<JsonDocument> GetJsonAsync(string path, long maxBytes, Func<Exception> tooLarge, CancellationToken ct)
    {
        using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            var error = await response.Content.ReadAsStringAsync(ct);
            throw new EngineException($"{path} failed ({(int)response.StatusCode}): {EngineMapping.ErrorMessage(error)}", (int)response.StatusCode);
        }
        await using var body = new BoundedReadStream(await response.Content.ReadAsStreamAsync(ct), maxBytes, tooLarge);
        return await JsonDocument.ParseAsync(body, cancellationToken: ct);
    }

    public void Dispose() => client.Dispose();
}
