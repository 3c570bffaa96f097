using System.Net;
using System.Net.Sockets;
using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>A health-gated update that never becomes healthy is rolled back while the old container keeps serving.</summary>
public sealed class RollbackTests : AgentScenario
{
    private static string Service(string healthTest, string version, string strategy, string healthTimeout = "5s") => Web("web",
        $"      env: {{ VERSION: \"{version}\" }}\n" +
        $"      healthcheck: {{ test: {healthTest}, interval: 500ms, timeout: 5s, retries: 1 }}\n" +
        $"      update: {{ strategy: {strategy}, rollbackOnFailure: true, healthTimeout: {healthTimeout} }}\n");

    /// <summary>A start-first service whose new container becomes healthy only after 4 s: time to act on it in its gate.</summary>
    private static string SlowToBecomeHealthy(string version) =>
        $"    - name: web\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"sleep 4; touch /tmp/ready; exec sleep 3600\"]\n      stopSignal: SIGKILL\n" +
        $"      env: {{ VERSION: \"{version}\" }}\n" +
        "      healthcheck: { test: [\"CMD\", \"test\", \"-f\", \"/tmp/ready\"], interval: 500ms, timeout: 1s, retries: 1 }\n" +
        "      update: { strategy: start-first, rollbackOnFailure: true, healthTimeout: 30s }\n";

