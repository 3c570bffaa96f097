using System.Net;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Compose;

/// <summary>
/// probe-29 F0 (HIGH, the ComposeProject variant): `agent stop composeproject/P --service db` (db ignores SIGTERM, a long
/// grace), kill -9 of the agent while that stop runs, `docker rm -f` of app: the next agent took the dying db for running
/// and healthy and made app on it a second later. The user's stop is recorded before it is asked of the engine, so the
/// next agent knows it is under way: app waits, and once db's stop has landed db stays stopped (the user's) and app with
/// it, until a start. Checked through the docker CLI.
/// </summary>
public sealed class InterruptedUserStopTests() : AgentProcessScenario("userstopkill")
{
    [Fact]
    public async Task A_service_stop_under_way_across_a_kill_9_holds_its_dependents_and_stays_a_users_stop()
    {
        var project = Instance.Name("svcstop");
        Directory.CreateDirectory(Path.Combine(Manifests, project));
        File.WriteAllText(Path.Combine(Manifests, project, "compose.yaml"), Manifest.ComposeSlowDbAndApp("40s"));
        var (db, app) = ($"{project}-db-1", $"{project}-app-1");
        var agent = StartAgent();
        await Containers.RunningAsync(Instance, project, 2, Within);
        var dbId = await DockerCli.InspectAsync(db, "{{.Id}}");
        var dbStarted = await DockerCli.InspectAsync(db, "{{.State.StartedAt}}");

        var admin = agent.Client();
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var stopping = admin.PostAsync($"/api/v1/composeprojects/{project}/stop?service=db", null); // answers once db has stopped: 40 s (room for a slow restart under load)
        await StopUnderWayAsync(dbId, since, agent);
        await EndAgentAsync(); // kill -9, db's stop under way for several seconds more
        await Assert.ThrowsAnyAsync<Exception>(() => stopping);
        admin.Dispose();
        await DockerCli.RunAsync("rm", "-f", app);

        agent = StartAgent();
        await agent.WaitReadyAsync(Within);
        Assert.Equal("true", await DockerCli.InspectAsync(db, "{{.State.Running}}")); // the stop has not landed yet
        // app is not made on the dying db, nor once its stop has landed: db stays stopped, the user's.
        await Eventually.TrueAsync(async () => await DockerCli.InspectAsync(db, "{{.State.Running}}") == "false", Within, "db's stop landed");
        await Task.Delay(TimeSpan.FromSeconds(8)); // a few reconciles with db stopped
        Assert.True((await DockerCli.TryRunAsync("inspect", app)).Exit != 0, $"app was made on the stopping or stopped db; output:\n{agent.Output(40)}");
        Assert.Equal("false", await DockerCli.InspectAsync(db, "{{.State.Running}}"));
        Assert.Equal(dbId, await DockerCli.InspectAsync(db, "{{.Id}}"));
        Assert.Contains(agent.Lines, l => l.Contains($"{db} is being stopped by a user's stop", StringComparison.Ordinal));

        // A start of app starts db first (it depends on it), then makes app on it.
        using (var client = agent.Client())
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/composeprojects/{project}/start?service=app", null)).StatusCode);
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", "-f", "{{.State.Running}}", app)).Stdout.Trim() == "true",
            Within, () => $"app runs after the start; output:\n{agent.Output(30)}");
        Assert.NotEqual(dbStarted, await DockerCli.InspectAsync(db, "{{.State.StartedAt}}"));
        await StartOrder.AssertStartedAfterAsync(app, db);
    }
}
