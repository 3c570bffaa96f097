using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Agent.UnitTests.Cli;

/// <summary>A loopback HTTP server that answers as the agent would, for the CLI's client: each request gets the status,
/// content type and body <c>answer</c> gives for its path.</summary>
public sealed class LoopbackAgent : IDisposable
{
    private readonly HttpListener server = new();

    public Uri Address { get; }

    public LoopbackAgent(Func<string, (int Status, string ContentType, string Body)> answer)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Address = new Uri($"http://127.0.0.1:{port}/");
        server.Prefixes.Add(Address.ToString());
        server.Start();
        _ = Task.Run(async () =>
        {
            while (server.IsListening)
            {
                HttpListenerContext context;
                try { context = await server.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                var (status, contentType, body) = answer(context.Request.Url!.AbsolutePath);
                context.Response.StatusCode = status;
                context.Response.ContentType = contentType;
                await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(body));
                context.Response.Close();
            }
        });
    }

    public void Dispose() => ((IDisposable)server).Dispose();
}