    [Theory]
    [InlineData("start-first")]
    [InlineData("stop-first")]
    public async Task An_update_that_never_becomes_healthy_is_rolled_back(string strategy)
    {
        var g = Instance.Name("rollback-" + strategy[..4]);
        Agent.Write("g.yaml", Group(g, Service("[\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8080/\"]", "1", strategy)));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var old = (await Containers.RunningAsync(Instance, g, 1)).Single();
        var ip = await DockerCli.InspectAsync(old.Id, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}");

        // Probe the old container on its network address for the whole update (start-first must never drop it).
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        using var stop = new CancellationTokenSource();
        var failures = 0;
        var probes = 0;
        var prober = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { (await http.GetAsync($"http://{ip}:8080/")).EnsureSuccessStatusCode(); }
                catch (Exception) when (!stop.IsCancellationRequested) { Interlocked.Increment(ref failures); }
                Interlocked.Increment(ref probes);
                await Task.Delay(100);
            }
        });

        // A failing check with as many items as the working one: a shorter healthcheck.test reads as a torn edit (56f1ea9) and is held for PruneDelay first.
        Agent.Write("g.yaml", Group(g, Service("[\"CMD\", \"test\", \"-f\", \"/never\"]", "2", strategy, healthTimeout: "12s")));
        // Inside the health gate: start-first serves with the old replica (Ready=True/Updating); stop-first has stopped it,
        // so nothing serves and Ready says so (Ready=False/Updating).
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, g)).Any(c => c.Name.EndsWith("-next", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the new container waits on the health gate");
        // Status follows what serves every 0.5 s during the gate (probe-16 F8): polled, it catches up with the stop.
        var oldDuringGate = await DockerCli.InspectAsync(old.Id, "{{.State.Running}}");
        var gated = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, g))!.Condition(ConditionTypes.Ready)!),
            c => (c.Status, c.Reason) == (strategy == "start-first" ? "True" : "False", GroupConditions.Updating), TimeSpan.FromSeconds(5), "Ready per the serving count inside the gate");
        Assert.Equal(strategy == "start-first" ? ("True", "true") : ("False", "false"), (gated.Status, oldDuringGate));
        var status = await Agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "True", "RolledBack", TimeSpan.FromSeconds(60));
        await Task.Delay(1500); // the rolled-back spec must not be retried
        await stop.CancelAsync();
        await prober;

        Assert.Contains("rolled back", status.Condition(ConditionTypes.Degraded)!.Message);
        // The cause is named in the Warning event and, reconciles later, still in Degraded: the health gate and its last check.
        var later = Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, g))!;
        var warning = Assert.Single(later.Events, e => e is { Type: "Warning", Reason: "RolledBack" }).Message;
        Assert.Contains("its new container did not become healthy", warning);
        Assert.Contains("last health check: exit code 1", warning);
        var degradedLater = later.Condition(ConditionTypes.Degraded)!;
        Assert.Equal(("True", "RolledBack"), (degradedLater.Status, degradedLater.Reason));
        Assert.Contains("did not become healthy within 12s", degradedLater.Message);
        Assert.Contains("last health check: exit code 1", degradedLater.Message);
        var rows = await Containers.OfAsync(Instance, g);
        var current = Assert.Single(rows);
        Assert.Equal("running", current.State);
        Assert.Equal($"{g}-web-1", current.Name);
        Assert.Contains("VERSION=1", await DockerCli.InspectAsync(current.Id, "{{range .Config.Env}}{{println .}}{{end}}"));
        if (strategy == "start-first")
        {
            Assert.Equal(old.Id, current.Id);
            Assert.True(probes > 10);
            Assert.Equal(0, failures);
        }

        // A changed manifest is tried again.
        Agent.Write("g.yaml", Group(g, Service("[\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8080/\"]", "3", strategy)));
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, g)) is [{ State: "running" } row]
            && (await DockerCli.InspectAsync(row.Id, "{{range .Config.Env}}{{println .}}{{end}}")).Contains("VERSION=3"), TimeSpan.FromSeconds(60), "version 3 running");
        await Agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "False");
    }

    [Fact]
    public async Task A_rolled_back_stop_first_update_is_not_tried_again_after_the_agent_restarts()
    {
        var g = Instance.Name("rollback-restart");
        Agent.Write("g.yaml", Group(g, Service("[\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8080/\"]", "1", "stop-first")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        Agent.Write("g.yaml", Group(g, Service("[\"CMD\", \"false\"]", "2", "stop-first")));
        await Agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "True", "RolledBack", TimeSpan.FromSeconds(60));
        var serving = Assert.Single(await Containers.RunningAsync(Instance, g, 1));
        var startedAt = await DockerCli.InspectAsync(serving.Id, "{{.State.StartedAt}}");

        // probe-15j H1: a restarted agent (kill -9, an upgrade, its liveness probe) stopped the only replica again for a
        // whole healthTimeout to learn that the spec fails. The rollback is remembered in the state dir.
        await Agent.StopAsync();
        Assert.Contains(g, await File.ReadAllTextAsync(Path.Combine(Agent.StateDir, "rolled-back.json")));
        await Agent.StartAsync();
        var status = await Agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "True", "RolledBack", TimeSpan.FromSeconds(60));
        Assert.Contains("rolled back", status.Condition(ConditionTypes.Degraded)!.Message);
        for (var i = 0; i < 6; i++) // a few reconciles and the 2 s resync of the scenario
        {
            await Task.Delay(1000);
            var row = Assert.Single(await Containers.OfAsync(Instance, g));
            Assert.Equal((serving.Id, "running"), (row.Id, row.State));
        }
        Assert.Equal(startedAt, await DockerCli.InspectAsync(serving.Id, "{{.State.StartedAt}}"));
    }

    // probe-15n F7: a new container the engine cannot start (its host port held by another process) left the old replica
    // stopped while the start was retried with back-off. It is a failed attempt like a failed health gate.
    [Fact]
    public async Task A_stop_first_update_whose_new_container_cannot_start_is_rolled_back_and_the_old_replica_runs_again()
    {
        var g = Instance.Name("portheld");
        const string Health = "[\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8080/\"]";
        var port = FreePort.Next();
        using var holder = new TcpListener(IPAddress.Loopback, port); // another process's server holds the port
        holder.Start();
        Agent.Write("g.yaml", Group(g, Service(Health, "1", "stop-first")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var old = Assert.Single(await Containers.RunningAsync(Instance, g, 1));

        Agent.Write("g.yaml", Group(g, Service(Health, "2", "stop-first") + $"      ports: [\"127.0.0.1:{port}:8080\"]\n"));
        var status = await Agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "True", "RolledBack", TimeSpan.FromSeconds(60));
        Assert.Contains("rolled back", status.Condition(ConditionTypes.Degraded)!.Message);
        var why = Assert.Single(status.Events, e => e is { Type: "Warning", Reason: "RolledBack" }).Message;
        Assert.Contains("its new container did not start", why);
        Assert.Contains("StartContainer failed", why);
        Assert.Contains("already in use", why);
        Assert.DoesNotContain("did not become healthy", why);
        var record = Path.Combine(Agent.StateDir, "rolled-back.json");
        Assert.Contains(g, await File.ReadAllTextAsync(record));

        var current = await Eventually.ReturnsAsync(async () => await Containers.OfAsync(Instance, g), rows => rows is [{ State: "running" }],
            TimeSpan.FromSeconds(30), "the old replica running alone again");
        var startedAt = await DockerCli.InspectAsync(old.Id, "{{.State.StartedAt}}");
        for (var i = 0; i < 5; i++) // a few reconciles and the 2 s resync of the scenario: not stopped again to retry the spec
        {
            await Task.Delay(1000);
            var row = Assert.Single(await Containers.OfAsync(Instance, g));
            Assert.Equal((old.Id, $"{g}-web-1", "running"), (row.Id, row.Name, row.State));
        }
        Assert.Equal(startedAt, await DockerCli.InspectAsync(old.Id, "{{.State.StartedAt}}"));
        Assert.Contains("VERSION=1", await DockerCli.InspectAsync(old.Id, "{{range .Config.Env}}{{println .}}{{end}}"));
        var after = Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, g))!;
        var ready = after.Condition(ConditionTypes.Ready)!;
        Assert.Equal(("True", "ReplicasReady"), (ready.Status, ready.Reason));
        // Reconciles after the rollback still name the engine's error (agent describe), not only the one that rolled back.
        var degraded = after.Condition(ConditionTypes.Degraded)!;
        Assert.Equal(("True", "RolledBack"), (degraded.Status, degraded.Reason));
        Assert.Contains("already in use", degraded.Message);
        Assert.Contains("already in use", ready.Message);
        Assert.Equal(old.Id, current.Single().Id);
    }

    // A plain stop-first update (no health gate) removes the old container first, as docker compose up does: a new one that
    // cannot start leaves the replica down, but never silently: ApplyFailed names the engine's error, and the start is
    // retried with back-off until it works.
    [Fact]
    public async Task A_plain_stop_first_update_whose_new_container_cannot_start_says_why_and_starts_it_once_it_can()
    {
        var g = Instance.Name("portplain");
        var port = FreePort.Next();
        var holder = new TcpListener(IPAddress.Loopback, port);
        holder.Start();
        try
        {
            Agent.Write("g.yaml", Group(g, Web("web", "      env: { VERSION: \"1\" }\n")));
            await Agent.StartAsync();
            await Agent.WaitReadyAsync(g);

            Agent.Write("g.yaml", Group(g, Web("web", $"      env: {{ VERSION: \"2\" }}\n      ports: [\"127.0.0.1:{port}:8080\"]\n")));
            var status = await Agent.WaitForConditionAsync(g, ConditionTypes.Ready, "False", "ApplyFailed", TimeSpan.FromSeconds(60));
            Assert.Contains("already in use", status.Condition(ConditionTypes.Ready)!.Message);
            Assert.Equal(("True", "ApplyFailed"), (status.Condition(ConditionTypes.Degraded)!.Status, status.Condition(ConditionTypes.Degraded)!.Reason));
            Assert.Equal("created", Assert.Single(await Containers.OfAsync(Instance, g)).State);
        }
        finally
        {
            holder.Stop();
        }
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, g)) is [{ State: "running" } row]
            && (await DockerCli.InspectAsync(row.Id, "{{range .Config.Env}}{{println .}}{{end}}")).Contains("VERSION=2"), TimeSpan.FromSeconds(90), "the new spec started once the port is free");
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(30));
    }

    // probe-15l M3: a -next container removed during its health gate says nothing about the spec (like an engine that went
    // away): the old replica serves on, and the update is tried again, not rolled back for good.
    [Fact]
    public async Task A_new_container_removed_behind_the_agents_back_during_its_health_gate_is_tried_again_not_rolled_back()
    {
        await Agent.WithLogAsync(async () =>
        {
            var g = Instance.Name("vanish");
            Agent.Write("g.yaml", Group(g, SlowToBecomeHealthy("1")));
            await Agent.StartAsync();
            await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(60));

            Agent.Write("g.yaml", Group(g, SlowToBecomeHealthy("2")));
            var next = await Eventually.ReturnsAsync(async () => (await Containers.OfAsync(Instance, g)).FirstOrDefault(c => c.Name.EndsWith("-next", StringComparison.Ordinal)),
                c => c is not null, TimeSpan.FromSeconds(30), "the new container waits on the health gate");
            await DockerCli.RunAsync("rm", "-f", next!.Id);

            await Eventually.TrueAsync(async () => await DockerCli.InspectAsync($"{g}-web-1", "{{range .Config.Env}}{{println .}}{{end}}") is var env && env.Contains("VERSION=2"),
                TimeSpan.FromSeconds(90), "the update tried again and done");
            var done = await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(30));
            Assert.NotEqual("RolledBack", done.Condition(ConditionTypes.Degraded)?.Reason);
            var record = Path.Combine(Agent.StateDir, "rolled-back.json");
            Assert.False(File.Exists(record) && (await File.ReadAllTextAsync(record)).Contains(g), "the vanished container was taken for a failed update");
        });
    }

    // probe-15m: a user's docker kill of the -next during its health gate is no verdict on the spec either (a kill event
    // the agent did not make); a container that exits by itself still rolls back (the tests above).
    [Fact]
    public async Task A_new_container_killed_by_a_user_during_its_health_gate_is_tried_again_not_rolled_back()
    {
        await Agent.WithLogAsync(async () =>
        {
            var g = Instance.Name("killed");
            const string SpecHash = "{{index .Config.Labels \"agent.spec-hash\"}}";
            Agent.Write("g.yaml", Group(g, SlowToBecomeHealthy("1")));
            await Agent.StartAsync();
            await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(60));
            var before = await DockerCli.InspectAsync($"{g}-web-1", SpecHash);

            Agent.Write("g.yaml", Group(g, SlowToBecomeHealthy("2")));
            // The -next that runs in its gate: on a loaded machine a first attempt can fail and be replaced (CI: the one
            // found first was gone at the kill).
            await Eventually.TrueAsync(async () =>
                (await Containers.OfAsync(Instance, g)).FirstOrDefault(c => c.Name.EndsWith("-next", StringComparison.Ordinal) && c.State == "running") is { } next
                && (await DockerCli.TryRunAsync("kill", next.Id)).Exit == 0, TimeSpan.FromSeconds(30), "the new container killed in its health gate");

            await Eventually.TrueAsync(async () => await DockerCli.InspectAsync($"{g}-web-1", "{{range .Config.Env}}{{println .}}{{end}}") is var env && env.Contains("VERSION=2"),
                TimeSpan.FromSeconds(90), "the update tried again and done");
            var done = await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(30));
            Assert.Equal("UpToDate", done.Condition(ConditionTypes.Ready)?.Reason);
            Assert.NotEqual("RolledBack", done.Condition(ConditionTypes.Degraded)?.Reason);
            Assert.DoesNotContain("RolledBack", done.Conditions.Select(c => c.Reason));
            var applied = await DockerCli.InspectAsync($"{g}-web-1", SpecHash);
            Assert.NotEqual(before, applied);
            Assert.Equal(applied, Assert.Single(Assert.Single(done.Services).Containers).SpecHash);
            var record = Path.Combine(Agent.StateDir, "rolled-back.json");
            Assert.False(File.Exists(record) && (await File.ReadAllTextAsync(record)).Contains(g), "the killed container was taken for a failed update");
            Assert.DoesNotContain(await Containers.OfAsync(Instance, g), c => c.Name.EndsWith("-next", StringComparison.Ordinal));
        });
    }
}
