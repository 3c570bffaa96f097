using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Cli;

/// <summary>One running agent (real engine) with a group of a web service on an ephemeral loopback port and a talker.</summary>
public sealed class ClientFixture : IAsyncLifetime
{
    public const string AdminToken = "cli-admin-token-0123456789abcdef";
    public const string ViewerToken = "cli-viewer-token-0123456789abcdef";
    public TestInstance Instance { get; } = new();
    public AgentHarness Agent { get; private set; } = null!;
    public string Group => Instance.Name("cli");
    private string tokens = null!;

    public async Task InitializeAsync()
    {
        await Instance.InitializeAsync();
        tokens = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokens, $"viewer:{ViewerToken}\nadmin:{AdminToken}\n");
        Agent = new AgentHarness(Instance, new Dictionary<string, string?> { ["Agent:Auth:TokensFile"] = tokens });
        Agent.Write("g.yaml", Group(Group, Web("web", "      ports: [\"127.0.0.1::8080\"]\n") +
            $"    - name: talker\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"i=0; while true; do echo line$i; i=$((i+1)); sleep 0.2; done\"]\n      stopSignal: SIGKILL\n"));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(Group);
    }

    /// <summary>The server and token as a user gives them: the agent's Urls setting and AGENT_TOKEN.</summary>
    public Dictionary<string, string> Env(string token = AdminToken) => new()
    {
        ["AGENT_Urls"] = Agent.BaseAddress.ToString(),
        ["AGENT_TOKEN"] = token,
    };

    public async Task DisposeAsync()
    {
        await Agent.DisposeAsync();
        await Instance.DisposeAsync();
        File.Delete(tokens);
    }
}

/// <summary>Every client command (`get`, `describe`, `events`, `logs`, `wait`, `stop`, `start`, `restart`) run as a
/// program against a running agent; effects checked through the docker CLI.</summary>
public sealed class ClientCommandTests(ClientFixture fx) : IClassFixture<ClientFixture>
{
    private Task<(int Exit, string Stdout, string Stderr)> Agent(params string[] args) => AgentCli.RunAsync(fx.Env(), args);

    private async Task<string> Ok(params string[] args)
    {
        var (exit, stdout, stderr) = await Agent(args);
        Assert.True(exit == 0, $"agent {string.Join(' ', args)} exited {exit}\n{stdout}\n{stderr}");
        return stdout;
    }

    private Task<string> HostPortAsync() =>
        DockerCli.InspectAsync($"{fx.Group}-web-1", "{{(index (index .NetworkSettings.Ports \"8080/tcp\") 0).HostPort}}");

