using Agent.Cli.Client;

namespace Agent.UnitTests.Cli;

/// <summary>`agent get all` while the engine cannot list containers shows the objects the agent knows and says that the
/// containers are missing, instead of only an error (probe-15d H5). A loopback HTTP server answers as the agent does then.</summary>
public sealed class GetAllPartialTests
{
    private const string Objects = """[{"kind":"ServiceGroup","name":"web","ready":"0/1","status":"ReconcileFailed","since":"2026-12-01T12:00:00Z"}]""";
    private const string EngineProblem = """{"title":"Engine Error","status":502,"detail":"container_list failed (500): fake engine: internal error"}""";

    private static LoopbackAgent Serve() => new(path => path == "/api/v1/objects"
        ? (200, "application/json", Objects)
        : (502, "application/problem+json", EngineProblem));

    [Fact]
    public async Task The_objects_are_shown_and_the_missing_containers_are_named()
    {
        using var server = Serve();
        using var client = new AgentClient(server.Address, () => "token");

        var snapshot = await GetCommand.Snapshot.LoadAsync(client, "all", null, CancellationToken.None);
        Assert.Contains("container_list failed (500)", snapshot.ContainersError);
        Assert.Empty(snapshot.Containers);
        var rendered = string.Concat(snapshot.Tables(DateTimeOffset.Parse("2026-12-01T12:05:00Z"), wide: false).Where(t => t.Count > 0).Select(t => t.Render()));
        Assert.Contains("servicegroup/web", rendered.ToLowerInvariant());

        await Assert.ThrowsAsync<AgentApiException>(() => GetCommand.Snapshot.LoadAsync(client, "containers", null, CancellationToken.None));
    }
}
