using System.Text;

namespace Agent.IntegrationTests.Images;

/// <summary>An upload over a limit is refused from its Content-Length before it is sent; an HttpClient still writing it
/// may see the connection closed under it, so such a request goes over a raw socket.</summary>
public static class RawUpload
{
    public static async Task<string> PostHeadAsync(Uri server, string path, string token, string contentType, long length)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        using var stream = tcp.GetStream();
        var head = $"POST {path} HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer {token}\r\n"
                   + $"Content-Type: {contentType}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await reader.ReadToEndAsync(timeout.Token);
    }
}
