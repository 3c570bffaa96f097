using System.Formats.Tar;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Images;

/// <summary>POST /images/build (inline Dockerfile and context tar, streamed and as a task) on the real engine's classic builder.</summary>
public sealed class BuildEndpointTests(ImageFixture fx) : IClassFixture<ImageFixture>
{
    private static async Task<string> LabelAsync(string image, string label) =>
        await DockerCli.InspectAsync(image, $"{{{{index .Config.Labels \"{label}\"}}}}");

    [Fact]
    public async Task An_inline_Dockerfile_build_streams_the_builder_output_line_by_line_as_ndjson()
    {
        using var client = fx.Client();
        var tag = fx.Local("inline:1");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/images/build")
        {
            Content = JsonContent.Create(new
            {
                tag,
                dockerfileInline = $"FROM {TestEngine.Image} AS base\nARG GREETING=none\nRUN echo $GREETING > /greeting\nFROM base AS final\nRUN echo final > /stage\n",
                buildArgs = new Dictionary<string, string> { ["GREETING"] = "hello-from-args" },
                target = "base",
                labels = new Dictionary<string, string> { ["org.example.built-by"] = "test" },
            }),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lines = new List<JsonElement>();
        while (await reader.ReadLineAsync() is { } line) lines.Add(JsonDocument.Parse(line).RootElement.Clone());

        Assert.True(lines[0].TryGetProperty("task", out _), lines[0].ToString());
        var stream = lines.Where(l => l.TryGetProperty("stream", out _)).Select(l => l.GetProperty("stream").GetString()!).ToList();
        Assert.Contains(stream, l => l.StartsWith($"Step 1/", StringComparison.Ordinal) && l.Contains($"FROM {TestEngine.Image}"));
        Assert.DoesNotContain(stream, l => l.Contains('\n'));
        Assert.DoesNotContain(stream, l => l.Contains("echo final")); // target=base stops before the final stage
        var result = lines[^1].GetProperty("result");
        Assert.Equal(tag, result.GetProperty("image").GetString());
        Assert.Equal(await DockerCli.InspectAsync(tag, "{{.Id}}"), result.GetProperty("id").GetString());

        Assert.Equal("hello-from-args", await DockerCli.RunAsync("run", "--rm", tag, "cat", "/greeting"));
        Assert.Equal("test", await LabelAsync(tag, "org.example.built-by"));
        Assert.Equal(fx.Instance.Id, await LabelAsync(tag, fx.Instance.Labels.BuiltBy));
        Assert.Equal("", await LabelAsync(tag, fx.Instance.Labels.Managed));
        Assert.Equal("", await LabelAsync(tag, fx.Instance.Labels.Instance));
    }

    [Fact]
    public async Task A_container_someone_makes_from_a_built_image_is_not_the_agents_and_a_build_claiming_its_labels_is_refused()
    {
        using var client = fx.Client();
        var tag = fx.Local("plain:1");
        using (var built = await client.PostAsJsonAsync("/api/v1/images/build", new { tag, dockerfileInline = $"FROM {TestEngine.Image}\nRUN echo hi > /hi\n" }))
        {
            var output = await built.Content.ReadAsStringAsync();
            Assert.True(output.Contains("\"result\""), output);
        }
        // Out of band, as any engine user could: the image's labels must not make it the agent's (only the test's own label for clean-up).
        var foreign = fx.Instance.Name("foreign-from-built");
        await DockerCli.RunAsync("create", "--name", foreign, "--label", fx.Instance.InstanceLabel, tag, "true");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/containers/{foreign}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/v1/containers/{foreign}?force=true")).StatusCode);
        Assert.Equal("created", await DockerCli.InspectAsync(foreign, "{{.State.Status}}"));

        using var labelled = await client.PostAsJsonAsync("/api/v1/images/build", new { tag, dockerfileInline = "FROM scratch", labels = new Dictionary<string, string> { ["agent.object"] = "web" } });
        Assert.Equal(HttpStatusCode.BadRequest, labelled.StatusCode);
        Assert.Contains("labels.agent.object", await labelled.Content.ReadAsStringAsync());

        var claiming = fx.Local("claiming:1");
        using var sync = await client.PostAsJsonAsync("/api/v1/images/build",
            new { tag = claiming, dockerfileInline = $"FROM {TestEngine.Image}\nLABEL agent.managed=true agent.instance={fx.Instance.Id}\n" });
        var last = (await sync.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Contains("\"error\"", last);
        Assert.Contains("agent.instance, agent.managed", last);
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("image", "inspect", claiming)).Exit);

        // probe-17 F2: a LABEL in another case or width was kept, although requested labels like it are refused.
        foreach (var (label, key) in new[] { ("Agent.Managed=true", "Agent.Managed"), ("AGENT.Object=web", "AGENT.Object"), ("\uFF41gent.instance=x", "\uFF41gent.instance") })
        {
            var variant = fx.Local("claiming-variant:1");
            using var built = await client.PostAsJsonAsync("/api/v1/images/build", new { tag = variant, dockerfileInline = $"FROM {TestEngine.Image}\nLABEL {label}\n" });
            var end = JsonDocument.Parse((await built.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
            Assert.True(end.TryGetProperty("error", out var error), $"LABEL {label}: {end}");
            Assert.Contains($"agent's own labels {key}", error.GetString());
            Assert.NotEqual(0, (await DockerCli.TryRunAsync("image", "inspect", variant)).Exit);
        }
    }

    [Fact]
    public async Task A_context_tar_builds_asynchronously_as_a_task_with_its_logs()
    {
        using var client = fx.Client();
        var tag = fx.Local("context:1");
        var context = Tar(("Dockerfile", $"FROM {TestEngine.Image}\nARG NOTE\nCOPY app.txt /app.txt\nRUN echo $NOTE >> /app.txt\n"), ("app.txt", "from-the-context\n"));
        using var started = await client.PostAsync($"/api/v1/images/build?async=true&tag={tag}&buildArg=NOTE=from-query",
            new ByteArrayContent(context) { Headers = { ContentType = new("application/x-tar") } });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();
        Assert.StartsWith("/api/v1/tasks/", location);

        using var viewer = fx.Client(ImageFixture.OperatorToken);
        var task = await Eventually.ReturnsAsync(() => viewer.GetFromJsonAsync<JsonElement>(location),
            t => t.GetProperty("state").GetString() is "succeeded" or "failed", TimeSpan.FromMinutes(1), "the build task ends");
        Assert.Equal("succeeded", task.GetProperty("state").GetString());
        Assert.Equal(tag, task.GetProperty("result").GetProperty("image").GetString());
        Assert.Equal("from-the-context\nfrom-query", await DockerCli.RunAsync("run", "--rm", tag, "cat", "/app.txt"));

        var logs = await viewer.GetStringAsync($"{location}/logs?follow=true");
        Assert.Contains("COPY app.txt /app.txt", logs);
        Assert.Contains("\"result\"", logs.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Contains(task.GetProperty("id").GetString()!, await viewer.GetStringAsync("/api/v1/tasks"));
        using var gone = await viewer.GetAsync("/api/v1/tasks/0000000000000000");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Contains("in memory", await gone.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_failing_build_ends_with_an_error_line_and_a_failed_task()
    {
        using var client = fx.Client();
        var tag = fx.Local("broken:1");
        using var sync = await client.PostAsJsonAsync("/api/v1/images/build", new { tag, dockerfileInline = $"FROM {TestEngine.Image}\nRUN exit 3\n" });
        var last = (await sync.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Contains("\"error\"", last);
        Assert.Contains("returned a non-zero code: 3", last);
        Assert.False((await DockerCli.TryRunAsync("image", "inspect", tag)).Exit == 0);

        using var started = await client.PostAsJsonAsync("/api/v1/images/build?async=true", new { tag, dockerfileInline = $"FROM {TestEngine.Image}\nRUN exit 4\n" });
        var location = started.Headers.Location!.ToString();
        var task = await Eventually.ReturnsAsync(() => client.GetFromJsonAsync<JsonElement>(location),
            t => t.GetProperty("state").GetString() is "succeeded" or "failed", TimeSpan.FromMinutes(1), "the build task ends");
        Assert.Equal("failed", task.GetProperty("state").GetString());
        Assert.Contains("returned a non-zero code: 4", task.GetProperty("error").GetString());

        // A base image that cannot be pulled is refused before the builder runs: its ONBUILD triggers cannot be checked.
        using var unpullable = await client.PostAsJsonAsync("/api/v1/images/build?async=true", new { tag, dockerfileInline = "FROM agent-test.invalid/none:1\n" });
        var refused = await unpullable.Content.ReadAsStringAsync();
        Assert.True(unpullable.StatusCode == HttpStatusCode.BadRequest, refused);
        Assert.Contains("line 1: FROM image \\\"agent-test.invalid/none:1\\\" is not here and cannot be pulled", refused);
    }

    [Fact]
    public async Task A_running_build_task_is_cancelled_its_step_container_removed_and_it_ends_cancelled()
    {
        using var client = fx.Client();
        var tag = fx.Local("cancelled:1");
        var step = $"org.example.cancel={fx.Instance.Id}"; // the RUN step's container inherits the labels set before it
        try
        {
            await CancelAsync(client, step, tag);
        }
        finally
        {
            // The builder keeps the images of the steps it finished (its cache), as `docker build` does when interrupted.
            foreach (var id in (await DockerCli.RunAsync("images", "-q", "--filter", $"label={step}")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                await DockerCli.TryRunAsync("rmi", id);
        }
    }

    private async Task CancelAsync(HttpClient client, string step, string tag)
    {
        using var started = await client.PostAsJsonAsync("/api/v1/images/build?async=true",
            new { tag, dockerfileInline = $"FROM {TestEngine.Image}\nLABEL {step}\nRUN sleep 300\n" });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();
        // The LABEL step runs a container too: wait for the one of the RUN step.
        await Eventually.ReturnsAsync(() => client.GetStringAsync($"{location}/logs"),
            logs => logs.IndexOf("RUN sleep 300", StringComparison.Ordinal) is >= 0 and var run && logs.IndexOf("Running in", run, StringComparison.Ordinal) > run,
            TimeSpan.FromMinutes(1), "the builder reported the RUN step's container");
        await Eventually.ReturnsAsync(() => DockerCli.ContainerIdsAsync(step), ids => ids.Count == 1, TimeSpan.FromMinutes(1), "the RUN step runs");

        using var operatorCancel = await fx.Client(ImageFixture.OperatorToken).PostAsync($"{location}/cancel", null);
        Assert.Equal(HttpStatusCode.Forbidden, operatorCancel.StatusCode);
        using var cancel = await client.PostAsync($"{location}/cancel", null);
        var task = await cancel.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(cancel.StatusCode == HttpStatusCode.OK, task.ToString());
        Assert.Equal("cancelled", task.GetProperty("state").GetString());
        Assert.Contains("cancelled through the API", task.GetProperty("error").GetString());

        Assert.Empty(await DockerCli.ContainerIdsAsync(step));
        Assert.False((await DockerCli.TryRunAsync("image", "inspect", tag)).Exit == 0);
        var logs = (await client.GetStringAsync($"{location}/logs")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(logs.Any(l => l.Contains("RUN sleep 300")), string.Join("\n", logs));
        Assert.Contains("cancelled", JsonDocument.Parse(logs[^1]).RootElement.GetProperty("error").GetString());
        using var again = await client.PostAsync($"{location}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("already ended (cancelled)", await again.Content.ReadAsStringAsync());
        using var none = await client.PostAsync("/api/v1/tasks/0000000000000000/cancel", null);
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }

    [Fact]
    public async Task Bad_build_requests_are_refused_before_the_engine_sees_them()
    {
        using var client = fx.Client();
        async Task<string> Refused(HttpResponseMessage response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return body;
        }
        var noTag = await Refused(await client.PostAsJsonAsync("/api/v1/images/build", new { tag = "", dockerfileInline = "FROM scratch" }));
        Assert.Contains("in the JSON body", noTag);
        Assert.DoesNotContain("query tag", noTag); // the JSON form refuses a query tag (probe-62: the hint offered one)
        Assert.Contains("dockerfileInline", await Refused(await client.PostAsJsonAsync("/api/v1/images/build", new { tag = fx.Local("x:1"), dockerfileInline = "" })));
        // docker build refuses a line it cannot parse before any output; it was a 200 whose last line was the error (probe-62).
        Assert.Contains("dockerfileInline line 2: unknown instruction RUNN", await Refused(await client.PostAsJsonAsync("/api/v1/images/build",
            new { tag = fx.Local("x:1"), dockerfileInline = "FROM scratch\nRUNN x\n" })));
        Assert.Contains("unknown field", await Refused(await client.PostAsJsonAsync("/api/v1/images/build", new { tag = fx.Local("x:1"), dockerfileInline = "FROM scratch", pull = true })));
        Assert.Contains("dockerfile", await Refused(await client.PostAsync($"/api/v1/images/build?tag={fx.Local("x:1")}&dockerfile=../../etc/passwd",
            new ByteArrayContent(Tar(("Dockerfile", "FROM scratch\n"))) { Headers = { ContentType = new("application/x-tar") } })));
        var tooLarge = await RawUpload.PostHeadAsync(client.BaseAddress!, $"/api/v1/images/build?tag={fx.Local("x:1")}", ImageFixture.AdminToken,
            "application/x-tar", ImageFixture.MaxBuildContextBytes + 1);
        Assert.StartsWith("HTTP/1.1 413", tooLarge);
        Assert.Contains("MaxBuildContextBytes", tooLarge);
        using var operatorBuild = await fx.Client(ImageFixture.OperatorToken).PostAsJsonAsync("/api/v1/images/build", new { tag = fx.Local("x:1"), dockerfileInline = "FROM scratch" });
        Assert.Equal(HttpStatusCode.Forbidden, operatorBuild.StatusCode);
    }

    [Fact]
    public async Task An_add_of_a_loopback_url_through_env_or_a_base_images_onbuild_trigger_is_refused_and_nothing_is_fetched()
    {
        await using var listener = await LoopbackHttpServer.StartAsync("f05", "f23");
        using var client = fx.Client();
        async Task<string> RefusedBuild(string tag, string dockerfile)
        {
            using var response = await client.PostAsJsonAsync("/api/v1/images/build", new { tag, dockerfileInline = dockerfile });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
            Assert.False(await DockerCli.ExistsAsync("image", tag), $"{tag} was built");
            return body;
        }

        var env = await RefusedBuild(fx.Local("env-url:1"), $"FROM {TestEngine.Image}\nENV U={listener.Url("f05")}\nADD $U /x\n");
        Assert.Contains($"dockerfileInline line 3: ADD of a URL is not allowed (\\\"{listener.Url("f05")}\\\")", env);

        // A base image made out of band whose ONBUILD trigger adds the URL: the child build would run it.
        var container = fx.Instance.Name("onbuild-base");
        var baseImage = fx.Local("onbuild-base:1");
        await DockerCli.RunAsync("create", "--name", container, "--label", fx.Instance.InstanceLabel, TestEngine.Image, "true");
        await DockerCli.RunAsync("commit", "--change", $"ONBUILD ADD {listener.Url("f23")} /x", container, baseImage);
        await DockerCli.RunAsync("rm", container);
        Assert.Contains(listener.Url("f23"), await DockerCli.InspectAsync(baseImage, "{{json .Config.OnBuild}}"));
        var child = await RefusedBuild(fx.Local("onbuild-child:1"), $"FROM {baseImage}\nRUN true\n");
        Assert.Contains($"dockerfileInline line 1: ADD of a URL is not allowed (\\\"{listener.Url("f23")}\\\" in an ONBUILD trigger of the FROM image \\\"{baseImage}\\\"", child);

        Assert.DoesNotContain("GET /", listener.Requests);
        // The listener does serve: the refusals above are not an unreachable URL.
        using var direct = new HttpClient();
        Assert.Equal("fetched-f05", await direct.GetStringAsync(listener.Url("f05")));
        await Eventually.TrueAsync(() => Task.FromResult(listener.Requests.Contains("GET /f05")), TimeSpan.FromSeconds(30), "the listener logs what it serves");
    }

    [Fact]
    public async Task A_context_whose_dockerfile_the_builder_could_read_otherwise_is_refused_and_a_gzip_context_builds()
    {
        await using var listener = await LoopbackHttpServer.StartAsync("h1");
        using var client = fx.Client();
        var fetching = $"FROM {TestEngine.Image}\nADD {listener.Url("h1")} /x\n";
        async Task<string> Build(string tag, byte[] context, string contentType = "application/x-tar")
        {
            using var response = await client.PostAsync($"/api/v1/images/build?tag={tag}", new ByteArrayContent(context) { Headers = { ContentType = new(contentType) } });
            return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
        }

        var linked = new MemoryStream();
        await using (var tar = new TarWriter(linked, TarEntryFormat.Pax, leaveOpen: true))
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "real.df") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(fetching)) });
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "Dockerfile") { LinkName = "real.df" });
        }
        var symlinkTag = fx.Local("h1-link:1");
        Assert.StartsWith("400 ", await Build(symlinkTag, linked.ToArray()));
        var twiceTag = fx.Local("h1-twice:1");
        Assert.Contains("given 2 times", await Build(twiceTag, Tar(("Dockerfile", $"FROM {TestEngine.Image}\n"), ("./Dockerfile", fetching))));
        var lowerTag = fx.Local("h1-lower:1");
        Assert.Contains("dockerfile line 2: ADD of a URL is not allowed", await Build(lowerTag, Tar(("dockerfile", fetching))));
        foreach (var tag in new[] { symlinkTag, twiceTag, lowerTag }) Assert.False(await DockerCli.ExistsAsync("image", tag), $"{tag} was built");
        Assert.DoesNotContain("GET /", listener.Requests);

        // What `docker build --compress` sends: the builder gets the unpacked tar the agent read.
        var gzip = new MemoryStream();
        await using (var zip = new System.IO.Compression.GZipStream(gzip, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            await zip.WriteAsync(Tar(("Dockerfile", $"FROM {TestEngine.Image}\nCOPY app.txt /app.txt\n"), ("app.txt", "zipped\n")));
        var zippedTag = fx.Local("h1-gzip:1");
        var zipped = await Build(zippedTag, gzip.ToArray());
        Assert.True(zipped.Contains("\"result\""), zipped);
        Assert.Equal("zipped", await DockerCli.RunAsync("run", "--rm", zippedTag, "cat", "/app.txt"));
    }

    private static byte[] Tar(params (string Name, string Content)[] files)
    {
        using var stream = new MemoryStream();
        using (var tar = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (name, content) in files)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
        return stream.ToArray();
    }
}
