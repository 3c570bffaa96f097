using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Http;

/// <summary>
/// probe-31 F1 and F10 (HIGH): a stop of db (it ignores SIGTERM, a long grace) under way when the agent is killed -9, then
/// a start through the API on the next agent: the group's start started app on the dying db, and `start --service db`
/// found nothing stopped, after which db's stop landed and it stayed down. The start waits for the stop to land, then
/// starts db and what depends on it, in order. Checked through the docker CLI.
/// </summary>
public sealed class InterruptedStopStartTests() : AgentProcessScenario("stopstart")
{
    [Fact]
    public async Task A_group_started_while_an_earlier_agents_stop_of_it_runs_starts_nothing_on_the_dying_container()
    {
        var (g, db, app, agent, dbId, dbStarted) = await StartSlowDbGroupAsync("g1");

        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        using (var admin = agent.Client())
            Assert.Equal(System.Net.HttpStatusCode.Accepted, (await admin.PostAsync($"/api/v1/servicegroups/{g}/stop", null)).StatusCode);
        await StopUnderWayAsync(dbId, since, agent);
        await Eventually.TrueAsync(async () => await DockerCli.InspectAsync(app, "{{.State.Running}}") == "false", Within, "app stopped (SIGKILL)");
        await EndAgentAsync(); // kill -9, db's stop under way for many seconds more

        agent = StartAgent();
        await agent.WaitReadyAsync(Within);
        using (var admin = agent.Client(StartWait))
        {
            var started = await admin.PostAsync($"/api/v1/servicegroups/{g}/start", null);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, started.StatusCode);
            var answer = await started.Content.ReadAsStringAsync();
            Assert.True(answer.Contains(db, StringComparison.Ordinal) && answer.Contains(app, StringComparison.Ordinal), answer);
        }
        Assert.Equal("true", await DockerCli.InspectAsync(db, "{{.State.Running}}"));
        Assert.NotEqual(dbStarted, await DockerCli.InspectAsync(db, "{{.State.StartedAt}}")); // its stop landed, then the start ran it
        Assert.Equal("true", await DockerCli.InspectAsync(app, "{{.State.Running}}"));
        await StartOrder.AssertStartedAfterAsync(app, db);
    }

    /// <summary>probe-32 F8 (HIGH): a start accepted while the group's stop still lands waits for it; an agent killed -9
    /// during that wait lost the start, and the group stayed stopped. The start is recorded before the wait: the next agent
    /// lets db's stop land, then starts db and app, in order, with no other request.</summary>
    [Fact]
    public async Task A_start_waiting_for_a_stop_to_land_is_kept_by_an_agent_killed_during_the_wait()
    {
        var (g, db, app, agent, dbId, dbStarted) = await StartSlowDbGroupAsync("g3");

        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var admin = agent.Client();
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await admin.PostAsync($"/api/v1/servicegroups/{g}/stop", null)).StatusCode);
        await StopUnderWayAsync(dbId, since, agent);
        var suspended = Path.Combine(StateDir, "suspended.json");
        Assert.Contains(g, File.ReadAllText(suspended));
        var starting = admin.PostAsync($"/api/v1/servicegroups/{g}/start", null); // waits for db's stop to land
        await Eventually.TrueAsync(() => Task.FromResult(!File.ReadAllText(suspended).Contains(g, StringComparison.Ordinal)), TimeSpan.FromSeconds(15),
            () => $"the start recorded (the group's stop cleared in suspended.json) while db's stop lands; output:\n{agent.Output(20)}");
        Assert.Equal("true", await DockerCli.InspectAsync(db, "{{.State.Running}}")); // still landing
        await EndAgentAsync(); // kill -9 during the start's wait
        await Assert.ThrowsAnyAsync<Exception>(() => starting);
        admin.Dispose();

        StartAgent(); // no request: the start it was given before is finished
        await Eventually.TrueAsync(async () => await DockerCli.InspectAsync(db, "{{.State.StartedAt}}") != dbStarted
                && await DockerCli.InspectAsync(db, "{{.State.Running}}") == "true" && await DockerCli.InspectAsync(app, "{{.State.Running}}") == "true",
            Within, "db's stop landed, then db and app started again");
        await StartOrder.AssertStartedAfterAsync(app, db);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(("true", "true"), (await DockerCli.InspectAsync(db, "{{.State.Running}}"), await DockerCli.InspectAsync(app, "{{.State.Running}}")));
    }

    [Fact]
    public async Task A_service_started_while_an_earlier_agents_user_stop_of_it_runs_is_started_once_that_stop_lands()
    {
        var project = Instance.Name("svc");
        Directory.CreateDirectory(Path.Combine(Manifests, project));
        File.WriteAllText(Path.Combine(Manifests, project, "compose.yaml"), Manifest.ComposeSlowDbAndApp("25s"));
        var (db, app) = ($"{project}-db-1", $"{project}-app-1");
        var agent = StartAgent();
        await Containers.RunningAsync(Instance, project, 2, Within);
        var dbId = await DockerCli.InspectAsync(db, "{{.Id}}");
        var dbStarted = await DockerCli.InspectAsync(db, "{{.State.StartedAt}}");

        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var admin = agent.Client();
        var stopping = admin.PostAsync($"/api/v1/composeprojects/{project}/stop?service=db", null);
        await StopUnderWayAsync(dbId, since, agent);
        await EndAgentAsync(); // kill -9
        await Assert.ThrowsAnyAsync<Exception>(() => stopping);
        admin.Dispose();

        agent = StartAgent();
        await agent.WaitReadyAsync(Within);
        using (admin = agent.Client(StartWait))
        {
            var started = await admin.PostAsync($"/api/v1/composeprojects/{project}/start?service=db", null);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, started.StatusCode);
            Assert.Contains(db, await started.Content.ReadAsStringAsync());
        }
        Assert.NotEqual(dbStarted, await DockerCli.InspectAsync(db, "{{.State.StartedAt}}")); // its stop landed, then the start ran it
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal("true", await DockerCli.InspectAsync(db, "{{.State.Running}}")); // the user's start won, not the older stop
        Assert.Equal("true", await DockerCli.InspectAsync(app, "{{.State.Running}}")); // docker compose stop db leaves app running, as here
    }
    /// <summary>A start answers once db's stop has landed (up to its 25 s grace after the stop began) and db and what depends
    /// on it run: longer than a client's default 30 s on a loaded CI machine (seen once).</summary>
    private static readonly TimeSpan StartWait = TimeSpan.FromMinutes(2);

    /// <summary>A group whose db ignores SIGTERM for its 25 s grace (its stop lands late) and app, healthy-dependent on it,
    /// both running under a new agent.</summary>
    private async Task<(string Group, string Db, string App, AgentProcess Agent, string DbId, string DbStarted)> StartSlowDbGroupAsync(string name)
    {
        var g = Instance.Name(name);
        File.WriteAllText(Path.Combine(Manifests, $"{name}.yaml"), Manifest.Group(g,
            $"    - name: db\n      image: {TestEngine.Image}\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGTERM\n      stopGracePeriod: 25s\n"
            + "      healthcheck: { test: [\"CMD\", \"true\"], interval: 1s, retries: 3 }\n"
            + Manifest.Sleeper("app", "      dependsOn: [{ service: db, condition: healthy }]\n")));
        var (db, app) = ($"{g}-db-1", $"{g}-app-1");
        var agent = StartAgent();
        await Containers.RunningAsync(Instance, g, 2, Within);
        return (g, db, app, agent, await DockerCli.InspectAsync(db, "{{.Id}}"), await DockerCli.InspectAsync(db, "{{.State.StartedAt}}"));
    }
}
