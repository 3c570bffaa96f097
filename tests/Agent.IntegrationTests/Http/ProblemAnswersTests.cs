using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.IntegrationTests.Http;

/// <summary>Walks every route of the running agent (its endpoint data source) and sends each one what makes it fail:
/// no token, a weak role, the wrong method, query values of the wrong type, unparseable bodies, unknown ids. Every error
/// answer must be problem+json with a detail.</summary>
public sealed class ProblemAnswersTests(HttpFixture fx) : IClassFixture<HttpFixture>
{
    // Probes answer in Kubernetes' text convention (tested in ApiTests); metrics, the document and the docs page are not the API.
    private static readonly string[] NotApi = ["/metrics", "/openapi", "/docs", "/livez", "/readyz", "/healthz"];

    private IReadOnlyList<RouteEndpoint> Routes() => fx.Agent.Services.GetRequiredService<EndpointDataSource>().Endpoints
        .OfType<RouteEndpoint>()
        .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>() is not null)
        .Where(e => !NotApi.Any(p => ("/" + e.RoutePattern.RawText?.TrimStart('/')).StartsWith(p, StringComparison.Ordinal)))
        .ToList();

    private static string Path(RouteEndpoint e)
    {
        var path = "/" + e.RoutePattern.RawText!.TrimStart('/');
        foreach (var p in e.RoutePattern.Parameters)
            path = path.Replace("{" + (p.IsCatchAll ? "*" : "") + p.Name + "}", $"no-such-{p.Name}-0", StringComparison.Ordinal);
        return path;
    }

    private static string? Required(RouteEndpoint e)
    {
        if (e.Metadata.GetMetadata<IAllowAnonymous>() is not null) return null;
        return e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).Where(p => p is not null).MaxBy(p => Array.IndexOf(Agent.Auth.Roles.All, p));
    }

    private static async Task<string> AssertProblemAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
            $"{what}: {(int)response.StatusCode} answered {response.Content.Headers.ContentType} {body}");
        using var json = JsonDocument.Parse(body);
        Assert.Equal((int)response.StatusCode, json.RootElement.GetProperty("status").GetInt32());
        var detail = json.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
        Assert.False(string.IsNullOrWhiteSpace(detail), $"{what}: no detail in {body}");
        Assert.DoesNotContain("System.", detail);
        return detail!;
    }

    [Fact]
    public async Task Every_route_answers_a_missing_token_and_a_weak_role_with_problems_that_say_what_to_do()
    {
        using var anonymous = fx.Client(null);
        using var viewer = fx.Client(HttpFixture.ViewerToken);
        var checkedRoutes = 0;
        foreach (var e in Routes())
        {
            var required = Required(e);
            if (required is null) continue;
            foreach (var method in e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods)
            {
                var what = $"{method} {Path(e)}";
                var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), Path(e)));
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                var head = method == "HEAD"; // (the proxy's) HEAD answers have no body to hold the problem
                if (!head) Assert.Contains("with a token from the agent's tokens file", await AssertProblemAsync(response, what + " without a token"));
                if (required != Agent.Auth.Roles.Viewer)
                {
                    var forbidden = await viewer.SendAsync(new HttpRequestMessage(new HttpMethod(method), Path(e)));
                    Assert.True(forbidden.StatusCode == HttpStatusCode.Forbidden, $"{what} as viewer: {(int)forbidden.StatusCode}");
                    if (!head) Assert.Contains($"needs the {required} role", await AssertProblemAsync(forbidden, what + " as viewer"));
                }
                checkedRoutes++;
            }
        }
        Assert.True(checkedRoutes >= 20, $"only {checkedRoutes} routes walked");
    }

    [Fact]
    public async Task Without_a_token_a_body_of_a_type_the_route_does_not_take_is_401_not_415()
    {
        // curl -d sends a form; routing alone answers 415 for it, before authentication (probe-16 F7).
        using var anonymous = fx.Client(null);
        using var admin = fx.Client(HttpFixture.AdminToken);
        var checkedRoutes = 0;
        foreach (var e in Routes().Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>() is { ContentTypes.Count: > 0 } a
                     && !a.ContentTypes.Contains("*/*") && Required(e) is not null))
            foreach (var method in e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods)
            {
                HttpRequestMessage Form() => new(new HttpMethod(method), Path(e)) { Content = new StringContent("a=b", Encoding.UTF8, "application/x-www-form-urlencoded") };
                var response = await anonymous.SendAsync(Form());
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {Path(e)} with a form and no token: {(int)response.StatusCode}");
                Assert.Contains("with a token from the agent's tokens file", await AssertProblemAsync(response, $"{method} {Path(e)} with a form and no token"));
                // With a token the type is judged as before (the route is not run with a form).
                var authenticated = await admin.SendAsync(Form());
                Assert.True(authenticated.StatusCode is HttpStatusCode.UnsupportedMediaType or HttpStatusCode.BadRequest,
                    $"{method} {Path(e)} with a form as admin: {(int)authenticated.StatusCode}");
                checkedRoutes++;
            }
        Assert.True(checkedRoutes >= 8, $"only {checkedRoutes} routes walked");
    }

    [Fact]
    public async Task Every_route_that_takes_a_body_answers_401_and_403_before_judging_its_content_type()
    {
        // probe-17 F13: POST /images/load with text/plain answered 415 to a viewer or operator (403 only once the type
        // was right): routing's media-type endpoint carries no authorization.
        using var anonymous = fx.Client(null);
        using var viewer = fx.Client(HttpFixture.ViewerToken);
        using var op = fx.Client(HttpFixture.OperatorToken);
        using var admin = fx.Client(HttpFixture.AdminToken);
        var bodyMethods = new[] { "POST", "PUT", "PATCH", "DELETE" };
        var walked = 0;
        var typed = 0;
        foreach (var e in Routes().Where(e => Required(e) is not null))
            foreach (var method in e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Where(bodyMethods.Contains))
            {
                var what = $"{method} {Path(e)} with a text/plain body";
                HttpRequestMessage Text() => new(new HttpMethod(method), Path(e)) { Content = new StringContent("x", Encoding.UTF8, "text/plain") };
                var response = await anonymous.SendAsync(Text());
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{what} and no token: {(int)response.StatusCode}");
                Assert.Contains("with a token from the agent's tokens file", await AssertProblemAsync(response, $"{what} and no token"));
                var required = Required(e)!;
                foreach (var (client, role) in new[] { (viewer, Agent.Auth.Roles.Viewer), (op, Agent.Auth.Roles.Operator) })
                {
                    if (Array.IndexOf(Agent.Auth.Roles.All, role) >= Array.IndexOf(Agent.Auth.Roles.All, required)) continue;
                    var forbidden = await client.SendAsync(Text());
                    Assert.True(forbidden.StatusCode == HttpStatusCode.Forbidden, $"{what} as {role}: {(int)forbidden.StatusCode} {await forbidden.Content.ReadAsStringAsync()}");
                    Assert.Contains($"needs the {required} role", await AssertProblemAsync(forbidden, $"{what} as {role}"));
                }
                // With the role the type is judged: 415 naming what the route takes (routes taking any type go on to the handler).
                if (e.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>() is { ContentTypes.Count: > 0 } accepts && !accepts.ContentTypes.Contains("*/*"))
                {
                    var unsupported = await admin.SendAsync(Text());
                    Assert.True(unsupported.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{what} as admin: {(int)unsupported.StatusCode} {await unsupported.Content.ReadAsStringAsync()}");
                    Assert.Contains($"Content-Type: {accepts.ContentTypes[0]}", await AssertProblemAsync(unsupported, $"{what} as admin"));
                    typed++;
                }
                walked++;
            }
        Assert.True(walked >= 40, $"only {walked} route methods walked");
        Assert.True(typed >= 10, $"only {typed} routes with a media type walked");
    }

    [Fact]
    public async Task Every_route_answers_bad_query_values_bad_bodies_unknown_ids_and_wrong_methods_with_problems()
    {
        using var admin = fx.Client(HttpFixture.AdminToken);
        var failures = 0;
        foreach (var e in Routes())
        {
            var handler = e.Metadata.OfType<MethodInfo>().FirstOrDefault();
            var routeNames = e.RoutePattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var typed = handler?.GetParameters()
                .Where(p => !routeNames.Contains(p.Name!) && (Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType) is var t && (t == typeof(int) || t == typeof(bool) || t == typeof(long)))
                .Select(p => p.Name!).ToList() ?? [];
            foreach (var method in e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods)
            {
                var path = Path(e);
                // Bad query values: each typed query parameter at a time.
                foreach (var name in typed)
                {
                    var response = await admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"{path}?{name}=abc"));
                    Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path}?{name}=abc: {(int)response.StatusCode}");
                    if (method != "HEAD") Assert.Contains(name, await AssertProblemAsync(response, $"{method} {path}?{name}=abc"));
                    failures++;
                }
                // Unknown ids and names: only routes with a parameter (nothing real is touched).
                if (routeNames.Count > 0)
                {
                    var request = new HttpRequestMessage(new HttpMethod(method), path);
                    if (method == "POST") request.Content = new StringContent("{\"command\":[\"true\"]}", Encoding.UTF8, "application/json");
                    var response = await admin.SendAsync(request);
                    Assert.True((int)response.StatusCode >= 400, $"{method} {path}: {(int)response.StatusCode}");
                    if (method != "HEAD") await AssertProblemAsync(response, $"{method} {path}");
                    failures++;
                }
                // Unparseable bodies to the routes that read one.
                if (method == "POST" && (path.EndsWith("/exec", StringComparison.Ordinal) || path.EndsWith("/run", StringComparison.Ordinal)))
                {
                    var response = await admin.PostAsync(path, new StringContent("{\"command\": \"echo hi\"", Encoding.UTF8, "application/json"));
                    Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                    await AssertProblemAsync(response, $"{method} {path} with broken JSON");
                    failures++;
                }
            }
            // A method the route does not take (the reverse proxy under /proxy takes every method).
            if (Path(e).Contains("/proxy", StringComparison.Ordinal)) continue;
            var wrong = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Patch, Path(e)));
            Assert.True(wrong.StatusCode == HttpStatusCode.MethodNotAllowed, $"PATCH {Path(e)}: {(int)wrong.StatusCode}");
            await AssertProblemAsync(wrong, $"PATCH {Path(e)}");
        }
        Assert.True(failures >= 20, $"only {failures} bad requests sent");
    }

    /// <summary>A 404 (or a 400 for a malformed one) names the id or name the request gave as the user meant it: an encoded
    /// slash as the slash (routing leaves %2F encoded in a segment), and a long one cut to its start and end, not echoed whole.</summary>
    [Fact]
    public async Task Every_not_found_echoes_an_encoded_slash_decoded_and_a_long_id_bounded()
    {
        using var admin = fx.Client(HttpFixture.AdminToken);
        var checkedRoutes = 0;
        var longId = "x" + new string('y', 4000) + "z";
        foreach (var e in Routes().Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Contains("GET")
                                              && e.RoutePattern.Parameters is [{ IsCatchAll: false }]))
        {
            var raw = "/" + e.RoutePattern.RawText!.TrimStart('/');
            var parameter = "{" + e.RoutePattern.Parameters[0].Name + "}";
            foreach (var (id, shown) in new[] { ("a%2Fb", "\"a/b\""), (longId, "characters)...") })
            {
                var path = raw.Replace(parameter, id, StringComparison.Ordinal);
                using var response = await admin.GetAsync(path);
                if ((int)response.StatusCode is < 400 or >= 500) continue;
                var detail = await AssertProblemAsync(response, $"GET {raw} with {id[..Math.Min(id.Length, 8)]}");
                Assert.DoesNotContain("%2F", detail, StringComparison.OrdinalIgnoreCase);
                Assert.True(detail.Length < 1000, $"GET {raw}: a {id.Length}-character id echoed in a {detail.Length}-character detail");
                if (detail.Contains("a/b", StringComparison.Ordinal) || detail.Contains("yyyy", StringComparison.Ordinal))
                    Assert.Contains(shown, detail);
                checkedRoutes++;
            }
        }
        Assert.True(checkedRoutes >= 16, $"only {checkedRoutes} not-found answers checked");
    }

    [Fact]
    public async Task Limits_unknown_routes_and_odd_values_are_problems_too()
    {
        using var anonymous = fx.Client(null);
        using var admin = fx.Client(HttpFixture.AdminToken);
        var handlerErrorsBefore = fx.Agent.Logs.Count("ExceptionHandlerMiddleware");
        var unknown = await anonymous.GetAsync("/api/v1/no-such-route");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        await AssertProblemAsync(unknown, "unknown route without a token");

        var id = (await DockerCliIds()).First();
        foreach (var (path, status) in new[]
        {
            ($"/api/v1/containers/{id}/logs?since=99999999999999", HttpStatusCode.BadRequest),
            ($"/api/v1/containers/{id}/logs?tail=-3", HttpStatusCode.BadRequest),
            ("/api/v1/objects?x=%00", HttpStatusCode.BadRequest),
            ("/api/v1/objects?x=" + new string('a', 9000), HttpStatusCode.RequestUriTooLong),
        })
        {
            var response = await admin.GetAsync(path);
            Assert.True(response.StatusCode == status, $"{path[..Math.Min(80, path.Length)]}: {(int)response.StatusCode}");
            await AssertProblemAsync(response, path[..Math.Min(80, path.Length)]);
        }
        // probe-39: a whole number too large for its field was "not a whole number".
        var huge = await admin.GetAsync("/api/v1/system/top?limit=99999999999999999999");
        Assert.Equal(HttpStatusCode.BadRequest, huge.StatusCode);
        Assert.Contains("limit=\"99999999999999999999\" is out of range: at most 2147483647", await AssertProblemAsync(huge, "limit too large"));
        var stop = await admin.PostAsync($"/api/v1/containers/{id}/stop?timeout=abc", null);
        Assert.Equal(HttpStatusCode.BadRequest, stop.StatusCode);
        Assert.Contains("500ms, 90s, 5m, 1h30m", await AssertProblemAsync(stop, "stop timeout=abc"));

        var big = new HttpRequestMessage(HttpMethod.Get, "/api/v1/objects");
        big.Headers.Add("X-Big", new string('a', 40_000));
        var headers = await admin.SendAsync(big);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, headers.StatusCode);
        await AssertProblemAsync(headers, "big headers");

        // A body over the limit is refused from its Content-Length, before it is sent (an HttpClient still writing it
        // may see the connection closed under it, so the request goes over a raw socket).
        var tooLarge = await RawPostHeadAsync(admin.BaseAddress!, $"/api/v1/containers/{id}/exec", HttpFixture.AdminToken, 2_000_000);
        Assert.StartsWith("HTTP/1.1 413", tooLarge);
        Assert.Contains("application/problem+json", tooLarge);
        Assert.Contains("\"detail\"", tooLarge);
        // Also on a route that reads no body (probe-31 F14: 2 MB on POST .../stop was taken, and the group stopped).
        var noBodyRoute = await RawPostHeadAsync(admin.BaseAddress!, "/api/v1/servicegroups/no-such-group/stop", HttpFixture.AdminToken, 2_000_000);
        Assert.StartsWith("HTTP/1.1 413", noBodyRoute);
        Assert.Contains("Agent:Auth:MaxRequestBodyBytes", noBodyRoute);
        // 401 and 403 come first, whatever the body (probe-33 F12: 2 MB without a token was a 413).
        Assert.StartsWith("HTTP/1.1 401", await RawPostHeadAsync(admin.BaseAddress!, "/api/v1/run", "not-a-token", 2_000_000));
        Assert.StartsWith("HTTP/1.1 403", await RawPostHeadAsync(admin.BaseAddress!, "/api/v1/run", HttpFixture.ViewerToken, 2_000_000));

        var stringCommand = await admin.PostAsync($"/api/v1/containers/{id}/exec", new StringContent("{\"command\":\"echo hi\"}", Encoding.UTF8, "application/json"));
        Assert.Contains("command: must be a list of strings", await AssertProblemAsync(stringCommand, "string command"));
        var tty = await admin.PostAsync($"/api/v1/containers/{id}/exec", new StringContent("{\"command\":[\"true\"],\"tty\":true}", Encoding.UTF8, "application/json"));
        var ttyDetail = await AssertProblemAsync(tty, "tty");
        Assert.Contains("unknown field \"tty\"", ttyDetail);
        Assert.DoesNotContain("privileged", ttyDetail);

        var state = await admin.GetAsync("/api/v1/containers?state=bogus");
        Assert.Equal(HttpStatusCode.BadRequest, state.StatusCode);
        Assert.Contains("state=\"bogus\" is not a container state: use one of created, running, paused, restarting, removing, exited, dead",
            await AssertProblemAsync(state, "state=bogus"));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/containers?state=Running")).StatusCode);
        // A misspelt or repeated filter is a 400, never everything (grup=) or nothing (group=a&group=b) (probe-17 F10).
        var misspelt = await admin.GetAsync("/api/v1/containers?grup=web");
        Assert.Equal(HttpStatusCode.BadRequest, misspelt.StatusCode);
        Assert.Contains("unknown query parameter \"grup\": GET /containers takes group, service, state", await AssertProblemAsync(misspelt, "grup="));
        foreach (var repeated in new[] { "group=a&group=b", "group=a&service=x&service=y", "state=running&state=exited", "group=a&Group=b" })
        {
            var answer = await admin.GetAsync($"/api/v1/containers?{repeated}");
            Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{repeated}: {(int)answer.StatusCode}");
            Assert.Contains("times: give it once", await AssertProblemAsync(answer, repeated));
        }
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/containers?Group=a&service=x&state=running")).StatusCode);

        // An oversized body (chunked, so only reading it finds the limit: a webhook's way in) and the bad query values
        // above are the client's mistakes: problems, never logged as the agent's failure with a stack trace (probe-13 F1).
        var chunked = await admin.PostAsync($"/api/v1/containers/{id}/exec", new ChunkedContent(3_000_000));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);
        await AssertProblemAsync(chunked, "chunked body over the limit");
        Assert.Equal(handlerErrorsBefore, fx.Agent.Logs.Count("ExceptionHandlerMiddleware"));
        Assert.DoesNotContain(fx.Agent.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("BadHttpRequest", StringComparison.Ordinal));
    }

    /// <summary>A JSON body of about <paramref name="length"/> bytes (one long string) without a Content-Length (chunked
    /// transfer encoding).</summary>
    private sealed class ChunkedContent : HttpContent
    {
        private readonly int length;

        public ChunkedContent(int length)
        {
            this.length = length;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var block = new byte[64 * 1024];
            Array.Fill(block, (byte)'a');
            try
            {
                await stream.WriteAsync("{\"command\":[\""u8.ToArray());
                for (var sent = 0; sent < length; sent += block.Length) await stream.WriteAsync(block);
                await stream.WriteAsync("\"]}"u8.ToArray());
            }
            catch (Exception e) when (e is IOException or HttpRequestException) { } // the server may answer and close before all is sent
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }

    private Task<IReadOnlyList<string>> DockerCliIds() =>
        Infrastructure.DockerCli.ContainerIdsAsync(fx.Instance.InstanceLabel, $"{fx.Instance.Labels.Object}={fx.Group}");

    /// <summary>Sends a POST's headers announcing a body of <paramref name="length"/> bytes, and reads the answer.</summary>
    private static async Task<string> RawPostHeadAsync(Uri server, string path, string token, long length)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        using var stream = tcp.GetStream();
        var head = $"POST {path} HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer {token}\r\n"
            + $"Content-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{{";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await reader.ReadToEndAsync(timeout.Token);
    }
}