    [Fact]
    public async Task Get_servicegroups_prints_an_aligned_table_with_ready_replicas()
    {
        var lines = (await Ok("get", "servicegroups")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+READY\s+STATUS\s+AGE$", lines[0]);
        var row = Assert.Single(lines, l => l.StartsWith(fx.Group + " ", StringComparison.Ordinal));
        Assert.Matches(@"\s2/2\s+Ready\s+\d+[smh]", row);
        Assert.Equal(lines[0].IndexOf("READY", StringComparison.Ordinal), row.IndexOf("2/2", StringComparison.Ordinal));
        Assert.Contains(fx.Group, await Ok("get", "servicegroup", fx.Group));
        Assert.Contains(fx.Group, await Ok("get", $"servicegroup/{fx.Group}")); // kubectl's TYPE/NAME
        Assert.Contains(fx.Group, await Ok("get", "sg", "-o", "wide"));
    }

    [Fact]
    public async Task Get_containers_shows_the_engine_assigned_host_port()
    {
        var port = (await HostPortAsync()).Trim();
        var stdout = await Ok("get", "containers");
        Assert.Matches(@"^NAME\s+GROUP\s+SERVICE\s+STATE\s+HEALTH\s+PORTS\s+AGE", stdout);
        Assert.Contains($"127.0.0.1:{port}->8080/tcp", stdout);
        Assert.Contains($"{fx.Group}-talker-1", stdout);
    }

    [Fact]
    public async Task Get_all_lists_objects_then_containers_and_json_and_yaml_carry_the_same()
    {
        var all = await Ok("get", "all");
        Assert.Contains($"servicegroup/{fx.Group}", all);
        Assert.Contains($"container/{fx.Group}-web-1", all);

        using var json = JsonDocument.Parse(await Ok("get", "servicegroups", "-o", "json"));
        var group = Assert.Single(json.RootElement.EnumerateArray(), g => g.GetProperty("name").GetString() == fx.Group);
        Assert.Equal("ServiceGroup", group.GetProperty("kind").GetString());
        using var containers = JsonDocument.Parse(await Ok("get", "containers", "-o", "json"));
        Assert.All(containers.RootElement.EnumerateArray(), c => Assert.Equal(fx.Group, c.GetProperty("group").GetString()));

        var yaml = await Ok("get", "servicegroups", fx.Group, "-o", "yaml");
        Assert.Contains($"name: {fx.Group}", yaml);
        Assert.Contains("kind: ServiceGroup", yaml);
    }

    /// <summary>probe-31 F13: kubectl get takes several names (`get sg a b`, `get sg/a cp/b`): the rows it finds, then an
    /// error for each name it does not, exit 1.</summary>
    [Fact]
    public async Task Get_of_several_names_lists_those_found_and_names_each_missing_one()
    {
        var several = await Agent("get", "servicegroups", fx.Group, "nope");
        Assert.Equal(1, several.Exit);
        Assert.Contains(fx.Group, several.Stdout);
        Assert.Contains("servicegroups \"nope\" not found", several.Stderr);
        Assert.DoesNotContain(fx.Group, several.Stderr);

        var typed = await Agent("get", $"sg/{fx.Group}", $"composeproject/{fx.Group}");
        Assert.Equal(1, typed.Exit);
        Assert.Contains(fx.Group, typed.Stdout);
        Assert.Contains($"composeprojects \"{fx.Group}\" not found", typed.Stderr); // a group of that name is no project
        Assert.Contains("servicegroups \"nope\" not found", (await Agent("get", "sg", "nope")).Stderr); // kubectl's name for the kind, not the alias

        Assert.Contains($"name: {fx.Group}", await Ok("get", $"servicegroup/{fx.Group}", $"servicegroup/{fx.Group}", "-o", "yaml"));
        var mixed = await Agent("get", $"servicegroup/{fx.Group}", "other");
        Assert.Equal(1, mixed.Exit);
        Assert.Contains("resource/name form", mixed.Stderr);
    }

    [Fact]
    public async Task Get_kinds_not_present_say_no_resources_and_unknown_kinds_fail()
    {
        foreach (var kind in new[] { "cronjobs", "composeprojects" })
        {
            var (exit, stdout, stderr) = await Agent("get", kind);
            Assert.Equal(0, exit);
            Assert.DoesNotContain(fx.Group, stdout);
            Assert.Contains("No resources found", stderr);
        }
        var unknown = await Agent("get", "widgets");
        Assert.Equal(1, unknown.Exit);
        Assert.Contains("no resource type \"widgets\"", unknown.Stderr);
    }

    [Fact]
    public async Task Describe_shows_conditions_services_containers_with_ports_and_events()
    {
        var port = (await HostPortAsync()).Trim();
        var stdout = await Ok("describe", "servicegroup", fx.Group);
        Assert.Contains($"Name:         {fx.Group}", stdout);
        Assert.Matches(@"Conditions:\n\s+TYPE\s+STATUS\s+REASON", stdout);
        Assert.Matches(@"\n\s+Ready\s+True\s", stdout);
        Assert.Matches(@"Services:\n\s+NAME\s+READY\s+CONTAINERS\n", stdout);
        Assert.Contains($"127.0.0.1:{port}->8080/tcp", stdout);
        Assert.Contains("Events:", stdout);
        Assert.Contains(fx.Group, await Ok("describe", $"servicegroup/{fx.Group}"));

        var missing = await Agent("describe", "servicegroup", "nope");
        Assert.Equal(1, missing.Exit);
        Assert.Contains("servicegroup \"nope\" not found", missing.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>probe-17 F7: `agent get jobs` listed only manifest Jobs and `agent describe job/ID` of a job made with
    /// POST /api/v1/jobs said "not found; list them with `agent get jobs`", while GET /api/v1/jobs listed it.</summary>
    [Fact]
    public async Task Get_jobs_and_describe_job_show_a_job_made_through_the_api()
    {
        using var http = fx.Agent.Client(ClientFixture.AdminToken);
        var posted = await http.PostAsync("/api/v1/jobs", new StringContent(
            $"{{\"name\":\"{fx.Instance.Name("apijob")}\",\"backoffLimit\":0,\"container\":{{\"image\":\"{TestEngine.Image}\",\"command\":[\"sh\",\"-c\",\"echo api-job-ran\"]}}}}",
            System.Text.Encoding.UTF8, "application/json"));
        var answer = await posted.Content.ReadAsStringAsync();
        Assert.True(posted.IsSuccessStatusCode, answer);
        using var body = JsonDocument.Parse(answer);
        var id = body.RootElement.GetProperty("id").GetString()!;
        try
        {
            var phase = "";
            for (var until = DateTime.UtcNow.AddSeconds(90); phase != "Succeeded" && DateTime.UtcNow < until; await Task.Delay(250))
            {
                using var job = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/jobs/{id}"));
                phase = job.RootElement.TryGetProperty("phase", out var p) ? p.GetString() ?? "" : "";
            }
            Assert.Equal("Succeeded", phase);

            var lines = (await Ok("get", "jobs")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Matches(@"^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$", lines[0]);
            var row = Assert.Single(lines, l => l.StartsWith(id + " ", StringComparison.Ordinal));
            Assert.Matches(@"\sComplete\s+1/1\s", row);
            Assert.Equal(lines[0].IndexOf("STATUS", StringComparison.Ordinal), row.IndexOf("Complete", StringComparison.Ordinal));
            Assert.Contains(id, await Ok("get", "job", id));
            Assert.Matches($@"\n{System.Text.RegularExpressions.Regex.Escape(id)}\s.*\sapi\s*\n", await Ok("get", "jobs", "-o", "wide"));
            using var json = JsonDocument.Parse(await Ok("get", "jobs", "-o", "json"));
            Assert.Equal("ApiJob", Assert.Single(json.RootElement.EnumerateArray(), j => j.GetProperty("name").GetString() == id).GetProperty("kind").GetString());

            foreach (var reference in new[] { $"job/{id}", $"apijob/{id}" })
            {
                var described = await Ok("describe", reference);
                Assert.Contains(id, described);
                Assert.Matches(@"\nPhase:\s+Succeeded\n", described);
                Assert.Matches(@"Runs:\n\s+RUN\s+PHASE.*\n\s+\S+\s+Succeeded\s", described);
            }
            var missing = await Agent("describe", $"job/{id}-nope");
            Assert.Equal(1, missing.Exit);
            Assert.Contains("not found; list them with `agent get jobs`", missing.Stderr);
        }
        finally
        {
            // The other tests of this agent see only the group's containers.
            foreach (var c in (await Containers.OfAsync(fx.Instance)).Where(c => !c.Name.StartsWith(fx.Group + "-", StringComparison.Ordinal)))
                await DockerCli.TryRunAsync("rm", "-f", c.Id);
        }
    }

    [Fact]
    public async Task Events_lists_recent_events_with_their_object()
    {
        var stdout = await Ok("events");
        Assert.Matches(@"^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE", stdout);
        Assert.Contains($"servicegroup/{fx.Group}", stdout);
    }

    [Fact]
    public async Task Logs_tail_prints_the_last_lines_and_follow_streams_new_ones()
    {
        var container = $"{fx.Group}-talker-1";
        var tail = (await Ok("logs", container, "--tail", "2")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, tail.Length);
        Assert.All(tail, l => Assert.StartsWith("line", l));

        using var follow = AgentCli.Start(fx.Env(), "logs", container, "-f", "--tail", "1");
        var lines = (await follow.WaitForOutputAsync(o => o.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 4, "three new lines while following"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.False(follow.HasExited);
        var numbers = lines.Select(l => int.Parse(l["line".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(numbers[0], numbers.Count), numbers);
        Assert.True(numbers[0] >= int.Parse(tail[^1]["line".Length..], System.Globalization.CultureInfo.InvariantCulture));

        var missing = await Agent("logs", "not-ours");
        Assert.Equal(1, missing.Exit);
        Assert.Contains("No container \"not-ours\"", missing.Stderr);
    }

    [Fact]
    public async Task Wait_returns_when_the_condition_holds_and_fails_at_the_timeout()
    {
        Assert.Contains("condition met", await Ok("wait", $"servicegroup/{fx.Group}", "--for=condition=Ready", "--timeout", "30s"));
        var started = DateTime.UtcNow;
        var timedOut = await Agent("wait", $"servicegroup/{fx.Group}", "--for=condition=Ready=False", "--timeout", "1500ms");
        Assert.Equal(1, timedOut.Exit);
        Assert.Contains("timed out waiting for the condition", timedOut.Stderr);
        Assert.True(DateTime.UtcNow - started > TimeSpan.FromSeconds(1.4));
        var bad = await Agent("wait", $"servicegroup/{fx.Group}", "--for=condition=Ready", "--timeout", "soon");
        Assert.NotEqual(0, bad.Exit);
        Assert.Contains("not a duration", bad.Stderr);
    }

    [Fact]
    public async Task Stop_start_and_restart_act_on_the_group_and_get_watch_prints_the_change()
    {
        var web = $"{fx.Group}-web-1";
        using var watch = AgentCli.Start(fx.Env(), "get", "servicegroups", "--watch");
        await watch.WaitForOutputAsync(o => o.Contains(fx.Group), "the first table");

        // Like docker compose stop: the command returns once the containers are stopped, not when the stop is requested.
        Assert.Contains("stopped", await Ok("stop", $"servicegroup/{fx.Group}", "--timeout", "1m"));
        Assert.Equal("exited", (await DockerCli.InspectAsync(web, "{{.State.Status}}")).Trim());
        Assert.Equal("exited", (await DockerCli.InspectAsync($"{fx.Group}-talker-1", "{{.State.Status}}")).Trim());
        await watch.WaitForOutputAsync(o => o.Split('\n').Any(l => l.StartsWith(fx.Group, StringComparison.Ordinal) && l.Contains("Stopped")), "a Stopped row");

        Assert.Contains("stop requested", await Ok("stop", $"servicegroup/{fx.Group}", "--wait=false")); // already stopped: asked again, no wait
        Assert.Contains("started", await Ok("start", $"servicegroup/{fx.Group}"));
        await Ok("wait", $"servicegroup/{fx.Group}", "--for=condition=Ready", "--timeout", "1m");
        await Eventually.TrueAsync(async () => (await DockerCli.InspectAsync(web, "{{.State.Status}}")).Trim() == "running", TimeSpan.FromSeconds(60), "web running");

        var before = (await DockerCli.InspectAsync(web, "{{.State.StartedAt}}")).Trim();
        Assert.Contains("restarted", await Ok("restart", $"servicegroup/{fx.Group}"));
        Assert.NotEqual(before, (await DockerCli.InspectAsync(web, "{{.State.StartedAt}}")).Trim());
        await Ok("wait", $"servicegroup/{fx.Group}", "--for=condition=Ready", "--timeout", "1m");

        var missing = await Agent("restart", "servicegroup/nope");
        Assert.Equal(1, missing.Exit);
        Assert.Contains("No ServiceGroup \"nope\"", missing.Stderr);
    }

    [Fact]
    public async Task Errors_exit_1_with_the_servers_problem_detail()
    {
        var viewer = await AgentCli.RunAsync(fx.Env(ClientFixture.ViewerToken), "restart", $"servicegroup/{fx.Group}");
        Assert.Equal(1, viewer.Exit);
        Assert.Contains("403", viewer.Stderr);
        Assert.Contains("operator", viewer.Stderr);

        var wrong = await AgentCli.RunAsync(fx.Env("not-a-token-of-this-agent"), "get", "all");
        Assert.Equal(1, wrong.Exit);
        Assert.Contains("401", wrong.Stderr);

        var unreachable = await Agent("--server", "http://127.0.0.1:1", "get", "servicegroups");
        Assert.Equal(1, unreachable.Exit);
        Assert.Contains("cannot reach the agent at http://127.0.0.1:1/", unreachable.Stderr);
    }

    [Fact]
    public async Task The_token_comes_from_the_state_dir_when_AGENT_TOKEN_is_not_set()
    {
        var state = Directory.CreateTempSubdirectory("agent-cli-token-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(state.FullName, "tokens"), $"# generated\nviewer:{ClientFixture.ViewerToken}\n");
            var env = new Dictionary<string, string> { ["AGENT_Urls"] = fx.Agent.BaseAddress.ToString(), ["AGENT_Agent__StateDir"] = state.FullName, ["AGENT_TOKEN"] = "" };
            var (exit, stdout, stderr) = await AgentCli.RunAsync(env, "get", "servicegroups");
            Assert.True(exit == 0, stdout + stderr);
            Assert.Contains(fx.Group, stdout);
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task State_dir_gives_the_server_and_the_token_like_the_daemon_uses_them()
    {
        // The agent wrote its address into its state dir once it listened, and the path of the tokens file it uses
        // (Agent:Auth:TokensFile, which the client's own environment does not have).
        Assert.Equal(fx.Agent.BaseAddress.ToString().TrimEnd('/'), File.ReadAllText(Path.Combine(fx.Agent.StateDir, "server")).Trim().TrimEnd('/'));
        Assert.Equal(fx.Agent.Settings["Agent:Auth:TokensFile"], File.ReadAllText(Path.Combine(fx.Agent.StateDir, "tokens-file")).Trim());
        Assert.False(File.Exists(Path.Combine(fx.Agent.StateDir, "tokens")));
        var env = new Dictionary<string, string> { ["AGENT_TOKEN"] = "" }; // no AGENT_Urls: only --state-dir says where
        foreach (var args in new[] { new[] { "get", "servicegroups" }, ["describe", $"servicegroup/{fx.Group}"], ["events"], ["logs", $"{fx.Group}-talker-1", "--tail", "1"],
                     ["wait", $"servicegroup/{fx.Group}", "--for=condition=Ready", "--timeout", "30s"] })
        {
            var (exit, stdout, stderr) = await AgentCli.RunAsync(env, [.. args, "--state-dir", fx.Agent.StateDir]);
            Assert.True(exit == 0, $"agent {string.Join(' ', args)} --state-dir: {exit}\n{stdout}\n{stderr}");
        }
    }

    [Fact]
    public async Task A_bad_option_value_says_what_to_change_without_dotnet_type_names()
    {
        var tail = await Agent("logs", $"{fx.Group}-talker-1", "--tail", "abc");
        Assert.NotEqual(0, tail.Exit);
        Assert.Contains("--tail \"abc\" is not a number of lines: give a whole number, 0 or more", tail.Stderr);
        Assert.DoesNotContain("System.", tail.Stderr + tail.Stdout);
    }

    [Fact]
    public async Task Exec_runs_a_command_in_a_container_of_an_object_or_by_name_and_exits_with_its_exit_code()
    {
        // KIND/NAME with --service: the command's stdout, stderr and exit code are agent exec's own.
        var (exit, stdout, stderr) = await Agent("exec", $"servicegroup/{fx.Group}", "--service", "talker", "--", "sh", "-c", "echo out-$((6*7)); echo err-line >&2; exit 3");
        Assert.True(exit == 3, $"exit {exit}\n{stdout}\n{stderr}");
        Assert.Equal("out-42\n", stdout);
        Assert.Contains("err-line", stderr);

        // By container name, with an environment variable and a working folder.
        var byName = await Ok("exec", $"{fx.Group}-web-1", "-e", "WHO=agent", "-w", "/www", "--", "sh", "-c", "echo $WHO; cat index.html; pwd");
        Assert.Equal("agent\nok\n/www\n", byName);
        Assert.Equal("ok\n", await Ok("exec", $"sg/{fx.Group}", "--service", "web", "--replica", "1", "--", "cat", "/www/index.html"));

        // What cannot be chosen says so, and runs nothing.
        var several = await Agent("exec", $"servicegroup/{fx.Group}", "--", "true");
        Assert.Equal(1, several.Exit);
        Assert.Contains("has several services: choose one with --service (talker, web)", several.Stderr);
        var noReplica = await Agent("exec", $"servicegroup/{fx.Group}", "--service", "web", "--replica", "2", "--", "true");
        Assert.Equal(1, noReplica.Exit);
        Assert.Contains("has no replica 2", noReplica.Stderr);
        var unknown = await Agent("exec", "no-such-container-0", "--", "true");
        Assert.Equal(1, unknown.Exit);
        Assert.Contains("(HTTP 404", unknown.Stderr);

        // A viewer token may not exec (operator role): the API's 403, exit 1.
        var viewer = await AgentCli.RunAsync(fx.Env(ClientFixture.ViewerToken), ["exec", $"{fx.Group}-web-1", "--", "true"]);
        Assert.Equal(1, viewer.Exit);
        Assert.Contains("needs the operator role", viewer.Stderr);
    }
}
