using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>probe-16 F2 (engine restart): a compose project under restart: no whose containers the engine's shutdown
/// stopped is reported as exited with the engine (not stopped by a user, no ApplyFailed, nothing retried). On a private
/// dockerd of the test's own: the shared engine is never stopped.</summary>
public sealed class EngineStopExitTests : PrivateEngineScenario
{
    private async Task<string> StateAsync(string container) =>
        (await Engine.CliAsync("inspect", "--format", "{{.State.Status}}", container)).Stdout.Trim();

    /// <summary>Waits for the project to read Exited (probe-18 F8) naming <paramref name="names"/> as exited with the engine
    /// (an earlier Ready=False, from before the agent judged the exits or restarted a replica, does not count).</summary>
    private async Task<ObjectStatus> WaitExitedWithEngineAsync(string project, string names) =>
        (await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(new ObjectKey(ServiceGroup.ComposeKindName, project))),
            s => s?.Condition(ConditionTypes.Ready) is { Status: "False", Reason: GroupConditions.Exited } c
                 && c.Message.Contains($"exited when the engine stopped, and their restart policy leaves them so: {names} (", StringComparison.Ordinal),
            TimeSpan.FromSeconds(90), $"{project} Exited naming {names} as exited with the engine"))!;

    [Fact]
    public async Task Containers_the_engines_shutdown_stopped_are_reported_as_exited_with_the_engine_not_as_user_stops_nor_failed_applies()
    {
        var project = Instance.Name("engstop");
        Agent.Write($"{project}/compose.yaml", "services:\n"
            + Manifest.ComposeSleeper("db", "    healthcheck: { test: [\"CMD\", \"true\"], interval: 1s, retries: 3 }\n")
            + Manifest.ComposeSleeper("app", "    depends_on:\n      db: { condition: service_healthy }\n"));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, app) = ($"{project}-db-1", $"{project}-app-1");

        await Engine.TerminateAsync(); // dockerd's shutdown stops every container: kill events, as a docker stop sends
        await Engine.StartAsync();
        Assert.Equal("exited", await StateAsync(db)); // restart: no (as in Compose): left exited by the engine
        Assert.Equal("exited", await StateAsync(app));

        var key = new ObjectKey(ServiceGroup.ComposeKindName, project);
        var status = await WaitExitedWithEngineAsync(project, $"{app}, {db}");
        var retriesBefore = Agent.Logs.Count("failed, retrying"); // while the engine was away, reconciles failed: fine
        var until = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < until)
        {
            status = Agent.Status.Get(key)!;
            Assert.Equal(GroupConditions.Exited, status.Condition(ConditionTypes.Ready)!.Reason);
            Assert.Equal("False", status.Condition(ConditionTypes.Progressing)!.Status); // nothing starts them: not progressing (probe-18 F8)
            Assert.Equal("False", status.Condition(ConditionTypes.Degraded)!.Status);
            Assert.All(status.Services.SelectMany(s => s.Containers), c => Assert.Equal("Exited when the engine stopped", c.Message));
            await Task.Delay(500);
        }
        Assert.Equal(0, Agent.Logs.Count("WaitHealthy failed"));
        Assert.Equal(retriesBefore, Agent.Logs.Count("failed, retrying"));
        Assert.Equal("exited", await StateAsync(db));
    }

    [Fact]
    public async Task Containers_a_crashed_engine_killed_at_its_restart_are_not_user_stops_and_unless_stopped_runs_again()
    {
        // probe-18 F1: the restarted dockerd's kills reached the agent only in the replay after it reconnected, when the
        // engine listened again: they were recorded as user stops, the project read StoppedByUser, unless-stopped stayed down.
        var project = Instance.Name("engcrash");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Manifest.ComposeSleeper("c") + Manifest.ComposeSleeper("u", "    restart: unless-stopped\n"));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (c, u) = ($"{project}-c-1", $"{project}-u-1");

        await Engine.KillAsync();
        await Engine.StartAsync();

        var file = Path.Combine(Agent.StateDir, "user-stops.json");
        try
        {
            await Eventually.TrueAsync(async () => await StateAsync(u) == "running", TimeSpan.FromSeconds(90), $"{u} (restart: unless-stopped) running again");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nuser-stops.json: {(File.Exists(file) ? File.ReadAllText(file) : "none")}\nagent log:\n{string.Join("\n", Agent.Logs.Lines.TakeLast(40))}", e);
        }
        var status = await WaitExitedWithEngineAsync(project, $"{c}");
        Assert.Equal("exited", await StateAsync(c)); // restart: no (as in Compose)
        var stops = File.Exists(file) ? await File.ReadAllTextAsync(file) : "";
        Assert.DoesNotContain("\"engine\"", stops);
    }

    [Fact]
    public async Task Containers_a_crashed_engine_killed_while_the_agent_was_not_running_are_not_user_stops_and_unless_stopped_and_always_run_again()
    {
        // probe-18 F1 (variant): agent stopped, dockerd killed (-9) and started again (its restore kills what it finds
        // running: Exited 137), agent started: the project sat at 0/2 ReplicasNotReady, nothing started, no explanation.
        var project = Instance.Name("engcrash2");
        var group = Instance.Name("engcrashg");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Manifest.ComposeSleeper("c") + Manifest.ComposeSleeper("u", "    restart: unless-stopped\n"));
        Agent.Write($"{group}.yaml", Manifest.Group(group, Manifest.Sleeper("s"))); // restart: always (the default)
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        await Agent.WaitReadyAsync(group);
        var (c, u, s) = ($"{project}-c-1", $"{project}-u-1", $"{group}-s-1");
        await Agent.StopAsync();

        await Engine.KillAsync();
        await Engine.StartAsync();
        Assert.Equal("exited", await StateAsync(c)); // the new dockerd killed them at its restore
        Assert.Equal("exited", await StateAsync(u));

        await Agent.StartAsync();
        var file = Path.Combine(Agent.StateDir, "user-stops.json");
        try
        {
            await Eventually.TrueAsync(async () => await StateAsync(u) == "running", TimeSpan.FromSeconds(90), $"{u} (restart: unless-stopped) running again");
            await Eventually.TrueAsync(async () => await StateAsync(s) == "running", TimeSpan.FromSeconds(90), $"{s} (restart: always) running again");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nuser-stops.json: {(File.Exists(file) ? File.ReadAllText(file) : "none")}\nagent log:\n{string.Join("\n", Agent.Logs.Lines.TakeLast(40))}", e);
        }
        var status = await WaitExitedWithEngineAsync(project, $"{c}");
        Assert.Equal("False", status.Condition(ConditionTypes.Degraded)!.Status);
        Assert.Equal("exited", await StateAsync(c)); // restart: no (as in Compose)
        await Agent.WaitReadyAsync(group);
        var stops = File.Exists(file) ? await File.ReadAllTextAsync(file) : "";
        Assert.DoesNotContain("\"engine\"", stops);
        var cId = (await Engine.CliAsync("inspect", "--format", "{{.Id}}", c)).Stdout.Trim();
        Assert.Contains($"\"{cId}\":\"shutdown\"", stops); // judged the engine's from its events before it served
        Assert.Equal(1, Agent.Logs.Count($"{c} was stopped by the engine as it started"));
    }
}
