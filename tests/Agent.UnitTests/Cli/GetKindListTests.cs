using System.Text.Json;
using Agent.Cli.Client;

namespace Agent.UnitTests.Cli;

/// <summary>probe-29 LOWs: kubectl's comma list of kinds (`agent get servicegroups,composeprojects`) was refused as one
/// unknown kind; `-o wide` of gitrepositories cut STATUS as the narrow table does. A loopback HTTP server answers as the agent does.</summary>
public sealed class GetKindListTests
{
    private const string Objects = """
        [{"kind":"ServiceGroup","name":"web","since":"2026-12-01T12:00:00Z"},
         {"kind":"ComposeProject","name":"shop","since":"2026-12-01T12:00:00Z"},
         {"kind":"CronJob","name":"nightly","since":"2026-12-01T12:00:00Z"}]
        """;

    private static LoopbackAgent Serve() => new(path => (200, "application/json", path == "/api/v1/objects" ? Objects : "[]"));

    [Fact]
    public async Task A_comma_list_of_kinds_lists_each_kind_asked_for_and_no_other()
    {
        using var server = Serve();
        using var client = new AgentClient(server.Address, () => "token");

        var snapshot = await GetCommand.Snapshot.LoadAsync(client, "servicegroups,composeproject", null, CancellationToken.None);
        Assert.Equal(["shop", "web"], snapshot.Objects.Select(o => o.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
        var rendered = string.Concat(snapshot.Tables(DateTimeOffset.Parse("2026-12-01T12:05:00Z"), wide: false).Where(t => t.Count > 0).Select(t => t.Render()));
        Assert.Contains("servicegroup/web", rendered);
        Assert.Contains("composeproject/shop", rendered);
        Assert.DoesNotContain("nightly", rendered);

        var error = await Assert.ThrowsAsync<AgentApiException>(() => GetCommand.Snapshot.LoadAsync(client, "servicegroups,nopes", null, CancellationToken.None));
        Assert.Contains("no resource type \"nopes\"", error.Message);
    }

    [Fact]
    public async Task One_object_asked_for_by_name_is_printed_as_the_object_not_a_list()
    {
        using var server = Serve();
        using var client = new AgentClient(server.Address, () => "token");
        var one = await GetCommand.Snapshot.LoadAsync(client, "servicegroup", [new GetCommand.Named(null, "web")], CancellationToken.None);
        Assert.Equal(JsonValueKind.Object, one.Json(named: true).ValueKind);
        Assert.Equal("web", one.Json(named: true).GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Array, one.Json().ValueKind);
        var all = await GetCommand.Snapshot.LoadAsync(client, "servicegroups", null, CancellationToken.None);
        Assert.Equal(JsonValueKind.Array, all.Json(named: false).ValueKind);
    }

    [Fact]
    public void Wide_shows_a_gitrepositorys_status_whole_and_the_narrow_table_cuts_it()
    {
        var message = "fetch failed: " + new string('x', 150);
        var repo = JsonDocument.Parse($$"""{"kind":"GitRepository","name":"plat","conditions":[{"type":"Ready","status":"False","reason":"FetchFailed","message":"{{message}}"}]}""").RootElement;
        var now = DateTimeOffset.Parse("2026-12-01T12:05:00Z");
        Assert.Contains(message, GitRepositoryTables.List([repo], now, wide: true, kindPrefix: false).Render());
        var narrow = GitRepositoryTables.List([repo], now, wide: false, kindPrefix: false).Render();
        Assert.DoesNotContain(message, narrow);
        Assert.Contains("…", narrow);
    }
}
