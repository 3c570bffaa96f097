using System.Net;
using System.Text.Json;
using Agent.Core.Model;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Compose;

/// <summary>probe-18 F6a: `agent stop` / `agent start` of a ComposeProject, like docker compose stop/start: the containers
/// are kept, stopped, with network and volume, and stay so across an agent restart and its resyncs until start, which
/// runs them again in depends_on order. A down project refuses both (409, start pointing at up). Checked with the docker CLI.</summary>
public sealed class ComposeStopTests() : AgentScenario(new Dictionary<string, string?> { ["Agent:ResyncInterval"] = "00:00:02" })
{
    private Dictionary<string, string> Env => new() { ["AGENT_Urls"] = Agent.BaseAddress.ToString(), ["AGENT_TOKEN"] = Agent.GeneratedAdminToken };

    private async Task<string> Ok(params string[] args)
    {
        var (exit, stdout, stderr) = await AgentCli.RunAsync(Env, args);
        Assert.True(exit == 0, $"agent {string.Join(' ', args)} exited {exit}\n{stdout}\n{stderr}");
        return stdout.Trim();
    }

    private static Task<string> StateAsync(string container) => DockerCli.InspectAsync(container, "{{.State.Status}}");

    /// <summary>Waits for a reconcile of <paramref name="project"/> that began after <paramref name="since"/>.</summary>
    private Task<Agent.Core.Status.ObjectStatus> ReconciledAfterAsync(string project, DateTimeOffset since) =>
        Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(new ObjectKey(ServiceGroup.ComposeKindName, project))!),
            s => s?.LastReconcileTime > since, TimeSpan.FromSeconds(60), $"a reconcile of {project} after {since:O}");

    [Fact]
    public async Task Stop_keeps_the_containers_stopped_across_an_agent_restart_and_start_runs_them_again_in_dependency_order()
    {
        var project = Instance.Name("stop");
        Agent.Write($"{project}/compose.yaml", "services:\n"
            + Manifest.ComposeSleeper("db", "    volumes: [data:/data]\n")
            + Manifest.ComposeSleeper("app", "    depends_on: [db]\n")
            + "volumes:\n  data: {}\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, app) = ($"{project}-db-1", $"{project}-app-1");
        var ids = (await DockerCli.InspectAsync(db, "{{.Id}}"), await DockerCli.InspectAsync(app, "{{.Id}}"));

        Assert.Equal($"composeproject/{project} stopped", await Ok("stop", $"composeproject/{project}"));
        // Like docker compose stop: both containers are kept, exited; the network and the volume stay.
        Assert.Equal("exited", await StateAsync(db));
        Assert.Equal("exited", await StateAsync(app));
        Assert.Equal(0, (await DockerCli.TryRunAsync("network", "inspect", $"{project}_default")).Exit);
        Assert.Equal(0, (await DockerCli.TryRunAsync("volume", "inspect", $"{project}_data")).Exit);
        Assert.Contains($"ComposeProject/{project}?stopped=true", await File.ReadAllTextAsync(Path.Combine(Agent.StateDir, "suspended.json")));
        await Agent.WaitForConditionAsync(project, "Suspended", "True", kind: ServiceGroup.ComposeKindName);
        // Stopped, not Down (the containers are kept): in the status JSON, agent get, get all and describe alike.
        var stopped = await Agent.WaitForConditionAsync(project, "Ready", "False", "Stopped", kind: ServiceGroup.ComposeKindName);
        Assert.Equal(("Stopped", "stopped through the API"), (stopped.Condition("Suspended")!.Reason, stopped.Condition("Suspended")!.Message));
        Assert.Contains($"agent start composeproject/{project}", stopped.Condition("Ready")!.Message);
        await AssertShownAsync(project, "0/2", "Stopped");

        // The stop survives an agent restart: the first reconcile and a resync after it start nothing and remove nothing.
        await Agent.StopAsync();
        var restarted = DateTimeOffset.UtcNow;
        await Agent.StartAsync();
        var first = await ReconciledAfterAsync(project, restarted);
        await ReconciledAfterAsync(project, first.LastReconcileTime!.Value);
        Assert.Equal("exited", await StateAsync(db));
        Assert.Equal("exited", await StateAsync(app));
        Assert.Equal(ids, (await DockerCli.InspectAsync(db, "{{.Id}}"), await DockerCli.InspectAsync(app, "{{.Id}}")));
        var status = await Agent.WaitForConditionAsync(project, "Ready", "False", "Stopped", kind: ServiceGroup.ComposeKindName);
        Assert.Equal(("True", "Stopped"), (status.Condition("Suspended")!.Status, status.Condition("Suspended")!.Reason));

        Assert.Equal($"composeproject/{project} is started: 2 container(s) ({db}, {app}) started", await Ok("start", $"composeproject/{project}"));
        Assert.Equal("running", await StateAsync(db));
        Assert.Equal("running", await StateAsync(app));
        Assert.Equal(ids, (await DockerCli.InspectAsync(db, "{{.Id}}"), await DockerCli.InspectAsync(app, "{{.Id}}"))); // started, not recreated
        var dbStart = DateTimeOffset.Parse(await DockerCli.InspectAsync(db, "{{.State.StartedAt}}"));
        var appStart = DateTimeOffset.Parse(await DockerCli.InspectAsync(app, "{{.State.StartedAt}}"));
        Assert.True(appStart >= dbStart, $"app started {appStart:O}, before db {dbStart:O}");
        await Agent.WaitProjectReadyAsync(project);
        Assert.DoesNotContain(project, await File.ReadAllTextAsync(Path.Combine(Agent.StateDir, "suspended.json")));
    }

    /// <summary>agent get composeprojects, agent get all and agent describe show <paramref name="status"/> for the project.</summary>
    private async Task AssertShownAsync(string project, string ready, string status)
    {
        var row = (await Ok("get", "composeprojects")).Split('\n').Single(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var n, ..] && n == project);
        Assert.Equal([project, ready, status], row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..3]);
        var all = (await Ok("get", "all")).Split('\n').Single(l => l.StartsWith($"composeproject/{project} ", StringComparison.Ordinal));
        Assert.Equal(status, all.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]);
        var described = (await Ok("describe", "composeproject", project)).Split('\n');
        Assert.Equal(status, described.Single(l => l.StartsWith("Status:", StringComparison.Ordinal))["Status:".Length..].Trim());
        Assert.Contains(described, l => l.TrimStart().StartsWith("Suspended", StringComparison.Ordinal) && l.Contains($" True ", StringComparison.Ordinal) && l.Contains($" {status} ", StringComparison.Ordinal));
    }

    /// <summary>Like docker compose stop: a dependent stops before what it depends on. app takes about 8 s to stop (it
    /// traps SIGTERM), web and db go at once on SIGKILL: stopped all at once, db would end before app. The engine's
    /// FinishedAt of each container shows the order. Meanwhile status follows the stop (probe-32 F1: web, ended, still
    /// counted as ready until the whole stop was done).</summary>
    [Fact]
    public async Task Stop_stops_dependents_before_what_they_depend_on()
    {
        var project = Instance.Name("stoporder");
        Agent.Write($"{project}/compose.yaml", "services:\n"
            + Manifest.ComposeSleeper("db")
            + $"  app:\n    image: {TestEngine.Image}\n"
            + "    command: [\"sh\", \"-c\", \"trap 'sleep 8; exit 0' TERM; while true; do sleep 0.2; done\"]\n"
            + "    stop_grace_period: 60s\n    depends_on: [db]\n"
            + Manifest.ComposeSleeper("web", "    depends_on: [app]\n"));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);

        var stopping = Ok("stop", $"composeproject/{project}", "--timeout", "2m");
        await Eventually.TrueAsync(async () => await StateAsync($"{project}-web-1") == "exited", TimeSpan.FromSeconds(60), "web stopped, first");
        var key = new ObjectKey(ServiceGroup.ComposeKindName, project);
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(key)!.Services.Single(s => s.Name == "web").ReadyReplicas == 0),
            TimeSpan.FromSeconds(5), "web's READY 0 while app's stop lands");
        Assert.Equal(1, Agent.Status.Get(key)!.Services.Single(s => s.Name == "db").ReadyReplicas); // not stopped yet: it goes after app
        Assert.Equal($"composeproject/{project} stopped", await stopping);
        async Task<DateTimeOffset> FinishedAsync(string service) =>
            DateTimeOffset.Parse(await DockerCli.InspectAsync($"{project}-{service}-1", "{{.State.FinishedAt}}"), System.Globalization.CultureInfo.InvariantCulture);
        var (web, app, db) = (await FinishedAsync("web"), await FinishedAsync("app"), await FinishedAsync("db"));
        Assert.True(web <= app && app <= db, $"stopped at web {web:O}, app {app:O}, db {db:O}: expected web, then app, then db");
        foreach (var service in new[] { "web", "app", "db" })
            Assert.Equal("exited", await StateAsync($"{project}-{service}-1"));
    }

    /// <summary>probe-33 F5: `agent stop` waiting for a slow stop went on waiting for its whole timeout after a start had
    /// lifted the stop, then said "the stop stays requested". It ends once the start is seen, saying so.</summary>
    [Fact]
    public async Task A_stop_waiting_for_its_containers_ends_saying_so_when_a_start_lifts_it()
    {
        var project = Instance.Name("stoplifted");
        Agent.Write($"{project}/compose.yaml", "services:\n"
            + $"  app:\n    image: {TestEngine.Image}\n"
            + "    command: [\"sh\", \"-c\", \"trap 'sleep 15; exit 0' TERM; while true; do sleep 0.2; done\"]\n    stop_grace_period: 60s\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);

        var stopping = AgentCli.RunAsync(Env, "stop", $"composeproject/{project}", "--timeout", "2m");
        await Eventually.TrueAsync(() => Task.FromResult(File.ReadAllText(Path.Combine(Agent.StateDir, "suspended.json")).Contains(project, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the stop recorded");
        var started = DateTimeOffset.UtcNow;
        await Ok("start", $"composeproject/{project}");
        var (exit, stdout, stderr) = await stopping.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit != 0 && stderr.Contains($"composeproject/{project} is not stopping anymore: a start (or up) lifted the stop", StringComparison.Ordinal),
            $"exit {exit}\n{stdout}\n{stderr}");
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(60));
        await Containers.RunningAsync(Instance, project, 1);
    }

    [Fact]
    public async Task Stop_of_an_unknown_project_is_404_and_a_down_project_refuses_start_and_stop_with_409_pointing_at_up()
    {
        var project = Instance.Name("stopdown");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Manifest.ComposeSleeper("web"));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        using var client = Agent.Client(Agent.GeneratedAdminToken);

        var unknown = await client.PostAsync($"/api/v1/composeprojects/{project}-nope/stop", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains($"{project}-nope", await unknown.Content.ReadAsStringAsync());

        Assert.Contains("is down", await Ok("down", $"composeproject/{project}"));
        await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, project), r => r.Count == 0, TimeSpan.FromSeconds(60), "containers removed");
        // Down, not Stopped: agent get says why READY is 0/1, describe and the status JSON say it in the conditions.
        var down = await Agent.WaitForConditionAsync(project, "Ready", "False", "Down", kind: ServiceGroup.ComposeKindName);
        Assert.Equal(("True", "Down", "taken down through the API"),
            (down.Condition("Suspended")!.Status, down.Condition("Suspended")!.Reason, down.Condition("Suspended")!.Message));
        Assert.Contains($"agent up composeproject/{project}", down.Condition("Ready")!.Message);
        await AssertShownAsync(project, "0/1", "Down");

        var start = await client.PostAsync($"/api/v1/composeprojects/{project}/start", null);
        Assert.Equal(HttpStatusCode.Conflict, start.StatusCode);
        var detail = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();
        Assert.Contains($"agent up composeproject/{project}", detail);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync($"/api/v1/composeprojects/{project}/stop", null)).StatusCode);
        var (exit, _, stderr) = await AgentCli.RunAsync(Env, "start", $"composeproject/{project}");
        Assert.NotEqual(0, exit);
        Assert.Contains($"agent up composeproject/{project}", stderr);
        // Still down: nothing was made by the refused verbs.
        Assert.Contains($"ComposeProject/{project}", await File.ReadAllTextAsync(Path.Combine(Agent.StateDir, "suspended.json")));
        Assert.Empty(await Containers.OfAsync(Instance, project));
        // diff names the verb that applies to a down project: up, not start (probe-23 F11).
        var diff = await AgentCli.RunAsync("diff", Agent.Manifests, "--instance", Instance.Id, "--state-dir", Agent.StateDir);
        Assert.True(diff.Stdout.Contains($"ComposeProject/{project}: in sync (down; agent up would apply", StringComparison.Ordinal) && diff.Stdout.Contains("  on up: create ", StringComparison.Ordinal)
            && !diff.Stdout.Contains("on start:", StringComparison.Ordinal), diff.Stdout);

        Assert.Contains("is up", await Ok("up", $"composeproject/{project}"));
        await Containers.RunningAsync(Instance, project, 1);
    }

    [Fact]
    public async Task Stop_of_one_service_keeps_only_its_containers_stopped_across_resyncs_until_that_service_is_started()
    {
        var project = Instance.Name("stopsvc");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Manifest.ComposeSleeper("db") + Manifest.ComposeSleeper("app", "    depends_on: [db]\n"));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, app) = ($"{project}-db-1", $"{project}-app-1");

        Assert.Equal($"composeproject/{project}: service app stopped: 1 container(s) ({app})", await Ok("stop", $"composeproject/{project}", "--service", "app"));
        Assert.Equal("exited", await StateAsync(app));
        var since = DateTimeOffset.UtcNow;
        var first = await ReconciledAfterAsync(project, since);
        await ReconciledAfterAsync(project, first.LastReconcileTime!.Value);
        Assert.Equal("exited", await StateAsync(app));
        Assert.Equal("running", await StateAsync(db));
        await Agent.WaitForConditionAsync(project, "Ready", "False", "StoppedByUser", kind: ServiceGroup.ComposeKindName);

        var (exit, _, stderr) = await AgentCli.RunAsync(Env, "stop", $"composeproject/{project}", "--service", "nope");
        Assert.NotEqual(0, exit);
        Assert.Contains("has no service \"nope\"", stderr);

        Assert.Equal($"composeproject/{project}: service app started: 1 container(s) ({app})", await Ok("start", $"composeproject/{project}", "--service", "app"));
        Assert.Equal("running", await StateAsync(app));
        await Agent.WaitProjectReadyAsync(project);
    }

    /// <summary>probe-31 F2: `stop --service db --wait=false` waited db's whole grace period (40 s) before it answered.</summary>
    [Fact]
    public async Task Stop_of_one_service_with_wait_false_returns_once_requested_and_the_stop_lands_and_stays()
    {
        var project = Instance.Name("nowait");
        Agent.Write($"{project}/compose.yaml", Manifest.ComposeSlowDbAndApp("60s")); // db's sleep ignores SIGTERM
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, app) = ($"{project}-db-1", $"{project}-app-1");

        var asked = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal($"composeproject/{project}: service db stop requested: 1 container(s) ({db}) (agent get composeproject/{project} shows when they are stopped)",
            await Ok("stop", $"composeproject/{project}", "--service", "db", "--wait=false"));
        Assert.True(asked.Elapsed < TimeSpan.FromSeconds(30), $"answered after {asked.Elapsed}, not once requested (db's grace is 60 s)");
        // probe-33 F9: status shows the stop under way at once (db not ready, the reason named), not 2/2 until it lands.
        var key = new ObjectKey(ServiceGroup.ComposeKindName, project);
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(key) is { } s && s.Services.Single(x => x.Name == "db").ReadyReplicas == 0
                && s.Services.Single(x => x.Name == "db").Containers.Single().Message == "Stopping: a stop through the API is under way"),
            TimeSpan.FromSeconds(15), () => $"status showing db's stop under way; status: {JsonSerializer.Serialize(Agent.Status.Get(key))}\nlog:\n{string.Join("\n", Agent.Logs.Lines.TakeLast(20))}");
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal("running", await StateAsync(db)); // still in its grace period

        using var client = Agent.Client(Agent.GeneratedAdminToken);
        var again = await client.PostAsync($"/api/v1/composeprojects/{project}/stop?service=db&wait=false", null);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        using (var body = JsonDocument.Parse(await again.Content.ReadAsStringAsync()))
            Assert.True(body.RootElement.GetProperty("requested").GetBoolean(), body.RootElement.ToString());

        await Eventually.TrueAsync(async () => await StateAsync(db) == "exited", TimeSpan.FromSeconds(120), "db stopped at the end of its grace");
        await Agent.WaitForConditionAsync(project, "Ready", "False", "StoppedByUser", kind: ServiceGroup.ComposeKindName);
        await Task.Delay(TimeSpan.FromSeconds(5)); // resyncs
        Assert.Equal("exited", await StateAsync(db));
    }

    [Fact]
    public async Task A_dependent_held_behind_a_service_a_user_stopped_reads_StoppedByUser_and_not_progressing()
    {
        // probe-31 F3: stop --service db, docker rm -f app (held: db is stopped): Progressing True WaitingForReplicas for
        // ever, and `agent wait --for=condition=Ready` ran to its timeout, though nothing changes until db is started.
        var project = Instance.Name("heldbehind");
        Agent.Write($"{project}/compose.yaml", "services:\n"
            + Manifest.ComposeSleeper("db", "    healthcheck: { test: [\"CMD\", \"true\"], interval: 1s, retries: 3 }\n")
            + Manifest.ComposeSleeper("app", "    depends_on:\n      db: { condition: service_healthy }\n"));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, app) = ($"{project}-db-1", $"{project}-app-1");

        await Ok("stop", $"composeproject/{project}", "--service", "db");
        await DockerCli.RunAsync("rm", "-f", app);
        await Agent.WaitForConditionAsync(project, "Degraded", "True", "DependencyNotRunning", kind: ServiceGroup.ComposeKindName);
        var held = await Agent.WaitForConditionAsync(project, "Ready", "False", "StoppedByUser", kind: ServiceGroup.ComposeKindName);
        Assert.Contains(db, held.Condition("Ready")!.Message);
        await Agent.WaitForConditionAsync(project, "Progressing", "False", "StoppedByUser", kind: ServiceGroup.ComposeKindName);
        Assert.True((await DockerCli.TryRunAsync("inspect", app)).Exit != 0); // not made on the stopped db

        await Ok("start", $"composeproject/{project}", "--service", "db");
        await Agent.WaitProjectReadyAsync(project);
        Assert.Equal("running", await StateAsync(app));
    }

    /// <summary>probe-24: after stop --service db and an edit of db, agent diff read plainly "in sync", and start --service
    /// db started the old container, which the agent recreated about 2 s later. The edit waits for the start, diff says
    /// so, and the start makes db at the new spec straight away: the old container is never started again.</summary>
    [Fact]
    public async Task An_edit_of_a_service_a_user_stopped_shows_in_diff_and_its_start_runs_the_new_spec_only()
    {
        var project = Instance.Name("svcedit");
        string Compose(string dbExtra) => "services:\n" + Manifest.ComposeSleeper("db", dbExtra) + Manifest.ComposeSleeper("app", "    depends_on: [db]\n");
        Agent.Write($"{project}/compose.yaml", Compose(""));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, app) = ($"{project}-db-1", $"{project}-app-1");
        await Ok("stop", $"composeproject/{project}", "--service", "db");
        var oldDb = await DockerCli.InspectAsync(db, "{{.Id}}");
        var edited = DateTimeOffset.UtcNow;
        var since = (edited.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
        Agent.Write($"{project}/compose.yaml", Compose("    environment: { DB_EDITED: \"1\" }\n"));
        await ReconciledAfterAsync(project, edited);
        Assert.Equal(("exited", oldDb), (await StateAsync(db), await DockerCli.InspectAsync(db, "{{.Id}}")));

        var diff = await AgentCli.RunAsync("diff", Agent.Manifests, "--instance", Instance.Id, "--state-dir", Agent.StateDir);
        Assert.True(diff.Exit == 0, $"exit {diff.Exit}\n{diff.Stdout}\n{diff.Stderr}");
        Assert.True(diff.Stdout.Contains($"ComposeProject/{project}: in sync (1 change(s) wait for the start of containers a user stopped)", StringComparison.Ordinal)
                    && diff.Stdout.Contains($"on start: recreate  {db}: spec changed: env.DB_EDITED", StringComparison.Ordinal)
                    && diff.Stdout.Contains("waits until it is started again (a user stopped it)", StringComparison.Ordinal), diff.Stdout);

        var answer = await Ok("start", $"composeproject/{project}", "--service", "db");
        Assert.Contains(db, answer);
        var started = await DockerCli.RunAsync("inspect", "--format", "{{.State.Status}} {{.Config.Env}}", db);
        Assert.True(started.StartsWith("running", StringComparison.Ordinal) && started.Contains("DB_EDITED=1", StringComparison.Ordinal), started);
        Assert.Equal("running", await StateAsync(app));
        var oldStarts = await DockerCli.RunAsync("events", "--since", since,
            "--until", DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--filter", $"container={oldDb}", "--filter", "event=start", "--format", "{{.Action}} {{.ID}}");
        Assert.True(oldStarts.Trim().Length == 0, $"the old db container was started before its recreate: {oldStarts}");
        await Agent.WaitProjectReadyAsync(project);
    }

    /// <summary>probe-22 F10: start --service S of a project stopped as a whole was a 409. Like docker compose start S: S
    /// and what it depends on start in order, the other services stay stopped across resyncs until the project is started.</summary>
    [Fact]
    public async Task Start_of_one_service_of_a_project_stopped_as_a_whole_starts_it_with_its_dependencies_only()
    {
        var project = Instance.Name("stopone");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Manifest.ComposeSleeper("db") + Manifest.ComposeSleeper("app", "    depends_on: [db]\n")
            + Manifest.ComposeSleeper("web"));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, app, web) = ($"{project}-db-1", $"{project}-app-1", $"{project}-web-1");
        Assert.Equal($"composeproject/{project} stopped", await Ok("stop", $"composeproject/{project}"));
        foreach (var c in new[] { db, app, web }) Assert.Equal("exited", await StateAsync(c));

        Assert.Equal($"composeproject/{project}: service app started: 1 container(s) ({app}), after what it depends on: 1 container(s) ({db})",
            await Ok("start", $"composeproject/{project}", "--service", "app"));
        Assert.Equal(("running", "running", "exited"), (await StateAsync(db), await StateAsync(app), await StateAsync(web)));
        await StartOrder.AssertStartedAfterAsync(app, db);
        var since = DateTimeOffset.UtcNow;
        var first = await ReconciledAfterAsync(project, since);
        await ReconciledAfterAsync(project, first.LastReconcileTime!.Value);
        Assert.Equal("exited", await StateAsync(web));
        await Agent.WaitForConditionAsync(project, "Ready", "False", "StoppedByUser", kind: ServiceGroup.ComposeKindName);
        Assert.DoesNotContain($"ComposeProject/{project}", await File.ReadAllTextAsync(Path.Combine(Agent.StateDir, "suspended.json")));

        Assert.Contains(web, await Ok("start", $"composeproject/{project}"));
        Assert.Equal("running", await StateAsync(web));
        await Agent.WaitProjectReadyAsync(project);
    }

    /// <summary>probe-20 F1/F2: the reconcile that start queues ran beside the start's own plan: a service edited while
    /// stopped was replaced under the start (exit 1, "No such container"), and a missing dependent was made and started
    /// before the dependency the start was starting.</summary>
    [Fact]
    public async Task Start_after_an_edit_or_a_removal_while_stopped_succeeds_and_keeps_depends_on_order()
    {
        var project = Instance.Name("startedit");
        string Compose(string appExtra) => "services:\n" + Manifest.ComposeSleeper("db") + Manifest.ComposeSleeper("app", "    depends_on: [db]\n" + appExtra);
        Agent.Write($"{project}/compose.yaml", Compose(""));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, app) = ($"{project}-db-1", $"{project}-app-1");
        var oldApp = await DockerCli.InspectAsync(app, "{{.Id}}");

        await Ok("stop", $"composeproject/{project}");
        var edited = DateTimeOffset.UtcNow;
        Agent.Write($"{project}/compose.yaml", Compose("    environment: { EDITED: \"1\" }\n"));
        await ReconciledAfterAsync(project, edited); // the edit is seen while stopped: nothing recreated yet
        Assert.Equal(oldApp, await DockerCli.InspectAsync(app, "{{.Id}}"));
        // agent diff is in sync (nothing is applied while stopped) and says what a start would apply (probe-20 F7).
        var diff = await AgentCli.RunAsync("diff", Agent.Manifests, "--instance", Instance.Id, "--state-dir", Agent.StateDir);
        Assert.True(diff.Exit == 0, $"exit {diff.Exit}\n{diff.Stdout}\n{diff.Stderr}");
        Assert.True(diff.Stdout.Contains($"ComposeProject/{project}: in sync (stopped; starting it would apply ", StringComparison.Ordinal)
                    && diff.Stdout.Contains($"on start: recreate  {app}: spec changed: env.EDITED", StringComparison.Ordinal)
                    && diff.Stdout.Contains($"on start: start     {db}: ", StringComparison.Ordinal), diff.Stdout);
        await Ok("start", $"composeproject/{project}");
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", "--format", "{{.State.Status}} {{.Config.Env}}", app)) is { Exit: 0 } a
            && a.Stdout.StartsWith("running", StringComparison.Ordinal) && a.Stdout.Contains("EDITED=1", StringComparison.Ordinal), TimeSpan.FromSeconds(90), "app running with the edited spec");
        Assert.Equal("running", await StateAsync(db));

        await Ok("stop", $"composeproject/{project}");
        await DockerCli.RunAsync("rm", "-f", app);
        await Ok("start", $"composeproject/{project}");
        await Eventually.TrueAsync(async () => await DockerCli.TryRunAsync("inspect", "--format", "{{.State.Status}}", app) is { Exit: 0, Stdout: var state } && state.Trim() == "running",
            TimeSpan.FromSeconds(90), "the removed app made again and running");
        await StartOrder.AssertStartedAfterAsync(app, db);

        // The dependency removed while stopped (probe-21): made again before its dependent starts, not after.
        await Ok("stop", $"composeproject/{project}");
        await DockerCli.RunAsync("rm", "-f", db);
        var answer = await Ok("start", $"composeproject/{project}");
        Assert.True(answer.Contains(db, StringComparison.Ordinal) && answer.Contains(app, StringComparison.Ordinal), answer); // probe-22: what the start's reconcile ran is named too
        foreach (var c in new[] { db, app })
            await Eventually.TrueAsync(async () => await DockerCli.TryRunAsync("inspect", "--format", "{{.State.Status}}", c) is { Exit: 0, Stdout: var state } && state.Trim() == "running",
                TimeSpan.FromSeconds(90), $"{c} running after the start");
        await StartOrder.AssertStartedAfterAsync(app, db);

        // The dependency edited while stopped: recreated before its dependent starts, its old container never started again.
        await Ok("stop", $"composeproject/{project}");
        var oldDb = await DockerCli.InspectAsync(db, "{{.Id}}");
        var dbEdited = DateTimeOffset.UtcNow; // after the stop, and after the old db's own start of the step before
        var since = (dbEdited.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
        Agent.Write($"{project}/compose.yaml", Compose("    environment: { EDITED: \"1\" }\n").Replace(
            "  db:\n", "  db:\n    environment: { DB_EDITED: \"1\" }\n", StringComparison.Ordinal));
        await ReconciledAfterAsync(project, dbEdited);
        await Ok("start", $"composeproject/{project}");
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", "--format", "{{.State.Status}} {{.Config.Env}}", db)) is { Exit: 0 } d
            && d.Stdout.StartsWith("running", StringComparison.Ordinal) && d.Stdout.Contains("DB_EDITED=1", StringComparison.Ordinal), TimeSpan.FromSeconds(90), "db running with the edited spec");
        await Eventually.TrueAsync(async () => await StateAsync(app) == "running", TimeSpan.FromSeconds(90), "app running after the start");
        await StartOrder.AssertStartedAfterAsync(app, db);
        var oldStarts = await DockerCli.RunAsync("events", "--since", since,
            "--until", DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--filter", $"container={oldDb}", "--filter", "event=start", "--format", "{{.Action}} {{.ID}}");
        Assert.True(oldStarts.Trim().Length == 0, $"the old db container was started before its recreate: {oldStarts}");
    }

    [Fact]
    public async Task A_start_after_an_edit_while_stopped_runs_a_one_shot_once_and_names_each_container_once()
    {
        // probe-22 F5: the start's second pass (after the reconcile that recreated the edited service) ran the one-shot
        // that the first pass had run and that had exited since: twice, and listed it twice.
        var project = Instance.Name("startonce");
        string Compose(string dbExtra) => "services:\n" + Manifest.ComposeSleeper("db", dbExtra) + Manifest.ComposeSleeper("app", "    depends_on: [db]\n")
            + $"  once:\n    image: {TestEngine.Image}\n    command: [\"true\"]\n    restart: \"no\"\n";
        Agent.Write($"{project}/compose.yaml", Compose(""));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, once) = ($"{project}-db-1", $"{project}-once-1");
        await Ok("stop", $"composeproject/{project}");
        var edited = DateTimeOffset.UtcNow;
        var since = (edited.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
        Agent.Write($"{project}/compose.yaml", Compose("    environment: { DB_EDITED: \"1\" }\n"));
        await ReconciledAfterAsync(project, edited);
        var answer = await Ok("start", $"composeproject/{project}");
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", "--format", "{{.State.Status}} {{.Config.Env}}", db)) is { Exit: 0 } d
            && d.Stdout.StartsWith("running", StringComparison.Ordinal) && d.Stdout.Contains("DB_EDITED=1", StringComparison.Ordinal), TimeSpan.FromSeconds(90), "db running with the edited spec");
        await Task.Delay(TimeSpan.FromSeconds(3)); // a second run of the one-shot would come within the start
        var starts = await DockerCli.RunAsync("events", "--since", since, "--until", DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--filter", $"container={once}", "--filter", "event=start", "--format", "{{.ID}}");
        Assert.True(starts.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 1, $"the one-shot started {starts.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length} times: {answer}");
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(answer, System.Text.RegularExpressions.Regex.Escape(once)));
        Assert.Contains(db, answer, StringComparison.Ordinal); // the recreated db is named too

        // down then up (probe-22 F5b): the up's reconcile makes and runs the one-shot; its pass after does not run it again.
        await Agent.WaitProjectReadyAsync(project);
        await Ok("down", $"composeproject/{project}");
        await Eventually.TrueAsync(async () => !await DockerCli.ExistsAsync("container", once), TimeSpan.FromSeconds(60), "the one-shot removed by down");
        var upSince = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
        var up = await Ok("up", $"composeproject/{project}");
        await Eventually.TrueAsync(async () => await StateAsync(db) == "running", TimeSpan.FromSeconds(90), "db running after up");
        await Task.Delay(TimeSpan.FromSeconds(3));
        var upStarts = await DockerCli.RunAsync("events", "--since", upSince, "--until", DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--filter", $"container={once}", "--filter", "event=start", "--format", "{{.ID}}");
        Assert.True(upStarts.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 1, $"the one-shot started {upStarts.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length} times after up: {up}");
    }

    [Fact]
    public async Task Up_goes_on_with_a_compose_file_edited_while_it_makes_the_project()
    {
        // probe-60: `agent down`, an edit, and `agent up` at once: the up's reconcile stopped part way as the edit was
        // read ("the apply stopped, the manifest changed"), and the up answered 502 "the agent could not make it ()",
        // though the project came up seconds later. The up now goes on with the edited file.
        var project = Instance.Name("upedit");
        string Compose(string appEnv) => "services:\n"
            + Manifest.ComposeSleeper("db", "    healthcheck: { test: [\"CMD\", \"true\"], interval: 3s, retries: 3 }\n")
            + Manifest.ComposeSleeper("app", $"    environment: {{ APP_VALUE: \"{appEnv}\" }}\n    depends_on:\n      db: {{ condition: service_healthy }}\n");
        Agent.Write($"{project}/compose.yaml", Compose("old"));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, app) = ($"{project}-db-1", $"{project}-app-1");
        await Ok("down", $"composeproject/{project}");
        await Eventually.TrueAsync(async () => !await DockerCli.ExistsAsync("container", db), TimeSpan.FromSeconds(60), "db removed by the down");

        var up = AgentCli.RunAsync(Env, "up", $"composeproject/{project}");
        // db is made, and the up waits for its first health check (3 s): the edit is read meanwhile.
        await Eventually.TrueAsync(async () => await DockerCli.ExistsAsync("container", db) || up.IsCompleted, TimeSpan.FromSeconds(60), "db made by the up");
        Agent.Write($"{project}/compose.yaml", Compose("new"));
        var (exit, stdout, stderr) = await up;
        Assert.True(exit == 0, $"agent up exited {exit}\n{stdout}\n{stderr}\n{string.Join('\n', Agent.Logs.Lines.TakeLast(40))}");
        Assert.True(stdout.Contains(app, StringComparison.Ordinal), $"the up's answer names app: {stdout}");
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", "--format", "{{.State.Status}} {{.Config.Env}}", app)) is { Exit: 0 } a
            && a.Stdout.StartsWith("running", StringComparison.Ordinal) && a.Stdout.Contains("APP_VALUE=new", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "app running with the edited value");
        Assert.Equal("running", await StateAsync(db));
    }

    [Fact]
    public async Task A_start_after_a_dependency_was_removed_keeps_the_chain_through_a_one_shot_in_order()
    {
        // probe-22 F9: db (healthy) -> migrate (completed) -> app: with db removed while stopped, the reconcile the start
        // ran started app (restart: always) at once, before db was healthy and before migrate ran against the new db.
        var project = Instance.Name("startchain");
        Agent.Write($"{project}/compose.yaml", "services:\n"
            + Manifest.ComposeSleeper("db", "    healthcheck: { test: [\"CMD\", \"true\"], interval: 1s, retries: 3 }\n")
            + $"  migrate:\n    image: {TestEngine.Image}\n    command: [\"true\"]\n    restart: \"no\"\n    depends_on:\n      db: {{ condition: service_healthy }}\n"
            + Manifest.ComposeSleeper("app", "    restart: always\n    depends_on:\n      migrate: { condition: service_completed_successfully }\n"));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, migrate, app) = ($"{project}-db-1", $"{project}-migrate-1", $"{project}-app-1");

        await Ok("stop", $"composeproject/{project}");
        await DockerCli.RunAsync("rm", "-f", db);
        // diff says what the start will do: db made, then the completed one-shot run again, then app (probe-23 F1).
        var diff = await AgentCli.RunAsync("diff", Agent.Manifests, "--instance", Instance.Id, "--state-dir", Agent.StateDir);
        Assert.Contains($"on start: create    {db}", diff.Stdout);
        Assert.True(diff.Stdout.Contains($"on start: start     {migrate}: after the services it depends on are made or recreated", StringComparison.Ordinal), diff.Stdout);
        Assert.True(diff.Stdout.Contains($"on start: start     {app}: ", StringComparison.Ordinal), diff.Stdout);
        var before = DateTimeOffset.UtcNow;
        // The answer names each container the start ran, in the order they started (probe-23 F1).
        var everyOne = $"composeproject/{project} is started: 3 container(s) ({db}, {migrate}, {app}) started";
        Assert.Equal(everyOne, await Ok("start", $"composeproject/{project}"));
        await Eventually.TrueAsync(async () => await StateAsync(app) == "running" && await StateAsync(db) == "running", TimeSpan.FromSeconds(90), "db and app running");
        var migrateStart = DateTimeOffset.Parse(await DockerCli.InspectAsync(migrate, "{{.State.StartedAt}}"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(migrateStart > before, $"migrate did not run again for the new db (started {migrateStart:O})");
        await StartOrder.AssertStartedAfterAsync(migrate, db);
        await StartOrder.AssertStartedAfterAsync(app, migrate);

        // probe-23 F1: the one-shot edited while stopped is recreated and run by the start's reconcile, then exits: still
        // one of the containers this start ran.
        await Ok("stop", $"composeproject/{project}");
        var generation = Agent.Status.Get(new ObjectKey(ServiceGroup.ComposeKindName, project))!.Generation;
        Agent.Write($"{project}/compose.yaml", "services:\n"
            + Manifest.ComposeSleeper("db", "    healthcheck: { test: [\"CMD\", \"true\"], interval: 1s, retries: 3 }\n")
            + $"  migrate:\n    image: {TestEngine.Image}\n    command: [\"sh\", \"-c\", \"true\"]\n    restart: \"no\"\n    depends_on:\n      db: {{ condition: service_healthy }}\n"
            + Manifest.ComposeSleeper("app", "    restart: always\n    depends_on:\n      migrate: { condition: service_completed_successfully }\n"));
        var key = new ObjectKey(ServiceGroup.ComposeKindName, project);
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(key)!.Generation > generation), TimeSpan.FromSeconds(30), "the edit is read");
        Assert.Equal(everyOne, await Ok("start", $"composeproject/{project}"));
        Assert.Equal("exited 0", await DockerCli.InspectAsync(migrate, "{{.State.Status}} {{.State.ExitCode}}"));
    }

    [Fact]
    public async Task A_removed_dependent_of_a_completed_one_shot_is_held_while_the_one_shots_dependency_is_down()
    {
        // probe-25: db left exited (restart: no), `docker rm -f app`: self-heal made app again and started it at once, on
        // migrate's completion against the db that is down. Compose's up would start db, wait healthy, run migrate, then app.
        var project = Instance.Name("healchain");
        Agent.Write($"{project}/compose.yaml", "services:\n"
            + Manifest.ComposeSleeper("db", "    restart: \"no\"\n    healthcheck: { test: [\"CMD\", \"true\"], interval: 1s, retries: 3 }\n")
            + $"  migrate:\n    image: {TestEngine.Image}\n    command: [\"true\"]\n    restart: \"no\"\n    depends_on:\n      db: {{ condition: service_healthy }}\n"
            + Manifest.ComposeSleeper("app", "    restart: always\n    depends_on:\n      migrate: { condition: service_completed_successfully }\n"));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, migrate, app) = ($"{project}-db-1", $"{project}-migrate-1", $"{project}-app-1");

        await DockerCli.RunAsync("stop", db); // a user's stop: restart "no" leaves it so
        await DockerCli.RunAsync("rm", "-f", app);
        var describe = await Eventually.ReturnsAsync(() => Ok("describe", $"composeproject/{project}"),
            d => d.Contains("migrate completed, but what it depends on is down now", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "describe names the hold");
        Assert.Contains($"{db} is stopped by a user", describe);
        for (var until = DateTime.UtcNow.AddSeconds(6); DateTime.UtcNow < until; await Task.Delay(1000))
            Assert.NotEqual(0, (await DockerCli.TryRunAsync("inspect", app)).Exit); // not made while db is down

        var before = DateTimeOffset.UtcNow;
        await Ok("start", $"composeproject/{project}");
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", "-f", "{{.State.Status}}", app)).Stdout.Trim() == "running",
            TimeSpan.FromSeconds(90), "app made and started after the start");
        var migrateStart = DateTimeOffset.Parse(await DockerCli.InspectAsync(migrate, "{{.State.StartedAt}}"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(migrateStart > before, $"migrate did not run again for the started db (started {migrateStart:O})");
        await StartOrder.AssertStartedAfterAsync(migrate, db);
        await StartOrder.AssertStartedAfterAsync(app, migrate);
    }

    [Fact]
    public async Task A_start_whose_edited_dependency_cannot_be_made_fails_clearly_and_starts_nothing_that_depends_on_it()
    {
        // probe-23 F9 (HIGH): db's image edited to one that cannot be pulled while stopped: the start answered 500, and the
        // reconcile after it started app (via a completed one-shot) with db exited and migrate not run.
        var project = Instance.Name("startbad");
        string Compose(string dbImage, string? migrateImage = null) => "services:\n"
            + $"  db:\n    image: {dbImage}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n    healthcheck: {{ test: [\"CMD\", \"true\"], interval: 1s, retries: 3 }}\n"
            + $"  migrate:\n    image: {migrateImage ?? TestEngine.Image}\n    command: [\"true\"]\n    restart: \"no\"\n    depends_on:\n      db: {{ condition: service_healthy }}\n"
            + Manifest.ComposeSleeper("app", "    restart: always\n    depends_on:\n      migrate: { condition: service_completed_successfully }\n");
        Agent.Write($"{project}/compose.yaml", Compose(TestEngine.Image));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, migrate, app) = ($"{project}-db-1", $"{project}-migrate-1", $"{project}-app-1");
        await Ok("stop", $"composeproject/{project}");
        var generation = Agent.Status.Get(new ObjectKey(ServiceGroup.ComposeKindName, project))!.Generation;
        Agent.Write($"{project}/compose.yaml", Compose("busybox:9.99-nope"));
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(new ObjectKey(ServiceGroup.ComposeKindName, project))!.Generation > generation),
            TimeSpan.FromSeconds(30), "the edit is read");

        var (exit, stdout, stderr) = await AgentCli.RunAsync(Env, "start", $"composeproject/{project}");
        Assert.True(exit == 1, $"exit {exit}\n{stdout}\n{stderr}");
        Assert.DoesNotContain("HTTP 500", stderr);
        Assert.Contains("busybox:9.99-nope", stderr);
        Assert.Contains("not started: db, migrate, app:", stderr);
        // Nothing that depends on db runs, across the reconciles after the start; the old db is never started again.
        for (var until = DateTime.UtcNow.AddSeconds(8); DateTime.UtcNow < until; await Task.Delay(1000))
            Assert.Equal(("exited", "exited", "exited"), (await StateAsync(db), await StateAsync(migrate), await StateAsync(app)));

        // The same project taken down and brought up: the answer names db too, as the start's does (probe-24: only
        // migrate and app).
        await Ok("down", $"composeproject/{project}");
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", db)).Exit != 0, TimeSpan.FromSeconds(60), "db removed by the down");
        (exit, stdout, stderr) = await AgentCli.RunAsync(Env, "up", $"composeproject/{project}");
        Assert.True(exit == 1, $"exit {exit}\n{stdout}\n{stderr}");
        Assert.Contains("busybox:9.99-nope", stderr);
        Assert.Contains("not started: db, migrate, app:", stderr);

        Agent.Write($"{project}/compose.yaml", Compose(TestEngine.Image)); // mended: the start it was asked for goes on
        await Agent.WaitProjectReadyAsync(project);
        await StartOrder.AssertStartedAfterAsync(migrate, db);
        await StartOrder.AssertStartedAfterAsync(app, migrate);

        // Only migrate's image missing: the up makes db and it runs, so the answer names migrate and app only (probe-25:
        // db, started by the up's own reconcile, was named as not started).
        await Ok("down", $"composeproject/{project}");
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", db)).Exit != 0, TimeSpan.FromSeconds(60), "db removed by the down");
        generation = Agent.Status.Get(new ObjectKey(ServiceGroup.ComposeKindName, project))!.Generation;
        Agent.Write($"{project}/compose.yaml", Compose(TestEngine.Image, migrateImage: "busybox:9.99-nope"));
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(new ObjectKey(ServiceGroup.ComposeKindName, project))!.Generation > generation),
            TimeSpan.FromSeconds(30), "the edit of migrate is read");
        (exit, stdout, stderr) = await AgentCli.RunAsync(Env, "up", $"composeproject/{project}");
        Assert.True(exit == 1, $"exit {exit}\n{stdout}\n{stderr}");
        Assert.Contains("busybox:9.99-nope", stderr);
        Assert.Contains("not started: migrate, app:", stderr);
        Assert.Equal("running", await StateAsync(db));
        Assert.NotEqual("running", (await DockerCli.TryRunAsync("inspect", "--format", "{{.State.Status}}", app)).Stdout.Trim());
    }

    [Fact]
    public async Task A_start_cut_off_by_an_agent_kill_is_finished_at_the_next_start_whatever_the_restart_policy()
    {
        // probe-21: kill -9 of the agent during `agent start` (the stop already lifted in suspended.json, not every
        // container started): the rest, under compose's default restart: no, read "restart: no leaves it so" and stayed
        // down. The state that kill leaves is made here directly: the stop's record gone, the agent's own stops recorded.
        var project = Instance.Name("startcut");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Manifest.ComposeSleeper("db") + Manifest.ComposeSleeper("app", "    depends_on: [db]\n"));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, app) = ($"{project}-db-1", $"{project}-app-1");
        await Ok("stop", $"composeproject/{project}");
        Assert.Equal("exited", await StateAsync(db));
        var stops = Path.Combine(Agent.StateDir, "user-stops.json");
        Assert.Contains("\"agent\"", await File.ReadAllTextAsync(stops));
        await Agent.StopAsync();

        var suspended = Path.Combine(Agent.StateDir, "suspended.json");
        var entries = JsonSerializer.Deserialize<List<string>>(await File.ReadAllTextAsync(suspended))!;
        Assert.Contains(entries, e => e.Contains(project, StringComparison.Ordinal));
        await File.WriteAllTextAsync(suspended, JsonSerializer.Serialize(entries.Where(e => !e.Contains(project, StringComparison.Ordinal)).ToList()));
        await Agent.StartAsync();

        foreach (var c in new[] { db, app })
            await Eventually.TrueAsync(async () => await StateAsync(c) == "running", TimeSpan.FromSeconds(90), $"{c} (restart: no, stopped by the agent) running again");
        await StartOrder.AssertStartedAfterAsync(app, db);
        await Agent.WaitProjectReadyAsync(project);
    }
}
