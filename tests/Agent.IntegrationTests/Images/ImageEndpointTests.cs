using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Images;

/// <summary>The image routes on the real engine and a real local registry, checked through the docker CLI and the
/// registry's own HTTP API.</summary>
public sealed class ImageEndpointTests(ImageFixture fx) : IClassFixture<ImageFixture>
{
    private static async Task<string> ImageIdAsync(string reference) => await DockerCli.InspectAsync(reference, "{{.Id}}");


    private async Task TagAsync(HttpClient client, string source, string target)
    {
        using var response = await client.PostAsJsonAsync($"/api/v1/images/{source}/tag", new { target });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The NDJSON lines of a streamed answer, each parsed.</summary>
    private static async Task<List<JsonElement>> LinesAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    [Fact]
    public async Task A_reference_with_registry_port_namespace_and_tag_is_inspected_tagged_and_its_history_read()
    {
        using var client = fx.Client();
        var reference = $"localhost:5000/{fx.Instance.Id}/app:1.0";
        await TagAsync(client, TestEngine.Image, reference);
        Assert.Equal(await ImageIdAsync(TestEngine.Image), await ImageIdAsync(reference));

        using var viewer = fx.Client(ImageFixture.ViewerToken);
        var image = await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/images/{reference}");
        Assert.Equal(await ImageIdAsync(reference), image.GetProperty("id").GetString());
        Assert.Contains(reference, image.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var encoded = await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/images/{Uri.EscapeDataString(reference)}/json");
        Assert.Equal(image.GetProperty("id").GetString(), encoded.GetProperty("id").GetString());

        var history = await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/images/{reference}/history");
        var cli = await DockerCli.RunAsync("history", "-q", "--no-trunc", reference);
        Assert.Equal(cli.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, history.GetArrayLength());

        using var missing = await viewer.GetAsync($"/api/v1/images/localhost:5000/{fx.Instance.Id}/none:1");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        using var viewerTag = await viewer.PostAsJsonAsync($"/api/v1/images/{reference}/tag", new { target = fx.Local("x:1") });
        Assert.Equal(HttpStatusCode.Forbidden, viewerTag.StatusCode);
    }

    [Fact]
    public async Task A_field_given_twice_an_unknown_query_key_and_a_bad_name_are_400s_naming_them_and_nothing_changes()
    {
        // probe-37: the query value won silently over the body's, unknown keys were ignored, and the engine's text leaked.
        using var admin = fx.Client();
        var (one, other) = (fx.Local("twice-a:1"), fx.Local("twice-b:1"));
        async Task<string> RefusedAsync(Task<HttpResponseMessage> sent)
        {
            using var response = await sent;
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
            return JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString()!;
        }

        Assert.Contains("target is given twice", await RefusedAsync(admin.PostAsJsonAsync($"/api/v1/images/{TestEngine.Image}/tag?target={one}", new { target = other })));
        Assert.Contains("image is given twice", await RefusedAsync(admin.PostAsJsonAsync($"/api/v1/images/pull?image={one}", new { image = other })));
        Assert.Contains("must be lowercase", await RefusedAsync(admin.PostAsJsonAsync($"/api/v1/images/{TestEngine.Image}/tag", new { target = "Upper/Case:1" })));
        Assert.Contains("target is required", await RefusedAsync(admin.PostAsync($"/api/v1/images/{TestEngine.Image}/tag", null)));
        Assert.Contains("is for a context tar", await RefusedAsync(admin.PostAsJsonAsync($"/api/v1/images/build?tag={one}", new { tag = other, dockerfileInline = $"FROM {TestEngine.Image}" })));
        Assert.Contains("unknown query parameter \"tagg\"", await RefusedAsync(admin.PostAsJsonAsync($"/api/v1/images/build?tagg={one}", new { tag = other, dockerfileInline = $"FROM {TestEngine.Image}" })));
        Assert.Contains("must be lowercase", await RefusedAsync(admin.PostAsJsonAsync("/api/v1/images/build", new { tag = "Upper:1", dockerfileInline = $"FROM {TestEngine.Image}" })));
        Assert.Contains("unknown query parameter \"sortt\"", await RefusedAsync(admin.GetAsync("/api/v1/system/top?sortt=memory")));
        Assert.Contains("must be lowercase", await RefusedAsync(admin.GetAsync("/api/v1/images/BusyBox:1.35")));
        // probe-38: a misspelt key on a prune was ignored and the prune ran unfiltered; a key given twice was joined.
        Assert.Contains("POST /volumes/prune takes no query parameters", await RefusedAsync(admin.PostAsync("/api/v1/volumes/prune?filter=label!=keep", null)));
        Assert.Contains("image is given 2 times", await RefusedAsync(admin.PostAsync($"/api/v1/images/pull?image={one}&image={other}", null)));
        Assert.Contains("limit=\"1,2\"", await RefusedAsync(admin.GetAsync("/api/v1/system/top?limit=1&limit=2"))); // bound as one value before the key check
        // probe-42 F3: a body's field of the wrong type read as missing ("image is required"); unknown fields were ignored.
        Assert.Equal("image: must be a string", await RefusedAsync(admin.PostAsync("/api/v1/images/pull", new StringContent("{\"image\":123}", System.Text.Encoding.UTF8, "application/json"))));
        Assert.Contains("unknown field \"imag\"", await RefusedAsync(admin.PostAsJsonAsync("/api/v1/images/pull", new { imag = one })));
        Assert.Equal("target: must be a string", await RefusedAsync(admin.PostAsync($"/api/v1/images/{TestEngine.Image}/tag", new StringContent("{\"target\":[\"x\"]}", System.Text.Encoding.UTF8, "application/json"))));

        foreach (var name in new[] { one, other })
            Assert.False(await DockerCli.ExistsAsync("image", name)); // the oracle: nothing was tagged, pulled or built
    }

    [Fact]
    public async Task A_viewer_sees_an_images_environment_and_env_steps_by_name_only_as_a_containers()
    {
        // probe-37: ARG TOKEN + ENV T=$TOKEN showed the token to viewers in image inspect and history.
        var reference = fx.Local("env-copied:1");
        var folder = Directory.CreateTempSubdirectory("agent-it-env-image-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "Dockerfile"), $"FROM {TestEngine.Image}\nARG TOKEN\nENV T=$TOKEN PLAIN=1\n");
            await DockerCli.RunAsync("build", "-q", "--build-arg", "TOKEN=tok-p37-SECRET", "-t", reference, folder.FullName);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
        try
        {
            Assert.Contains("tok-p37-SECRET", await DockerCli.RunAsync("image", "inspect", "--format", "{{json .Config.Env}}", reference)); // the oracle: it is there

            using var viewer = fx.Client(ImageFixture.ViewerToken);
            var seen = await viewer.GetStringAsync($"/api/v1/images/{reference}") + await viewer.GetStringAsync($"/api/v1/images/{reference}/history");
            Assert.DoesNotContain("tok-p37-SECRET", seen);
            var env = (await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/images/{reference}")).GetProperty("env").EnumerateArray().Select(e => e.GetString()).ToList();
            Assert.Contains("T=<redacted>", env);
            var steps = (await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/images/{reference}/history")).EnumerateArray().Select(h => h.GetProperty("createdBy").GetString()).ToList();
            Assert.Contains(steps, s => s!.EndsWith("#(nop)  ENV T=<redacted> PLAIN=<redacted>", StringComparison.Ordinal));

            using var op = fx.Client(ImageFixture.OperatorToken);
            Assert.Contains("T=tok-p37-SECRET", await op.GetStringAsync($"/api/v1/images/{reference}"));
        }
        finally
        {
            await DockerCli.TryRunAsync("rmi", "-f", reference);
        }
    }

    [Fact]
    public async Task An_image_is_pushed_with_the_configured_credentials_removed_and_pulled_back_by_its_registry_name()
    {
        using var client = fx.Client();
        var reference = fx.InRegistry("pushed:1.0");
        await TagAsync(client, TestEngine.Image, reference);

        using var push = await client.PostAsync($"/api/v1/images/{reference}/push", null);
        Assert.True(push.StatusCode == HttpStatusCode.OK, await push.Content.ReadAsStringAsync());
        var lines = await LinesAsync(push);
        Assert.True(lines.Count >= 2, string.Join("\n", lines));
        var last = lines[^1];
        Assert.Equal(reference, last.GetProperty("pushed").GetString());
        Assert.StartsWith("sha256:", last.GetProperty("digest").GetString());
        Assert.Contains("\"1.0\"", await fx.Registry.TagsAsync($"{fx.Instance.Id}/pushed"));

        using (var remove = await client.DeleteAsync($"/api/v1/images/{reference}"))
            Assert.Equal(HttpStatusCode.OK, remove.StatusCode);
        Assert.False(await DockerCli.ExistsAsync("image", reference));

        using var pull = await client.PostAsJsonAsync("/api/v1/images/pull", new { image = reference });
        Assert.Equal("application/x-ndjson", pull.Content.Headers.ContentType?.MediaType);
        var pulled = await LinesAsync(pull);
        Assert.Contains(pulled, l => l.TryGetProperty("status", out _));
        Assert.Equal(reference, pulled[^1].GetProperty("pulled").GetString());
        Assert.Equal(await ImageIdAsync(TestEngine.Image), await ImageIdAsync(reference));
        Assert.Equal(await ImageIdAsync(reference), pulled[^1].GetProperty("id").GetString());

        // probe-42 F4: a tag the registry lacks was "image_pull REF failed (404)", the metric's name for the call.
        var missing = fx.InRegistry("pushed:absent");
        using var absent = await client.PostAsync($"/api/v1/images/pull?image={missing}", null);
        var answer = await absent.Content.ReadAsStringAsync();
        Assert.True(absent.StatusCode == HttpStatusCode.NotFound, $"{(int)absent.StatusCode} {answer}");
        Assert.Contains($"image pull {missing} failed (404)", answer);
    }

    [Fact]
    public async Task A_push_to_an_unreachable_registry_or_with_refused_credentials_answers_502_or_422_not_a_200_stream()
    {
        // probe-17 F1: both answered 200 with "The push refers to repository" and then an {"error"} line.
        using var client = fx.Client();
        async Task<string> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {response.Content.Headers.ContentType} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
        }

        var nowhere = $"localhost:{FreePort.Next()}/{fx.Instance.Id}/nowhere:1";
        await TagAsync(client, TestEngine.Image, nowhere);
        using (var unreachable = await client.PostAsync($"/api/v1/images/{nowhere}/push", null))
            Assert.Contains("nowhere", await ProblemAsync(unreachable, HttpStatusCode.BadGateway));
        using (var unreachable = await client.PostAsync($"/api/v1/images/pull?image={nowhere}", null))
        {
            Assert.Contains("nowhere", await ProblemAsync(unreachable, HttpStatusCode.BadGateway));
            Assert.Contains("Registry Unreachable", await unreachable.Content.ReadAsStringAsync());
        }

        var reference = fx.InRegistry("refused:1");
        await TagAsync(client, TestEngine.Image, reference);
        const string wrong = "wrong-password-f1-0815";
        await File.WriteAllTextAsync(fx.Registry.PasswordFile, wrong); // read again at each push
        try
        {
            using var refused = await client.PostAsync($"/api/v1/images/{reference}/push", null);
            var detail = await ProblemAsync(refused, (HttpStatusCode)422);
            Assert.Contains("Agent:Registries", detail);
            Assert.DoesNotContain(wrong, detail);
            // probe-37: a pull the registry refuses was a 502 "Engine Error" (the engine's own 500), not the documented 422.
            using var pullRefused = await client.PostAsync($"/api/v1/images/pull?image={fx.InRegistry("anything:1")}", null);
            detail = await ProblemAsync(pullRefused, (HttpStatusCode)422);
            Assert.Contains($". Check the files of Agent:Registries for {fx.Registry.Host}.", detail);
            Assert.DoesNotContain(wrong, detail);
        }
        finally
        {
            await File.WriteAllTextAsync(fx.Registry.PasswordFile, LocalRegistry.Password + "\n");
        }
        // probe-63: the same registry under another name has no credential: said so, not "check the files for this server".
        var otherName = fx.InRegistry("anything:1").Replace(fx.Registry.Host, fx.Registry.Host.Replace("localhost", "127.0.0.1"), StringComparison.Ordinal);
        using (var anonymous = await client.PostAsync($"/api/v1/images/pull?image={otherName}", null))
            Assert.Contains($"No credential is configured for {fx.Registry.Host.Replace("localhost", "127.0.0.1")} (Agent:Registries has {fx.Registry.Host})",
                await ProblemAsync(anonymous, (HttpStatusCode)422));
        Assert.DoesNotContain("\"1\"", await fx.Registry.TagsAsync($"{fx.Instance.Id}/refused"));

        // The agent's own password file missing is its configuration's fault, not the engine's (probe-37: a 502 "Engine Error").
        File.Move(fx.Registry.PasswordFile, fx.Registry.PasswordFile + ".away");
        try
        {
            using var unreadable = await client.PostAsync($"/api/v1/images/pull?image={fx.InRegistry("anything:1")}", null);
            Assert.Contains("Agent:Registries: cannot read", await ProblemAsync(unreadable, HttpStatusCode.InternalServerError));
            Assert.Contains("Registry Credentials Unreadable", await unreadable.Content.ReadAsStringAsync());
        }
        finally
        {
            File.Move(fx.Registry.PasswordFile + ".away", fx.Registry.PasswordFile);
        }

        // With the right password the same push streams as before: 200, NDJSON, the digest last.
        using var pushed = await client.PostAsync($"/api/v1/images/{reference}/push", null);
        Assert.True(pushed.StatusCode == HttpStatusCode.OK, await pushed.Content.ReadAsStringAsync());
        var lines = await LinesAsync(pushed);
        Assert.Contains(lines, l => l.TryGetProperty("status", out var s) && s.GetString()!.StartsWith("The push refers to repository", StringComparison.Ordinal));
        Assert.Equal(reference, lines[^1].GetProperty("pushed").GetString());
        Assert.Contains("\"1\"", await fx.Registry.TagsAsync($"{fx.Instance.Id}/refused"));
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_a_clear_error_that_never_shows_it()
    {
        using var client = fx.Client();
        const string wrong = "not-the-password-4711";
        using var refused = await client.PostAsJsonAsync("/api/v1/registries/login", new { server = fx.Registry.Host, username = LocalRegistry.User, password = wrong });
        var body = await refused.Content.ReadAsStringAsync();
        Assert.Equal((HttpStatusCode)422, refused.StatusCode);
        Assert.Contains(fx.Registry.Host, body);
        Assert.DoesNotContain(wrong, body);
        // The request's credentials were checked, not the configured files (probe-17 F3: the detail sent the user to the files).
        Assert.Contains("Check the username and password given in the request", body);
        Assert.DoesNotContain("Check the files of Agent:Registries", body);
        Assert.DoesNotContain(wrong, string.Join("\n", fx.Agent.Logs.Lines));

        using var configured = await client.PostAsJsonAsync("/api/v1/registries/login", new { server = fx.Registry.Host });
        var ok = await configured.Content.ReadAsStringAsync();
        Assert.True(configured.StatusCode == HttpStatusCode.OK, ok);
        Assert.DoesNotContain(LocalRegistry.Password, ok);
        Assert.DoesNotContain(LocalRegistry.Password, string.Join("\n", fx.Agent.Logs.Lines));

        using var unknown = await client.PostAsJsonAsync("/api/v1/registries/login", new { server = "registry.invalid:5000" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var operatorLogin = await fx.Client(ImageFixture.OperatorToken).PostAsJsonAsync("/api/v1/registries/login", new { server = fx.Registry.Host });
        Assert.Equal(HttpStatusCode.Forbidden, operatorLogin.StatusCode);
        var servers = await fx.Client(ImageFixture.ViewerToken).GetStringAsync("/api/v1/registries");
        Assert.Contains(fx.Registry.Host, servers);
        Assert.DoesNotContain(LocalRegistry.User, servers);
    }

    [Fact]
    public async Task A_saved_image_loads_back_and_an_upload_over_the_limit_is_refused()
    {
        using var client = fx.Client();
        var reference = fx.Local("saved:1");
        await TagAsync(client, TestEngine.Image, reference);
        using var save = await client.GetAsync($"/api/v1/images/{reference}/save");
        Assert.Equal(HttpStatusCode.OK, save.StatusCode);
        Assert.Equal("application/x-tar", save.Content.Headers.ContentType?.MediaType);
        var tar = await save.Content.ReadAsByteArrayAsync();
        Assert.True(tar.Length > 100_000, $"{tar.Length} bytes");

        await DockerCli.RunAsync("rmi", reference);
        Assert.False(await DockerCli.ExistsAsync("image", reference));
        using var load = await client.PostAsync("/api/v1/images/load", new ByteArrayContent(tar) { Headers = { ContentType = new("application/x-tar") } });
        var loaded = await load.Content.ReadAsStringAsync();
        Assert.True(load.StatusCode == HttpStatusCode.OK, loaded);
        Assert.Contains(reference, loaded);
        Assert.True(await DockerCli.ExistsAsync("image", reference));

        var refused = await RawUpload.PostHeadAsync(client.BaseAddress!, "/api/v1/images/load", ImageFixture.AdminToken, "application/x-tar", ImageFixture.MaxLoadBytes + 1);
        Assert.StartsWith("HTTP/1.1 413", refused);
        Assert.Contains("MaxLoadBytes", refused);
    }

    [Fact]
    public async Task Retagging_a_name_that_points_at_another_image_needs_force_and_admin()
    {
        using var admin = fx.Client();
        using var operatorClient = fx.Client(ImageFixture.OperatorToken);
        var target = fx.Local("pinned:1");
        var other = fx.Local("other:1");
        using (var operatorTag = await operatorClient.PostAsync($"/api/v1/images/{TestEngine.Image}/tag?target={target}", null))
            Assert.Equal(HttpStatusCode.Forbidden, operatorTag.StatusCode); // probe-15d H4: a new name decides what the host runs under it
        Assert.False(await DockerCli.ExistsAsync("image", target));
        await TagAsync(admin, TestEngine.Image, target);
        using (var built = await admin.PostAsJsonAsync("/api/v1/images/build", new { tag = other, dockerfileInline = $"FROM {TestEngine.Image}\nLABEL org.example.other={fx.Instance.Id}\n" }))
        {
            var output = await built.Content.ReadAsStringAsync();
            Assert.True(output.Contains("\"result\""), output);
        }

        using (var same = await admin.PostAsync($"/api/v1/images/{TestEngine.Image}/tag?target={target}", null))
            Assert.Equal(HttpStatusCode.Created, same.StatusCode); // the same image again: nothing changes
        using (var refused = await admin.PostAsync($"/api/v1/images/{other}/tag?target={target}", null))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains("force=true", await refused.Content.ReadAsStringAsync());
        }
        using (var notAdmin = await operatorClient.PostAsync($"/api/v1/images/{other}/tag?target={target}&force=true", null))
            Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
        Assert.Equal(await ImageIdAsync(TestEngine.Image), await ImageIdAsync(target));
        using (var forced = await admin.PostAsync($"/api/v1/images/{other}/tag?target={target}&force=true", null))
            Assert.Equal(HttpStatusCode.Created, forced.StatusCode);
        Assert.Equal(await ImageIdAsync(other), await ImageIdAsync(target));
    }

    [Fact]
    public async Task A_load_or_a_build_that_would_re_point_a_name_is_refused_like_a_tag_and_nothing_changes_unless_forced()
    {
        using var admin = fx.Client();
        var pinned = fx.Local("repoint:1");
        var other = fx.Local("repoint-other:1");
        await TagAsync(admin, TestEngine.Image, pinned);
        using (var built = await admin.PostAsJsonAsync("/api/v1/images/build", new { tag = other, dockerfileInline = $"FROM {TestEngine.Image}\nLABEL org.example.repoint={fx.Instance.Id}\n" }))
            Assert.Contains("\"result\"", await built.Content.ReadAsStringAsync());
        // `docker save` of the other image, its RepoTags naming the pinned name (probe-15h M6: the engine re-points it on load).
        var saved = await (await admin.GetAsync($"/api/v1/images/{other}/save")).Content.ReadAsByteArrayAsync();
        var tar = new MemoryStream();
        await using (var reader = new System.Formats.Tar.TarReader(new MemoryStream(saved)))
        await using (var writer = new System.Formats.Tar.TarWriter(tar, leaveOpen: true))
            while (await reader.GetNextEntryAsync(copyData: true) is { } entry)
            {
                if (entry.Name == "manifest.json")
                    entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(new StreamReader(entry.DataStream!).ReadToEnd().Replace(other, pinned)));
                await writer.WriteEntryAsync(entry);
            }
        HttpContent Tar() => new ByteArrayContent(tar.ToArray()) { Headers = { ContentType = new("application/x-tar") } };
        var busybox = await ImageIdAsync(TestEngine.Image);

        using (var load = await admin.PostAsync("/api/v1/images/load", Tar()))
        {
            var detail = await load.Content.ReadAsStringAsync();
            Assert.True(load.StatusCode == HttpStatusCode.Conflict, detail);
            Assert.Contains($"{pinned} already names another image", detail);
            Assert.Contains("force=true to load it anyway", detail);
        }
        using (var build = await admin.PostAsJsonAsync("/api/v1/images/build", new { tag = pinned, dockerfileInline = $"FROM {other}\nRUN echo replaced > /r\n" }))
        {
            var detail = await build.Content.ReadAsStringAsync();
            Assert.True(build.StatusCode == HttpStatusCode.Conflict, detail);
            Assert.Contains("force=true to build it anyway", detail);
        }
        Assert.Equal(busybox, await ImageIdAsync(pinned)); // neither re-pointed it

        using (var forced = await admin.PostAsync("/api/v1/images/load?force=true", Tar()))
            Assert.True(forced.StatusCode == HttpStatusCode.OK, await forced.Content.ReadAsStringAsync());
        Assert.Equal(await ImageIdAsync(other), await ImageIdAsync(pinned));
        using (var again = await admin.PostAsync("/api/v1/images/load", Tar()))
            Assert.True(again.StatusCode == HttpStatusCode.OK, await again.Content.ReadAsStringAsync()); // the same image again: nothing changes
    }

    [Fact]
    public async Task Creating_a_tag_a_manifest_wants_but_the_engine_lacks_needs_force_and_admin()
    {
        using var admin = fx.Client();
        using var operatorClient = fx.Client(ImageFixture.OperatorToken);
        var wanted = fx.Local("wanted:1");
        var group = $"{fx.Instance.Id}-wants";
        fx.Agent.Write("wants.yaml", $$"""
            apiVersion: agent/v1
            kind: ServiceGroup
            metadata: { name: {{group}} }
            spec:
              services:
                - name: svc
                  image: {{wanted}}
                  imagePullPolicy: Never
            """);
        try
        {
            await fx.Agent.WaitForConditionAsync(group, "Ready", "False");
            using (var refused = await admin.PostAsync($"/api/v1/images/{TestEngine.Image}/tag?target={wanted}", null))
            {
                var body = await refused.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
                Assert.Contains($"ServiceGroup/{group} (service svc)", body);
                Assert.Contains("force=true", body);
            }
            // Spelled as the engine reads it, too.
            using (var spelled = await admin.PostAsync($"/api/v1/images/{TestEngine.Image}/tag?target=docker.io/library/{wanted}", null))
                Assert.Equal(HttpStatusCode.Conflict, spelled.StatusCode);
            using (var notAdmin = await operatorClient.PostAsync($"/api/v1/images/{TestEngine.Image}/tag?target={wanted}&force=true", null))
                Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
            Assert.False(await DockerCli.ExistsAsync("image", wanted));

            using (var unused = await operatorClient.PostAsync($"/api/v1/images/{TestEngine.Image}/tag?target={fx.Local("free:1")}", null))
                Assert.Equal(HttpStatusCode.Forbidden, unused.StatusCode); // even a name nothing uses: docker run and Compose on the host would start it
            using (var free = await admin.PostAsync($"/api/v1/images/{TestEngine.Image}/tag?target={fx.Local("free:1")}", null))
                Assert.Equal(HttpStatusCode.Created, free.StatusCode);
        }
        finally
        {
            fx.Agent.Delete("wants.yaml");
            await DockerCli.TryRunAsync("rmi", fx.Local("free:1"));
        }
    }

    [Fact]
    public async Task A_pulled_image_with_the_agents_labels_is_removed_and_the_pull_fails()
    {
        using var admin = fx.Client();
        var reference = fx.InRegistry("claims:1");
        var folder = Directory.CreateTempSubdirectory("agent-it-pull-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "Dockerfile"), $"FROM {TestEngine.Image}\nLABEL agent.kind=ServiceGroup agent.object=x\n");
            await DockerCli.RunAsync("build", "-q", "-t", reference, folder.FullName);
            using (var push = await admin.PostAsync($"/api/v1/images/{reference}/push", null))
                Assert.Contains("\"pushed\"", await push.Content.ReadAsStringAsync());
            await DockerCli.RunAsync("rmi", reference);

            using var pull = await admin.PostAsync($"/api/v1/images/pull?image={reference}", null);
            var last = (await LinesAsync(pull)).Last();
            Assert.Contains("was pulled with the agent's own labels agent.kind, agent.object", last.GetProperty("error").GetString());
            Assert.False(await DockerCli.ExistsAsync("image", reference));
        }
        finally
        {
            await DockerCli.TryRunAsync("rmi", "-f", reference);
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Search_needs_admin_and_without_a_reachable_index_is_a_clear_502()
    {
        using (var viewer = await fx.Client(ImageFixture.ViewerToken).GetAsync("/api/v1/images/search?term=127.0.0.1:1/x"))
            Assert.Equal(HttpStatusCode.Forbidden, viewer.StatusCode);
        using var response = await fx.Client().GetAsync("/api/v1/images/search?term=busybox");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Registry Unreachable", body);
        Assert.Contains("busybox", body);
        using var noTerm = await fx.Client().GetAsync("/api/v1/images/search");
        Assert.Equal(HttpStatusCode.BadRequest, noTerm.StatusCode);
    }

    /// <summary>probe-42 F1: the engine's own prune with all=true untagged every tag but one of an image that containers
    /// ran (busybox:1.35 and busybox:latest gone under 196 running replicas). An image any container was made from, the
    /// agent's or not, running or not, keeps every tag.</summary>
    [Fact]
    public async Task Prune_all_keeps_every_tag_of_an_image_a_container_was_made_from()
    {
        using var client = fx.Client();
        var label = $"org.example.prune-used={fx.Instance.Id}";
        var (first, second) = (fx.Local("prune-used:1"), fx.Local("prune-used:2"));
        var container = fx.Instance.Name("prune-user");
        try
        {
            using (var build = await client.PostAsJsonAsync("/api/v1/images/build", new
                   {
                       tag = first,
                       dockerfileInline = $"FROM {TestEngine.Image}\nRUN echo {fx.Instance.Id} > /used\n",
                       labels = new Dictionary<string, string> { ["org.example.prune-used"] = fx.Instance.Id },
                   }))
                Assert.Contains("\"result\"", await build.Content.ReadAsStringAsync());
            await DockerCli.RunAsync("tag", first, second);
            await DockerCli.RunAsync("create", "--name", container, "--label", label, first, "true"); // not the agent's, never started

            using (var pruned = await client.PostAsync($"/api/v1/images/prune?all=true&filter=label={label}", null))
                Assert.True(pruned.StatusCode == HttpStatusCode.OK, await pruned.Content.ReadAsStringAsync());
            Assert.True(await DockerCli.ExistsAsync("image", first), $"{first} was untagged");
            Assert.True(await DockerCli.ExistsAsync("image", second), $"{second} was untagged");

            await DockerCli.RunAsync("rm", container);
            using (var pruned = await client.PostAsync($"/api/v1/images/prune?all=true&filter=label={label}", null))
            {
                var result = await pruned.Content.ReadFromJsonAsync<JsonElement>();
                Assert.True(result.GetProperty("deleted").GetInt32() >= 3, result.ToString()); // two untags and the image
                Assert.True(result.GetProperty("spaceReclaimed").GetInt64() > 0, result.ToString());
            }
            Assert.False(await DockerCli.ExistsAsync("image", first));
            Assert.False(await DockerCli.ExistsAsync("image", second));
            Assert.True(await DockerCli.ExistsAsync("image", TestEngine.Image));
        }
        finally
        {
            await DockerCli.TryRunAsync("rm", "-f", container);
            await DockerCli.TryRunAsync("rmi", "-f", first, second);
        }
    }

    /// <summary>probe-62: `label!=` was a 400 ("not one of label= or until="), where docker image prune takes it.</summary>
    [Fact]
    public async Task Prune_keeps_the_images_a_label_not_filter_names_as_docker_image_prune_does()
    {
        using var client = fx.Client();
        var (key, keep) = ("org.example.prune-not", "org.example.prune-keep");
        var (gone, kept) = (fx.Local("prune-not:gone"), fx.Local("prune-not:kept"));
        try
        {
            foreach (var (tag, labels) in new[]
                     {
                         (gone, new Dictionary<string, string> { [key] = fx.Instance.Id }),
                         (kept, new Dictionary<string, string> { [key] = fx.Instance.Id, [keep] = "yes" }),
                     })
                using (var build = await client.PostAsJsonAsync("/api/v1/images/build", new
                       {
                           tag,
                           dockerfileInline = $"FROM {TestEngine.Image}\nRUN echo {fx.Instance.Id} {tag} > /marker\n",
                           labels,
                       }))
                    Assert.Contains("\"result\"", await build.Content.ReadAsStringAsync());

            // Dangling only: the engine's own prune takes label! (nothing of ours is dangling, nothing is removed).
            using (var dangling = await client.PostAsync($"/api/v1/images/prune?filter=label={key}={fx.Instance.Id}&filter=label!={keep}", null))
                Assert.True(dangling.StatusCode == HttpStatusCode.OK, await dangling.Content.ReadAsStringAsync());
            Assert.True(await DockerCli.ExistsAsync("image", gone));

            using (var pruned = await client.PostAsync($"/api/v1/images/prune?all=true&filter=label={key}={fx.Instance.Id}&filter=label!={keep}=yes", null))
            {
                var body = await pruned.Content.ReadAsStringAsync();
                Assert.True(pruned.StatusCode == HttpStatusCode.OK, body);
            }
            Assert.False(await DockerCli.ExistsAsync("image", gone), $"{gone} has no {keep} label: pruned");
            Assert.True(await DockerCli.ExistsAsync("image", kept), $"{kept} carries {keep}=yes: kept");
            Assert.True(await DockerCli.ExistsAsync("image", TestEngine.Image));

            using var bad = await client.PostAsync("/api/v1/images/prune?filter=label!=", null);
            Assert.Contains("label!=KEY[=VALUE]", await bad.Content.ReadAsStringAsync());
        }
        finally
        {
            await DockerCli.TryRunAsync("rmi", "-f", gone, kept);
        }
    }

    [Fact]
    public async Task Prune_all_removes_unused_tagged_images_matching_the_filter()
    {
        using var client = fx.Client();
        using (var badUntil = await client.PostAsync("/api/v1/images/prune?filter=until=abc", null))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badUntil.StatusCode);
            Assert.Contains("until is a duration", await badUntil.Content.ReadAsStringAsync());
        }
        var label = $"org.example.prune={fx.Instance.Id}";
        var reference = fx.Local("prunable:1");
        using (var build = await client.PostAsJsonAsync("/api/v1/images/build", new
               {
                   tag = reference,
                   dockerfileInline = $"FROM {TestEngine.Image}\nRUN echo {fx.Instance.Id} > /marker\n",
                   labels = new Dictionary<string, string> { ["org.example.prune"] = fx.Instance.Id },
               }))
        {
            var output = await build.Content.ReadAsStringAsync();
            Assert.True(output.Contains("\"result\""), output);
        }
        Assert.True(await DockerCli.ExistsAsync("image", reference));

        using var dangling = await client.PostAsync($"/api/v1/images/prune?filter=label={label}", null);
        Assert.Equal(HttpStatusCode.OK, dangling.StatusCode);
        Assert.True(await DockerCli.ExistsAsync("image", reference), "a tagged image is not dangling");

        // A CronJob names the image and no container runs it: all=true would remove it, so it needs force (probe-15h M3).
        var cron = fx.Instance.Name("prune-cron");
        fx.Agent.Write("prune-cron.yaml", $"apiVersion: agent/v1\nkind: CronJob\nmetadata:\n  name: {cron}\nspec:\n  schedule: \"0 3 1 1 *\"\n" +
                                          $"  jobTemplate:\n    container:\n      image: {reference}\n      command: [\"true\"]\n");
        await Eventually.ReturnsAsync(async () => (await client.GetAsync($"/api/v1/cronjobs/{cron}")).StatusCode,
            s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "the CronJob is read");
        using var refused = await client.PostAsync($"/api/v1/images/prune?all=true&filter=label={label}", null);
        var refusal = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.Conflict, refusal);
        Assert.Contains($"CronJob/{cron} ({reference})", refusal);
        Assert.True(await DockerCli.ExistsAsync("image", reference));

        using var all = await client.PostAsync($"/api/v1/images/prune?all=true&force=true&filter=label={label}", null);
        fx.Agent.Delete("prune-cron.yaml");
        var result = await all.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(result.GetProperty("deleted").GetInt32() >= 1, result.ToString());
        Assert.False(await DockerCli.ExistsAsync("image", reference));
        Assert.True(await DockerCli.ExistsAsync("image", TestEngine.Image));

        using var bad = await client.PostAsync("/api/v1/images/prune?filter=dangerous", null);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Removing_an_image_a_manifest_uses_needs_force_and_the_409_names_the_users()
    {
        using var client = fx.Client();
        var reference = fx.Local("inuse:1");
        await TagAsync(client, TestEngine.Image, reference);
        var group = fx.Instance.Name("inuse");
        fx.Agent.Write("inuse.yaml", Manifest.Group(group, $"    - name: app\n      image: {reference}\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGKILL\n"));
        await fx.Agent.WaitReadyAsync(group);

        using var refused = await client.DeleteAsync($"/api/v1/images/{reference}");
        var body = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var users = body.GetProperty("usedBy").EnumerateArray().Select(u => u.GetString()).ToList();
        Assert.Contains($"ServiceGroup/{group} (service app)", users);
        Assert.Contains(users, u => u!.StartsWith("container ", StringComparison.Ordinal));
        Assert.True(await DockerCli.ExistsAsync("image", reference));

        using var forced = await client.DeleteAsync($"/api/v1/images/{reference}?force=true");
        Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        Assert.False(await DockerCli.ExistsAsync("image", reference));
        fx.Agent.Delete("inuse.yaml");
    }

    [Fact]
    public async Task A_manifest_with_imagePullPolicy_Always_pulls_from_the_registry_with_the_configured_credentials()
    {
        using var client = fx.Client();
        var reference = fx.InRegistry("always:2");
        await TagAsync(client, TestEngine.Image, reference);
        using (var push = await client.PostAsync($"/api/v1/images/{reference}/push", null))
            Assert.Contains("\"pushed\"", await push.Content.ReadAsStringAsync());
        await DockerCli.RunAsync("rmi", reference);

        var group = fx.Instance.Name("always");
        fx.Agent.Write("always.yaml", Manifest.Group(group,
            $"    - name: app\n      image: {reference}\n      imagePullPolicy: Always\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGKILL\n"));
        await fx.Agent.WaitReadyAsync(group);
        var containers = await DockerCli.ContainerIdsAsync(fx.Instance.InstanceLabel, $"{fx.Instance.Labels.Object}={group}");
        Assert.Single(containers);
        Assert.Equal(reference, await DockerCli.InspectAsync(containers[0], "{{.Config.Image}}"));
        Assert.True(await DockerCli.ExistsAsync("image", reference), "pulled back from the registry");
        fx.Agent.Delete("always.yaml");
    }
}
