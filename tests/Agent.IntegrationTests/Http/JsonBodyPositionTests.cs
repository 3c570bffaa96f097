using System.Net;
using System.Text;
using System.Text.Json;

namespace Agent.IntegrationTests.Http;

/// <summary>fix21b: a body that is not JSON is a 400 naming the line, column and field of the body as sent, on every route
/// that reads a JSON body. POST /jobs and /run read JSON as YAML and put a one-line body's error at "line 2, column 1"
/// (its end of stream); /jobs answered it 422.</summary>
public sealed class JsonBodyPositionTests(HttpFixture fx) : IClassFixture<HttpFixture>
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<(string Detail, JsonElement Problem)> BadRequestAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        return (problem.GetProperty("detail").GetString()!, problem);
    }

    private static void AssertError(JsonElement problem, string field, int line, int column)
    {
        var error = Assert.Single(problem.GetProperty("errors").EnumerateArray());
        Assert.Equal((field, line, column), (error.GetProperty("field").GetString(), error.GetProperty("line").GetInt32(), error.GetProperty("column").GetInt32()));
    }

    [Fact]
    public async Task A_one_line_body_cut_or_broken_names_its_own_line_and_column_on_jobs_and_run()
    {
        using var admin = fx.Client(HttpFixture.AdminToken);

        var (detail, problem) = await BadRequestAsync(await admin.PostAsync("/api/v1/jobs", Json("""{"name": "x", "container": {"image": }""")), "jobs");
        Assert.Equal("container.image: invalid JSON at line 1, column 38: '}' is an invalid start of a value", detail);
        AssertError(problem, "container.image", 1, 38);

        (detail, problem) = await BadRequestAsync(await admin.PostAsync("/api/v1/run", Json("""{"service": {"name": "w", "image": }""")), "run");
        Assert.Equal("service.image: invalid JSON at line 1, column 36: '}' is an invalid start of a value", detail);
        AssertError(problem, "service.image", 1, 36);

        // Cut after the second line: the end of what was sent, and the bracket it leaves open.
        (detail, problem) = await BadRequestAsync(await admin.PostAsync("/api/v1/run",
            Json("{\n  \"service\": {\"name\": \"w\", \"image\": \"busybox:1.35\"")), "run cut");
        Assert.Equal("service: invalid JSON at line 2, column 51: the body ends before the '{' at line 2, column 14 is closed with '}'", detail);
        AssertError(problem, "service", 2, 51);

        (detail, _) = await BadRequestAsync(await admin.PostAsync("/api/v1/containers",
            Json("""{"service": {"name": "w", "image": "busybox:1.35"}} x""")), "containers with trailing garbage");
        Assert.StartsWith("invalid JSON at line 1, column 53: 'x' is invalid after a single JSON value", detail);
    }

    /// <summary>probe-34: a 60 KB body with thousands of bad fields was answered with every one of them, twice (detail and
    /// errors): a 760 KB answer. The first are listed, and how many more.</summary>
    [Fact]
    public async Task A_body_with_thousands_of_bad_fields_gets_a_short_answer_listing_the_first_and_counting_the_rest()
    {
        using var admin = fx.Client(HttpFixture.AdminToken);
        var env = string.Join(",", Enumerable.Range(0, 3000).Select(i => $"{{\"zz\":{i}}}"));
        var body = $"{{\"service\":{{\"name\":\"w\",\"image\":\"busybox:1.35\",\"env\":[{env}]}}}}";
        foreach (var route in new[] { "/api/v1/run", "/api/v1/containers" })
        {
            var response = await admin.PostAsync(route, Json(body));
            var (detail, problem) = await BadRequestAsync(response, route);
            Assert.True(response.Content.Headers.ContentLength is null or < 32 * 1024, $"{route}: {response.Content.Headers.ContentLength} bytes for a {body.Length}-byte body");
            Assert.StartsWith("service.env[0]: expected a string, got a mapping; service.env[1]: ", detail);
            Assert.EndsWith("; and 2990 more (in errors)", detail);
            Assert.Equal(100, problem.GetProperty("errors").GetArrayLength());
            Assert.Equal(2900, problem.GetProperty("errorsNotListed").GetInt32());
        }
        var jobs = await admin.PostAsync("/api/v1/jobs", Json($"{{\"name\":\"j\",\"container\":{{\"image\":\"busybox:1.35\",\"env\":[{env}]}}}}"));
        var answer = await jobs.Content.ReadAsStringAsync();
        Assert.True(answer.Length < 32 * 1024, $"jobs: {(int)jobs.StatusCode}, {answer.Length} characters");
        Assert.Contains("and 2990 more (in errors)", answer);
    }

    [Fact]
    public async Task The_strictly_read_bodies_and_the_image_routes_name_the_position_too()
    {
        using var admin = fx.Client(HttpFixture.AdminToken);
        var id = (await Infrastructure.DockerCli.ContainerIdsAsync(fx.Instance.InstanceLabel, $"{fx.Instance.Labels.Object}={fx.Group}")).First();

        var (detail, problem) = await BadRequestAsync(await admin.PostAsync($"/api/v1/containers/{id}/exec", Json("""{"command": ["true",]}""")), "exec");
        Assert.StartsWith("command: invalid JSON at line 1, column 21: ", detail);
        AssertError(problem, "command", 1, 21);

        // probe-38: the strictly read bodies named no field in errors (a type error, a field given twice).
        (detail, problem) = await BadRequestAsync(await admin.PostAsync($"/api/v1/containers/{id}/exec", Json("{\"command\": \"echo hi\"}")), "exec string command");
        Assert.StartsWith("command: must be a list of strings", detail);
        AssertError(problem, "command", 1, 22);
        (detail, problem) = await BadRequestAsync(await admin.PostAsync("/api/v1/images/build", Json("{\"tag\": \"x:1\",\n \"tag\": \"y:1\"}")), "build duplicate");
        Assert.StartsWith("tag: invalid JSON at line 2, column 2: duplicate field \"tag\"", detail);
        AssertError(problem, "tag", 2, 2);
        (detail, problem) = await BadRequestAsync(await admin.PostAsync("/api/v1/run",
            Json("""{"service": {"name": "w", "image": "busybox:1.35", "image": "evil"}}""")), "run duplicate");
        Assert.StartsWith("service.image: invalid JSON at line 1, column 52: duplicate field \"image\"", detail);
        AssertError(problem, "service.image", 1, 52);

        (detail, _) = await BadRequestAsync(await admin.PostAsync("/api/v1/networks", Json("""{"name": "n" "driver": "bridge"}""")), "networks");
        Assert.StartsWith("invalid JSON at line 1, column 14: ", detail);

        // Was read as "no body" and answered "image=NAME[:TAG] is required".
        (detail, problem) = await BadRequestAsync(await admin.PostAsync("/api/v1/images/pull", Json("""{"image": "busybox:1.35" """.TrimEnd())), "pull");
        Assert.Equal("invalid JSON at line 1, column 25: the body ends before the '{' at line 1, column 1 is closed with '}'", detail);
        AssertError(problem, "", 1, 25);
    }
}
