using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Http;

/// <summary>Every route through a real HTTP client against a running agent and the real engine.</summary>
public sealed class ApiTests(HttpFixture fx) : IClassFixture<HttpFixture>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<JsonElement> GetJson(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<string> IdOf(string service) =>
        (await DockerCli.ContainerIdsAsync(fx.Instance.InstanceLabel, $"{fx.Instance.Labels.Service}={service}", $"{fx.Instance.Labels.Object}={fx.Group}")).Single();

    [Fact]
    public async Task Probes_answer_like_kubernetes()
    {
        using var client = fx.Client(null);
        Assert.Equal("ok", await client.GetStringAsync("/livez"));
        Assert.Equal("ok", await client.GetStringAsync("/healthz"));
        var verbose = await client.GetStringAsync("/readyz?verbose");
        Assert.Contains("[+]engine ok", verbose);
        Assert.Contains("[+]sync ok", verbose);
        Assert.EndsWith("readyz check passed\n", verbose);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz/engine")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/readyz/nope")).StatusCode);
        Assert.Contains("[+]engine excluded: ok", await client.GetStringAsync("/readyz?verbose&exclude=engine"));
        foreach (var probe in new[] { "/livez", "/readyz", "/healthz", "/readyz/engine" })
        {
            using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, probe));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }
        using var missing = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/readyz/nope"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task No_token_is_401_a_weak_role_is_403()
    {
        using var anonymous = fx.Client(null);
        var response = await anonymous.GetAsync("/api/v1/containers");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var wrong = fx.Client("not-a-valid-token-at-all");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/v1/containers")).StatusCode);

        using var viewer = fx.Client(HttpFixture.ViewerToken);
        var id = await IdOf("web");
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/v1/containers")).StatusCode);
        var forbidden = await viewer.PostAsync($"/api/v1/containers/{id}/restart", null);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("viewer", await forbidden.Content.ReadAsStringAsync());
        using var op = fx.Client(HttpFixture.OperatorToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.DeleteAsync($"/api/v1/containers/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.PostAsync("/api/v1/run", Json("{}"))).StatusCode);
    }

    [Fact]
    public async Task A_viewer_never_reads_environment_values_an_operator_does()
    {
        using var viewer = fx.Client(HttpFixture.ViewerToken);
        using var op = fx.Client(HttpFixture.OperatorToken);
        var talker = $"/api/v1/containers/{fx.Group}-talker-1";
        foreach (var path in new[] { $"/api/v1/containers?group={fx.Group}", talker })
        {
            var body = await viewer.GetStringAsync(path);
            Assert.DoesNotContain(HttpFixture.SecretValue, body);
        }
        Assert.Contains("SECRET_TOKEN=<redacted>", await viewer.GetStringAsync(talker));
        Assert.Contains(HttpFixture.SecretValue, await op.GetStringAsync(talker));
    }

    [Fact]
    public async Task Status_lists_and_describes_groups()
    {
        using var viewer = fx.Client(HttpFixture.ViewerToken);
        var list = await GetJson(viewer, "/api/v1/servicegroups");
        Assert.Contains(list.EnumerateArray(), g => g.GetProperty("name").GetString() == fx.Group);
        var group = await GetJson(viewer, $"/api/v1/servicegroups/{fx.Group}");
        Assert.Contains(group.GetProperty("conditions").EnumerateArray(), c => c.GetProperty("type").GetString() == "Ready" && c.GetProperty("status").GetString() == "True");
        Assert.Equal(2, group.GetProperty("services").GetArrayLength());
        Assert.NotEmpty(group.GetProperty("events").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync("/api/v1/servicegroups/missing")).StatusCode);
        Assert.NotEmpty((await GetJson(viewer, "/api/v1/objects")).EnumerateArray());

        // probe-32 F9: kind= lists that kind only (any case); an unknown kind is a 400 naming the kinds.
        var groups = (await GetJson(viewer, "/api/v1/objects?kind=servicegroup")).EnumerateArray().ToList();
        Assert.Contains(groups, g => g.GetProperty("name").GetString() == fx.Group);
        Assert.All(groups, g => Assert.Equal("ServiceGroup", g.GetProperty("kind").GetString()));
        Assert.Empty((await GetJson(viewer, "/api/v1/objects?kind=GitRepository")).EnumerateArray());
        var unknown = await viewer.GetAsync("/api/v1/objects?kind=Deployment");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("kind \"Deployment\" is not one of ServiceGroup, ComposeProject, CronJob, Job, ApiJob, GitRepository, File",
            JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Containers_of_others_are_404_as_if_they_did_not_exist()
    {
        var foreign = await DockerCli.RunAsync("create", "--name", fx.Instance.Name("not-ours"), TestEngine.Image, "sleep", "60");
        try
        {
            using var admin = fx.Client(HttpFixture.AdminToken);
            Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/v1/containers/{foreign}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/v1/containers/{fx.Instance.Name("not-ours")}/start", null)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/v1/containers/{foreign}?force=true")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/v1/containers/{foreign}/exec", Json("{\"command\":[\"true\"]}"))).StatusCode);
            Assert.Equal("created", await DockerCli.InspectAsync(foreign, "{{.State.Status}}"));
            var list = await GetJson(admin, "/api/v1/containers");
            Assert.DoesNotContain(list.EnumerateArray(), c => c.GetProperty("id").GetString() == foreign);
        }
        finally
        {
            await DockerCli.TryRunAsync("rm", "-f", foreign);
        }
    }

    [Fact]
    public async Task Containers_are_listed_filtered_and_inspected()
    {
        using var viewer = fx.Client(HttpFixture.ViewerToken);
        var all = await GetJson(viewer, $"/api/v1/containers?group={fx.Group}");
        Assert.Equal(2, all.GetArrayLength());
        var web = await GetJson(viewer, $"/api/v1/containers?group={fx.Group}&service=web&state=running");
        Assert.Equal($"{fx.Group}-web-1", Assert.Single(web.EnumerateArray()).GetProperty("name").GetString());
        var inspect = await GetJson(viewer, $"/api/v1/containers/{fx.Group}-web-1");
        Assert.Equal("running", inspect.GetProperty("state").GetString());
    }

    /// <summary>The list is serialized once per cache change: what it says must still follow the engine (checked with the
    /// docker CLI), its ETag must change with it, and the viewer's body (no applied-spec label) is never the admin's.</summary>
    [Fact]
    public async Task The_container_list_follows_the_engine_with_an_etag_that_changes_with_it()
    {
        using var viewer = fx.Client(HttpFixture.ViewerToken);
        using var admin = fx.Client(HttpFixture.AdminToken);
        var path = $"/api/v1/containers?group={fx.Group}";
        var talker = await IdOf("talker");

        async Task<(string? ETag, Dictionary<string, string> States, string Body)> ListAsync(HttpClient client)
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            var states = JsonDocument.Parse(body).RootElement.EnumerateArray()
                .ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("state").GetString()!);
            return (response.Headers.ETag?.Tag, states, body);
        }
        async Task<Dictionary<string, string>> EngineStatesAsync() =>
            (await DockerCli.RunAsync("ps", "-a", "--no-trunc", "--filter", $"label={fx.Instance.InstanceLabel}", "--filter", $"label={fx.Instance.Labels.Object}={fx.Group}",
                "--format", "{{.ID}} {{.State}}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p[1]);
        async Task<bool> MatchesEngineAsync(Dictionary<string, string> listed) =>
            (await EngineStatesAsync()) is var engine && engine.Count == listed.Count && engine.All(e => listed.GetValueOrDefault(e.Key) == e.Value);

        // The group's list changes by itself too (a replica's health starting -> healthy, a restart by an earlier test): a
        // list is taken as `before` once two reads in a row carry its ETag, and its 304 is awaited the same way; a 200 in
        // between must be a list that changed (another ETag), never the one sent.
        async Task<(string? ETag, Dictionary<string, string> States, string Body)> SettledAsync()
        {
            string? previous = null;
            return (await Eventually.ReturnsAsync(async () =>
            {
                var list = await ListAsync(viewer);
                var settled = list.ETag == previous;
                previous = list.ETag;
                return (List: list, Settled: settled && list.States.GetValueOrDefault(talker) == "running" && await MatchesEngineAsync(list.States));
            }, r => r.Settled, TimeSpan.FromSeconds(30), "talker running in two lists in a row with one ETag, as the engine has it")).List;
        }
        async Task<bool> NotModifiedAsync(string etag)
        {
            using var conditional = new HttpRequestMessage(HttpMethod.Get, path);
            conditional.Headers.TryAddWithoutValidation("If-None-Match", etag);
            using var response = await viewer.SendAsync(conditional);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                Assert.Empty(await response.Content.ReadAsByteArrayAsync());
                return true;
            }
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.NotEqual(etag, response.Headers.ETag?.Tag);
            return false;
        }

        var before = (await Eventually.ReturnsAsync(async () =>
        {
            var settled = await SettledAsync();
            return (List: settled, NotModified: await NotModifiedAsync(settled.ETag!));
        }, r => r.NotModified, TimeSpan.FromSeconds(60), "a 304 for the ETag of a settled list")).List;
        Assert.NotNull(before.ETag);
        Assert.DoesNotContain($"\"{fx.Instance.Labels.Spec}\":", before.Body);
        var adminView = await ListAsync(admin);
        Assert.Contains($"\"{fx.Instance.Labels.Spec}\":", adminView.Body);
        Assert.NotEqual(before.ETag, adminView.ETag);

        await DockerCli.RunAsync("pause", talker);
        try
        {
            var paused = await Eventually.ReturnsAsync(() => ListAsync(viewer), l => l.States.GetValueOrDefault(talker) == "paused", TimeSpan.FromSeconds(30), "talker paused in the list");
            Assert.NotEqual(before.ETag, paused.ETag);
            Assert.True(await MatchesEngineAsync(paused.States), $"list {paused.Body} differs from the engine");
            using var conditional = new HttpRequestMessage(HttpMethod.Get, path);
            conditional.Headers.TryAddWithoutValidation("If-None-Match", before.ETag);
            using var changed = await viewer.SendAsync(conditional);
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
            Assert.Contains("\"paused\"", await changed.Content.ReadAsStringAsync());
        }
        finally
        {
            await DockerCli.RunAsync("unpause", talker);
        }
        var after = await Eventually.ReturnsAsync(() => ListAsync(viewer), l => l.States.GetValueOrDefault(talker) == "running", TimeSpan.FromSeconds(30), "talker running again in the list");
        Assert.True(await MatchesEngineAsync(after.States), $"list {after.Body} differs from the engine");
    }

    [Fact]
    public async Task Exec_returns_output_and_exit_codes_and_refuses_privileged()
    {
        using var op = fx.Client(HttpFixture.OperatorToken);
        var id = await IdOf("web");
        var response = await op.PostAsync($"/api/v1/containers/{id}/exec",
            Json("{\"command\":[\"sh\",\"-c\",\"echo $A; echo err >&2; pwd; exit 7\"],\"env\":{\"A\":\"x\"},\"workingDir\":\"/tmp\"}"));
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(7, result.GetProperty("exitCode").GetInt32());
        Assert.Equal("x\n/tmp\n", result.GetProperty("stdout").GetString());
        Assert.Equal("err\n", result.GetProperty("stderr").GetString());

        var timeout = await (await op.PostAsync($"/api/v1/containers/{id}/exec", Json("{\"command\":[\"sleep\",\"30\"],\"timeoutSeconds\":1}"))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(timeout.GetProperty("timedOut").GetBoolean());

        foreach (var bad in new[] { "{\"command\":[\"id\"],\"privileged\":true}", "{\"Command\":[\"id\"]}", "{\"command\":[\"id\"],\"command\":[\"sh\"]}" })
            Assert.Equal(HttpStatusCode.BadRequest, (await op.PostAsync($"/api/v1/containers/{id}/exec", Json(bad))).StatusCode);
    }

    [Fact]
    public async Task Logs_tail_and_follow_until_the_client_goes_away()
    {
        using var op = fx.Client(HttpFixture.OperatorToken);
        var id = await IdOf("talker");
        var tail = await op.GetStringAsync($"/api/v1/containers/{id}/logs?tail=3&timestamps=true");
        var lines = tail.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT.* line\d+$", l));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await op.GetAsync($"/api/v1/containers/{id}/logs?follow=true&tail=0", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        await using var stream = await response.Content.ReadAsStreamAsync(cts.Token);
        using var reader = new StreamReader(stream);
        var followed = new List<string>();
        while (followed.Count < 5) followed.Add((await reader.ReadLineAsync(cts.Token))!);
        Assert.All(followed, l => Assert.StartsWith("line", l));
        response.Dispose(); // the client goes away: the server's log stream must end

        await Eventually.TrueAsync(async () => (await op.GetStringAsync("/readyz?verbose")).Length > 0, TimeSpan.FromSeconds(60), "agent still answers");
    }

    [Fact]
    public async Task Stats_come_as_one_sample_or_a_stream()
    {
        using var op = fx.Client(HttpFixture.OperatorToken);
        var id = await IdOf("web");
        var one = await GetJson(op, $"/api/v1/containers/{id}/stats");
        Assert.True(one.GetProperty("memoryUsageBytes").GetInt64() > 0);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await op.GetAsync($"/api/v1/containers/{id}/stats?stream=true", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        for (var i = 0; i < 2; i++)
            Assert.Equal(id, JsonDocument.Parse((await reader.ReadLineAsync(cts.Token))!).RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Container_verbs_stop_start_restart_and_remove()
    {
        using var admin = fx.Client(HttpFixture.AdminToken);
        var id = await IdOf("talker");
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/containers/{id}/restart?timeout=1", null)).StatusCode);
        Assert.Equal("running", await DockerCli.InspectAsync(id, "{{.State.Status}}"));
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/api/v1/containers/{id}?force=true")).StatusCode);
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("inspect", id)).Exit);
        // The manifest still wants it: the reconciler brings a new one.
        await Eventually.TrueAsync(async () => (await DockerCli.ContainerIdsAsync(fx.Instance.InstanceLabel, $"{fx.Instance.Labels.Service}=talker")).Count == 1,
            TimeSpan.FromSeconds(30), "talker recreated");
    }

    [Fact]
    public async Task Group_stop_persists_and_start_resumes()
    {
        using var op = fx.Client(HttpFixture.OperatorToken);
        var g = fx.Instance.Name("verbs");
        fx.Agent.Write("verbs.yaml", Manifest.Group(g, Manifest.Sleeper("s")));
        await fx.Agent.WaitReadyAsync(g);
        Assert.Equal(HttpStatusCode.Accepted, (await op.PostAsync($"/api/v1/servicegroups/{g}/stop", null)).StatusCode);
        await Eventually.ReturnsAsync(() => Containers.OfAsync(fx.Instance, g), rows => rows is [{ State: "exited" }], TimeSpan.FromSeconds(30), "stopped");
        Assert.Contains(g, File.ReadAllText(Path.Combine(fx.Agent.StateDir, "suspended.json")));
        // probe-15c G8: starting one of its containers would be undone by the reconciler (SIGKILL after its grace): 409 naming the group.
        var start = await op.PostAsync($"/api/v1/containers/{g}-s-1/start", null);
        var refused = await start.Content.ReadAsStringAsync();
        Assert.True(start.StatusCode == HttpStatusCode.Conflict, refused);
        Assert.Contains($"ServiceGroup/{g} is stopped", refused);
        Assert.Contains($"/api/v1/servicegroups/{g}/start", refused);
        Assert.Equal(HttpStatusCode.Conflict, (await op.PostAsync($"/api/v1/containers/{g}-s-1/restart", null)).StatusCode);
        Assert.Equal("exited", await DockerCli.InspectAsync($"{g}-s-1", "{{.State.Status}}"));
        Assert.Equal(HttpStatusCode.OK, (await op.PostAsync($"/api/v1/servicegroups/{g}/restart", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await op.PostAsync($"/api/v1/servicegroups/{g}/start", null)).StatusCode);
        await Containers.RunningAsync(fx.Instance, g, 1);
        Assert.Equal(HttpStatusCode.NotFound, (await op.PostAsync("/api/v1/servicegroups/nothing/stop", null)).StatusCode);
        fx.Agent.Delete("verbs.yaml");
    }

    // probe-15m: the stop outlived the group, so a new manifest of the same name stayed 0/0 Suspended without a word.
    [Fact]
    public async Task A_group_stop_goes_with_the_deleted_group_and_a_new_manifest_of_its_name_runs()
    {
        using var op = fx.Client(HttpFixture.OperatorToken);
        var g = fx.Instance.Name("gone");
        var suspended = Path.Combine(fx.Agent.StateDir, "suspended.json");
        fx.Agent.Write("gone.yaml", Manifest.Group(g, Manifest.Sleeper("s")));
        await fx.Agent.WaitReadyAsync(g);
        Assert.Equal(HttpStatusCode.Accepted, (await op.PostAsync($"/api/v1/servicegroups/{g}/stop", null)).StatusCode);
        await Eventually.ReturnsAsync(() => Containers.OfAsync(fx.Instance, g), rows => rows is [{ State: "exited" }], TimeSpan.FromSeconds(30), "stopped");
        Assert.Contains(g, File.ReadAllText(suspended));

        fx.Agent.Delete("gone.yaml");
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(fx.Instance, g)).Count == 0 && !File.ReadAllText(suspended).Contains(g),
            TimeSpan.FromSeconds(60), "the group pruned and its stop forgotten in the state dir");

        fx.Agent.Write("gone.yaml", Manifest.Group(g, Manifest.Sleeper("s")));
        var row = Assert.Single(await Containers.RunningAsync(fx.Instance, g, 1));
        Assert.Equal("true", await DockerCli.InspectAsync(row.Id, "{{.State.Running}}"));
        var ready = await fx.Agent.WaitReadyAsync(g);
        Assert.Equal("UpToDate", ready.Condition(Agent.Core.Status.ConditionTypes.Ready)?.Reason);
        fx.Agent.Delete("gone.yaml");
    }

    [Fact]
    public async Task Run_creates_an_imperative_container_through_admission_and_waits_until_ready()
    {
        using var admin = fx.Client(HttpFixture.AdminToken);
        var name = fx.Instance.Name("run");
        var body = "{\"service\":{\"name\":\"" + name + "\",\"image\":\"busybox:1.35\",\"command\":[\"sh\",\"-c\",\"sleep 1; mkdir /w; echo hi > /w/index.html; exec httpd -f -p 80 -h /w\"]," +
                   "\"ports\":[\"80\"],\"env\":{\"A\":\"1\"},\"resources\":{\"memory\":\"32Mi\"},\"restart\":\"no\",\"stopSignal\":\"SIGKILL\"},\"waitFor\":{\"path\":\"/\",\"port\":80,\"timeout\":\"20s\"}}";
        var response = await admin.PostAsync("/api/v1/run", Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        var created = JsonDocument.Parse(text).RootElement;
        Assert.True(created.GetProperty("ready").GetBoolean());
        var port = created.GetProperty("ports")[0];
        Assert.Equal("127.0.0.1", port.GetProperty("hostIp").GetString());
        using var plain = new HttpClient();
        Assert.Equal("hi\n", await plain.GetStringAsync($"http://127.0.0.1:{port.GetProperty("hostPort").GetInt32()}/"));
        Assert.Equal("true", await DockerCli.InspectAsync(name, $"{{{{index .Config.Labels \"{fx.Instance.Labels.Imperative}\"}}}}"));
        Assert.Equal("33554432", await DockerCli.InspectAsync(name, "{{.HostConfig.Memory}}"));

        // Left alone by the reconciler: still there after a full resync.
        await fx.Agent.Services.GetRequiredService<Agent.Reconciliation.Reconciler>().ReconcileAsync(new("ServiceGroup", fx.Group), CancellationToken.None);
        Assert.Equal("running", await DockerCli.InspectAsync(name, "{{.State.Status}}"));
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/api/v1/containers/{name}?force=true")).StatusCode);
    }

    [Theory]
    [InlineData("{\"service\":{\"name\":\"x\",\"image\":\"busybox:1.35\",\"privileged\":true}}", "service.privileged")]
    [InlineData("{\"service\":{\"name\":\"x\",\"image\":\"busybox:1.35\",\"Image\":\"evil\"}}", "service.Image")]
    [InlineData("{\"service\":{\"name\":\"x\",\"image\":\"busybox:1.35\",\"image\":\"evil\"}}", "duplicate field")]
    [InlineData("{\"service\":{\"name\":\"x\",\"image\":\"busybox:1.35\",\"volumes\":[\"/var/run/docker.sock:/s\"]}}", "service.volumes[0]")]
    [InlineData("{\"service\":{\"name\":\"x\",\"image\":\"busybox:1.35\",\"networkMode\":\"host\"}}", "service.networkMode")]
    [InlineData("{\"service\":{\"name\":\"x\",\"image\":\"busybox:1.35\",\"envFrom\":[\"/etc/shadow\"]}}", "service.envFrom")]
    [InlineData("{\"service\":{\"name\":\"x\",\"image\":\"busybox:1.35\"},\"hostConfig\":{\"Privileged\":true}}", "hostConfig")]
    public async Task Run_refuses_what_admission_or_strict_parsing_refuses(string body, string named)
    {
        using var admin = fx.Client(HttpFixture.AdminToken);
        var response = await admin.PostAsync("/api/v1/run", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(named, await response.Content.ReadAsStringAsync());
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("inspect", "x")).Exit);
    }

    [Fact]
    public async Task Images_and_system_routes_answer()
    {
        using var admin = fx.Client(HttpFixture.AdminToken);
        var images = await GetJson(admin, "/api/v1/images");
        Assert.Contains(images.EnumerateArray(), i => i.GetProperty("tags").EnumerateArray().Any(t => t.GetString() == TestEngine.Image));
        Assert.Equal(await DockerCli.RunAsync("version", "--format", "{{.Server.APIVersion}}"), (await GetJson(admin, "/api/v1/system/version")).GetProperty("apiVersion").GetString());
        Assert.True((await GetJson(admin, "/api/v1/system/info")).GetProperty("cpus").GetInt32() > 0);
        Assert.True((await GetJson(admin, "/api/v1/system/df")).GetProperty("images").GetProperty("count").GetInt32() > 0);
        var pull = await admin.PostAsync("/api/v1/images/pull?image=agent-test.invalid/none:1", null);
        Assert.Contains("agent-test.invalid/none", await pull.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/v1/images/prune", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/api/v1/images/agent-test/none:404")).StatusCode);
    }

    [Fact]
    public async Task OpenApi_document_and_reference_ui_are_served()
    {
        using var anonymous = fx.Client(null);
        var doc = await GetJson(anonymous, "/openapi/v1.json");
        Assert.True(doc.GetProperty("paths").TryGetProperty("/api/v1/containers/{id}/exec", out _));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/docs")).StatusCode);
    }
}
