using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Cli;

/// <summary>probe-16 F3: `agent up` / `agent start` start an object's stopped containers (docker compose up -d / start),
/// `agent restart` restarts stopped ones too (docker compose restart), and each says what it did, never a bare success
/// when nothing ran. Through the CLI program; effects checked with the docker CLI.</summary>
public sealed class StartStoppedTests : AgentScenario
{
    private async Task<string> Ok(params string[] args)
    {
        var env = new Dictionary<string, string> { ["AGENT_Urls"] = Agent.BaseAddress.ToString(), ["AGENT_TOKEN"] = Agent.GeneratedAdminToken };
        var (exit, stdout, stderr) = await AgentCli.RunAsync(env, args);
        Assert.True(exit == 0, $"agent {string.Join(' ', args)} exited {exit}\n{stdout}\n{stderr}");
        return stdout.Trim();
    }

    private static Task<string> StateAsync(string container) => DockerCli.InspectAsync(container, "{{.State.Status}}");

    [Fact]
    public async Task Up_starts_a_compose_projects_exited_containers_in_dependency_order_and_restart_restarts_stopped_ones_too()
    {
        var project = Instance.Name("upx");
        Agent.Write($"{project}/compose.yaml", "services:\n"
            + Manifest.ComposeSleeper("db", "    healthcheck: { test: [\"CMD\", \"true\"], interval: 1s, retries: 3 }\n")
            + Manifest.ComposeSleeper("app", "    depends_on:\n      db: { condition: service_healthy }\n"));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, app) = ($"{project}-db-1", $"{project}-app-1");
        var ids = (await DockerCli.InspectAsync(db, "{{.Id}}"), await DockerCli.InspectAsync(app, "{{.Id}}"));

        Assert.Equal($"composeproject/{project} is up: no stopped container to start", await Ok("up", $"composeproject/{project}"));

        await DockerCli.RunAsync("stop", app, db); // restart: no (Compose's default): they stay exited
        await Agent.WaitForConditionAsync(project, "Ready", "False", "StoppedByUser", TimeSpan.FromSeconds(30), "ComposeProject");
        Assert.Equal($"composeproject/{project} is up: 2 container(s) ({db}, {app}) started", await Ok("up", $"composeproject/{project}"));
        Assert.Equal("running", await StateAsync(db));
        Assert.Equal("running", await StateAsync(app));
        Assert.Equal(ids, (await DockerCli.InspectAsync(db, "{{.Id}}"), await DockerCli.InspectAsync(app, "{{.Id}}"))); // started, not recreated
        // service_healthy: app starts once db is healthy, which its first check (1 s after its start) tells at the earliest.
        var dbStart = DateTimeOffset.Parse(await DockerCli.InspectAsync(db, "{{.State.StartedAt}}"));
        var appStart = DateTimeOffset.Parse(await DockerCli.InspectAsync(app, "{{.State.StartedAt}}"));
        Assert.True(appStart - dbStart >= TimeSpan.FromMilliseconds(900), $"app started {appStart:O}, db {dbStart:O}");
        await Agent.WaitProjectReadyAsync(project);

        await DockerCli.RunAsync("stop", app);
        await Agent.WaitForConditionAsync(project, "Ready", "False", "StoppedByUser", TimeSpan.FromSeconds(30), "ComposeProject");
        var dbStarted = await DockerCli.InspectAsync(db, "{{.State.StartedAt}}");
        Assert.Equal($"composeproject/{project} restarted: 2 container(s) ({db}, {app})", await Ok("restart", $"composeproject/{project}"));
        Assert.Equal("running", await StateAsync(app));
        Assert.NotEqual(dbStarted, await DockerCli.InspectAsync(db, "{{.State.StartedAt}}"));
        await Agent.WaitProjectReadyAsync(project);

        Assert.Contains("is down", await Ok("down", $"composeproject/{project}"));
        Assert.Equal($"composeproject/{project}: nothing restarted: it is down (agent up composeproject/{project} starts it)", await Ok("restart", $"composeproject/{project}"));
        // Up after down: app depends on db, which has no container, so the up makes them under its hold (db first) and names both.
        var up = await Ok("up", $"composeproject/{project}");
        Assert.True(up.StartsWith($"composeproject/{project} is up: 2 container(s) (", StringComparison.Ordinal) && up.Contains(db, StringComparison.Ordinal)
                    && up.Contains(app, StringComparison.Ordinal), up);
        await Agent.WaitProjectReadyAsync(project);
    }

    [Fact]
    public async Task Start_after_stop_runs_a_restart_no_group_again_and_starts_its_exited_containers()
    {
        var g = Instance.Name("startx");
        Agent.Write("g.yaml", Group(g, Sleeper("a", "      restart: \"no\"\n") + Sleeper("b", "      restart: \"no\"\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var (a, b) = ($"{g}-a-1", $"{g}-b-1");

        Assert.Contains("stopped", await Ok("stop", $"servicegroup/{g}", "--timeout", "1m"));
        Assert.Equal("exited", await StateAsync(a));
        // Before: the suspend was cleared, and restart: no left both exited for good.
        Assert.Equal($"servicegroup/{g} is started: 2 container(s) ({a}, {b}) started", await Ok("start", $"servicegroup/{g}"));
        Assert.Equal("running", await StateAsync(a));
        Assert.Equal("running", await StateAsync(b));
        await Agent.WaitReadyAsync(g);

        await DockerCli.RunAsync("stop", b);
        await Agent.WaitForConditionAsync(g, "Ready", "False", "StoppedByUser", TimeSpan.FromSeconds(30));
        Assert.Equal($"servicegroup/{g} is started: 1 container(s) ({b}) started", await Ok("start", $"servicegroup/{g}"));
        Assert.Equal("running", await StateAsync(b));
        await Agent.WaitReadyAsync(g);
    }
}
