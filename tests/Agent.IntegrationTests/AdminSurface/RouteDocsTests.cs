using System.Net;
using Agent.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static Agent.IntegrationTests.AdminSurface.AdminSurfaceFixture;

namespace Agent.IntegrationTests.AdminSurface;

/// <summary>docs/api.md's roles × routes table is the running agent's routes, and every route named in the Docker
/// commands table exists. AGENT_UPDATE_DOCS=1 rewrites the table instead of failing.</summary>
[Collection(AdminSurfaceCollection.Name)]
public sealed class RouteDocsTests(AdminSurfaceFixture fx)
{
    private const string Begin = "<!-- roles-routes:begin (generated from the routes; AGENT_UPDATE_DOCS=1 dotnet test --filter RouteDocsTests) -->\n";
    private const string End = "<!-- roles-routes:end -->";

    private static string DocsPath()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Agent.sln"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, "docs", "api.md");
    }

    private IReadOnlyList<RouteTable.Row> Rows() => RouteTable.Rows(fx.Agent.Services.GetRequiredService<EndpointDataSource>());

    [Fact]
    public void The_roles_table_in_the_docs_matches_the_routes()
    {
        var path = DocsPath();
        var docs = File.ReadAllText(path);
        var start = docs.IndexOf(Begin, StringComparison.Ordinal);
        var end = docs.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"docs/api.md has no {Begin.Trim()} ... {End} section");
        var expected = RouteTable.Markdown(Rows());
        var actual = docs[(start + Begin.Length)..end];
        if (actual != expected && Environment.GetEnvironmentVariable("AGENT_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, docs[..(start + Begin.Length)] + expected + docs[end..]);
            return;
        }
        Assert.True(actual == expected, $"docs/api.md's roles × routes table is not the routes' (run with AGENT_UPDATE_DOCS=1 to regenerate). Expected:\n{expected}");
    }

    [Fact]
    public async Task Every_route_in_the_commands_table_exists_and_the_api_serves_the_table()
    {
        var routes = Rows().Select(r => $"{r.Method} {r.Path}").ToHashSet();
        foreach (var command in DockerCommands.All.Where(c => c.Http.Length > 0))
            Assert.True(routes.Contains(command.Http), $"{command.Docker}: {command.Http} is not a route");
        using var viewer = fx.Client(ViewerToken);
        var served = await ReadAsync(await viewer.GetAsync("/api/v1/commands"), HttpStatusCode.OK);
        Assert.Equal(DockerCommands.All.Count, served.GetArrayLength());
        Assert.Equal("GET /api/v1/volumes", served.EnumerateArray().Single(c => c.GetProperty("docker").GetString() == "docker volume ls").GetProperty("http").GetString());
    }
}
