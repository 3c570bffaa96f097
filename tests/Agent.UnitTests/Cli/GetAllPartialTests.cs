using System.Net;
using System.Net.Sockets;
using System.Text;
using Agent.Cli.Client;

namespace Agent.UnitTests.Cli;

/// <summary>`agent get all` while the engine cannot list containers shows the objects the agent knows and says that the
/// containers are missing, instead of only an error (probe-15d H5). A loopback HTTP server answers as the agent does then.</summary>
public sealed class GetAllPartialTests
{
    private const string Objects = """[{"kind":"ServiceGroup","name":"web","ready":"0/1","status":"ReconcileFailed","since":"2026-12-01T12:00:00Z"}]""";
    private const string EngineProblem = """{"title":"Engine Error","status":502,"detail":"container_list failed (500): fake engine: internal error"}""";

    private static (HttpListener Server, Uri Address) Serve()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var address = new Uri($"http://127.0.0.1:{port}/");
        var server = new HttpListener();
        server.Prefixes.Add(address.ToString());
        server.Start();
        _ = Task.Run(async () =>
        {
            while (server.IsListening)
            {
                HttpListenerContext context;
                try { context = await server.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                var objects = context.Request.Url!.AbsolutePath == "/api/v1/objects";
                context.Response.StatusCode = objects ? 200 : 502;
                context.Response.ContentType = objects ? "application/json" : "application/problem+json";
                var body = Encoding.UTF8.GetBytes(objects ? Objects : EngineProblem);
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        });
        return (server, address);
    }

    [Fact]
    public async Task The_objects_are_shown_and_the_missing_containers_are_named()
    {
        var (server, address) = Serve();
        using var _ = server;
        using var client = new AgentClient(address, () => "token");

        var snapshot = await GetCommand.Snapshot.LoadAsync(client, "all", null, CancellationToken.None);
        Assert.Contains("container_list failed (500)", snapshot.ContainersError);
        Assert.Empty(snapshot.Containers);
        var rendered = string.Concat(snapshot.Tables(DateTimeOffset.Parse("2026-12-01T12:05:00Z"), wide: false).Where(t => t.Count > 0).Select(t => t.Render()));
        Assert.Contains("servicegroup/web", rendered.ToLowerInvariant());

        await Assert.ThrowsAsync<AgentApiException>(() => GetCommand.Snapshot.LoadAsync(client, "containers", null, CancellationToken.None));
    }
}
