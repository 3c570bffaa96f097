using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.IntegrationTests.Http;

/// <summary>The OpenAPI document describes every API route: the bearer scheme, a security requirement, request body
/// schemas, and the status codes each answers.</summary>
public sealed class OpenApiDocumentTests(HttpFixture fx) : IClassFixture<HttpFixture>
{
    private async Task<JsonElement> DocumentAsync()
    {
        using var client = fx.Client(null);
        return await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
    }

    [Fact]
    public async Task The_document_has_the_bearer_scheme()
    {
        var scheme = (await DocumentAsync()).GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task Every_api_route_has_its_security_requirement_request_body_and_status_codes()
    {
        var doc = await DocumentAsync();
        var paths = doc.GetProperty("paths");
        var routes = fx.Agent.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.TrimStart('/').StartsWith("api/v1", StringComparison.Ordinal) == true)
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (Path: "/" + e.RoutePattern.RawText!.TrimStart('/').TrimEnd('/').Replace("{*", "{", StringComparison.Ordinal), Method: m.ToLowerInvariant())))
            .ToList();
        Assert.True(routes.Count >= 20, $"{routes.Count} routes");
        foreach (var (path, method) in routes)
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is not in the document; it has {string.Join(", ", paths.EnumerateObject().Select(p => p.Name))}");
            Assert.True(item.TryGetProperty(method, out var operation), $"{method} {path} is not in the document");
            var what = $"{method.ToUpperInvariant()} {path}";

            var security = operation.GetProperty("security").EnumerateArray().ToList();
            Assert.True(security.Any(s => s.TryGetProperty("Bearer", out _)), $"{what} has no Bearer requirement");
            Assert.Contains("role", operation.GetProperty("description").GetString());

            var responses = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet();
            foreach (var code in new[] { "401", "403", "429", "500" }) Assert.True(responses.Contains(code), $"{what} documents no {code}: {string.Join(",", responses)}");
            Assert.True(responses.Any(r => r.StartsWith('2')), $"{what} documents no success");
            if (path.Contains('{')) Assert.True(responses.Contains("404"), $"{what} documents no 404");
            var takesInput = operation.TryGetProperty("parameters", out _) || operation.TryGetProperty("requestBody", out _);
            if (takesInput) Assert.True(responses.Contains("400"), $"{what} documents no 400");
        }
        foreach (var (path, schemaHas) in new[] { ("/api/v1/containers/{id}/exec", "command"), ("/api/v1/run", "service") })
        {
            var body = paths.GetProperty(path).GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
            var schema = body.TryGetProperty("$ref", out var reference)
                ? doc.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1])
                : body;
            Assert.True(schema.GetProperty("properties").TryGetProperty(schemaHas, out _), $"{path} body schema has no {schemaHas}: {schema}");
            Assert.True(paths.GetProperty(path).GetProperty("post").GetProperty("responses").TryGetProperty("413", out _), $"{path} documents no 413");
        }
    }

    [Fact]
    public async Task The_docs_page_loads_nothing_from_the_internet()
    {
        using var client = fx.Client(null);
        var html = await client.GetStringAsync("/docs/");
        Assert.DoesNotContain("fonts.scalar.com", html);
        Assert.DoesNotContain("cdn.jsdelivr.net", html);
        Assert.Contains("\"hideClientButton\":true", html.Replace(" ", ""));
    }
}
