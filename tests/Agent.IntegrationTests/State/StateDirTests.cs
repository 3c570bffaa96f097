using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.State;

/// <summary>
/// The state dir on a real, small tmpfs (filled up, remounted read-only) under a running agent, and the state dir lock
/// between two real `agent run` processes.
/// </summary>
public sealed class StateDirTests : IAsyncLifetime
{
    private const string OperatorToken = "operator-token-0123456789abcdef";
    private const string AdminToken = "admin-token-0123456789abcdef0123";
    private readonly TestInstance instance = new();
    private readonly string tokens = Path.GetTempFileName();

    public async Task InitializeAsync()
    {
        await instance.InitializeAsync();
        await File.WriteAllTextAsync(tokens, $"operator:{OperatorToken}\nadmin:{AdminToken}\n");
    }

    public async Task DisposeAsync()
    {
        await instance.DisposeAsync();
        File.Delete(tokens);
    }

    private AgentHarness Harness() => new(instance, new Dictionary<string, string?>
    {
        ["Agent:Auth:TokensFile"] = tokens,
        ["Agent:ResyncInterval"] = "00:00:01", // a change that slipped through would show within a second
    });

    private static HttpClient Client(AgentHarness agent, string token = OperatorToken)
    {
        var client = agent.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task Sh(string script)
    {
        var (exit, stdout, stderr) = await ExternalTool.ShellAsync(script);
        Assert.True(exit == 0, $"{script}: exit {exit}\n{stdout}{stderr}");
    }

    /// <summary>A 256 KiB tmpfs mounted over the harness's state dir, unmounted whatever happens.</summary>
    private static async Task<IAsyncDisposable> MountTmpfsAsync(string dir)
    {
        await Sh($"mount -t tmpfs -o size=256k,mode=0700 agent-test-state '{dir}'");
        return new Unmount(dir);
    }

    private sealed class Unmount(string dir) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await ExternalTool.ShellAsync($"umount -l '{dir}'");
    }

    private async Task StillRunningAsync(string group)
    {
        await Task.Delay(TimeSpan.FromSeconds(3)); // three resyncs
        Assert.Equal(["running"], (await Containers.OfAsync(instance, group)).Select(r => r.State));
    }

    /// <summary>probe-13d D1, probe-15j M5: the state dir deleted under a running agent is noticed (readiness, an error
    /// log) and is a failed read, never a fresh start: it is not made again (nothing is written into a new empty folder).</summary>
    [Fact]
    public async Task A_state_dir_deleted_while_the_agent_runs_fails_readyz_logs_an_error_and_is_not_made_again()
    {
        await using var agent = Harness();
        await agent.StartAsync();
        using var client = Client(agent);
        await Eventually.ReturnsAsync(() => client.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "ready");

        Directory.Delete(agent.StateDir, recursive: true);

        var readyz = await client.GetAsync("/readyz?verbose");
        var text = await readyz.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
        Assert.Contains($"[-]state failed: the state dir {agent.StateDir} is missing (moved away or deleted while the agent ran)", text);
        Assert.Contains("restart the agent", text);
        // A kubelet's probe (no token, no ?verbose) gets the same 503 and the check's name, never its reason (a path).
        using var anonymous = agent.Client();
        using var probe = await anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, probe.StatusCode);
        var withheld = await probe.Content.ReadAsStringAsync();
        Assert.Contains("[-]state failed: reason withheld\n", withheld);
        Assert.DoesNotContain(agent.StateDir, withheld);
        await agent.Logs.WaitForAsync(TimeSpan.FromSeconds(10), "is missing (moved away or deleted while the agent ran)", "no state file is written until it is back");
        await Task.Delay(TimeSpan.FromSeconds(6)); // past the watch's 5 s and several resyncs
        Assert.False(Directory.Exists(agent.StateDir));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz")).StatusCode); // until it is back or a restart
    }

    /// <summary>probe-15j M5: `mv state state.old` under a running agent: a finished Job does not run again over many
    /// resyncs, nothing is written at the old path, readiness names the problem; moved back, the agent is ready again and
    /// the Job still has not run again. The runs are counted in a file the Job's container appends to.</summary>
    [Fact]
    public async Task A_state_dir_moved_away_starts_no_job_run_and_moved_back_the_agent_goes_on()
    {
        await using var agent = Harness();
        var job = instance.Name("once");
        var runs = Path.Combine(agent.Manifests, "out", "runs");
        Directory.CreateDirectory(Path.GetDirectoryName(runs)!);
        agent.Write($"{job}.yaml", $"apiVersion: agent/v1\nkind: Job\nmetadata:\n  name: {job}\nspec:\n  backoffLimit: 0\n  ttlAfterFinished: 1s\n" +
            $"  container:\n    image: {TestEngine.Image}\n    command: [\"sh\", \"-c\", \"echo ran >> /out/runs\"]\n    volumes: [\"./out:/out\"]\n    stopSignal: SIGKILL\n");
        await agent.StartAsync();
        using var client = Client(agent);
        var history = Path.Combine(agent.StateDir, "jobs", $"Job-{job}.json");
        await Eventually.TrueAsync(async () => File.Exists(runs) && File.ReadAllLines(runs).Length == 1 && File.Exists(history)
                && (await Jobs.JobContainers.ListAsync(instance, job)).Count == 0,
            TimeSpan.FromSeconds(60), "the Job ran once and ttlAfterFinished removed its container");
        await Eventually.ReturnsAsync(() => client.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "ready");

        var moved = agent.StateDir + ".moved";
        Directory.Move(agent.StateDir, moved);
        var readyz = await client.GetAsync("/readyz?verbose");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
        Assert.Contains($"the state dir {agent.StateDir} is missing", await readyz.Content.ReadAsStringAsync());
        await Task.Delay(TimeSpan.FromSeconds(6)); // past the watch's 5 s, as an operator would see it
        // probe-16 F8: a manifest event while it is away (a new file: manifest-files.json changes) made the state dir
        // again, empty; moving it back then nested it (state/state.moved) and the agent never was back.
        var other = instance.Name("later");
        agent.Write($"{other}.yaml", $"apiVersion: agent/v1\nkind: Job\nmetadata:\n  name: {other}\nspec:\n  backoffLimit: 0\n  ttlAfterFinished: 1s\n" +
            $"  container:\n    image: {TestEngine.Image}\n    command: [\"true\"]\n    stopSignal: SIGKILL\n");
        await agent.Logs.WaitForAsync(TimeSpan.FromSeconds(30), "manifest-files.json", "no state file is written until it is back");
        // probe-65 M3: a job read Ready while nothing could start; it is not Ready now, and says why.
        var laterKey = new Core.Model.ObjectKey(Core.Model.Job.KindName, other);
        await Eventually.TrueAsync(() => Task.FromResult(agent.Status.Get(laterKey)?.Condition("Ready") is { Status: "False", Reason: Core.Jobs.JobConditions.StateDirUnavailable }),
            TimeSpan.FromSeconds(15), "the job added while the state dir is away reads Ready=False StateDirUnavailable");
        Assert.Contains("is missing", agent.Status.Get(laterKey)!.Condition("Ready")!.Message);
        for (var i = 0; i < 8; i++) // eight resyncs, and the watch's 5 s
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(["ran"], File.ReadAllLines(runs));
            Assert.Empty(await Jobs.JobContainers.ListAsync(instance, job));
            Assert.False(Directory.Exists(agent.StateDir)); // nothing written there as if fresh
        }

        Directory.Move(moved, agent.StateDir);
        await Eventually.ReturnsAsync(() => client.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "ready again");
        await agent.Logs.WaitForAsync(TimeSpan.FromSeconds(10), "is back");
        await Eventually.TrueAsync(() => Task.FromResult(agent.Status.Get(laterKey)?.Condition("Ready") is { Reason: not Core.Jobs.JobConditions.StateDirUnavailable }),
            TimeSpan.FromSeconds(15), "the job's StateDirUnavailable ends with the state dir back");
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(["ran"], File.ReadAllLines(runs));
        Assert.True(File.Exists(history));
        Assert.False(Path.Exists(Path.Combine(agent.StateDir, Path.GetFileName(moved)))); // not nested in a new one
        var index = Path.Combine(agent.StateDir, "manifest-files.json");
        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(index) && File.ReadAllText(index).Contains(other)),
            TimeSpan.FromSeconds(30), "the manifest index written again, with the file added while the state dir was away");
    }

    [Fact]
    public async Task A_stop_on_a_full_state_dir_is_a_507_and_changes_nothing_now_later_or_after_a_restart()
    {
        var group = instance.Name("full");
        await using var agent = Harness();
        await using (await MountTmpfsAsync(agent.StateDir))
        {
            agent.Write("g.yaml", Group(group, Sleeper("s")));
            await agent.StartAsync();
            await agent.WaitReadyAsync(group);
            await Containers.RunningAsync(instance, group, 1);

            await ExternalTool.ShellAsync($"dd if=/dev/zero of='{agent.StateDir}/fill' bs=4k"); // until the disk is full
            using (var client = Client(agent))
            {
                var response = await client.PostAsync($"/api/v1/servicegroups/{group}/stop", null);
                Assert.Equal((HttpStatusCode)507, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Assert.Equal("Insufficient Storage", problem.RootElement.GetProperty("title").GetString());
                Assert.Contains("No space left on device", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
                Assert.Contains("Nothing was changed", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
                Assert.Equal(Path.Combine(agent.StateDir, "suspended.json"), problem.RootElement.GetProperty("file").GetString());
            }
            // A container stop and an API job need their state file too: 507 naming it, nothing started or stopped.
            using (var admin = Client(agent, AdminToken))
            {
                var stop = await admin.PostAsync($"/api/v1/containers/{group}-s-1/stop?timeout=1s", null);
                Assert.Equal((HttpStatusCode)507, stop.StatusCode);
                using (var problem = JsonDocument.Parse(await stop.Content.ReadAsStringAsync()))
                    Assert.Equal(Path.Combine(agent.StateDir, "user-stops.json"), problem.RootElement.GetProperty("file").GetString());
                var job = await admin.PostAsync("/api/v1/jobs", new StringContent($"{{\"container\": {{\"image\": \"{TestEngine.Image}\", \"command\": [\"true\"]}}}}",
                    System.Text.Encoding.UTF8, "application/json"));
                Assert.Equal((HttpStatusCode)507, job.StatusCode);
                Assert.Contains("jobs", await job.Content.ReadAsStringAsync());
                Assert.Equal("", await DockerCli.RunAsync("ps", "-a", "-q", "--filter", $"label={instance.InstanceLabel}", "--filter", $"label={instance.Labels.JobRun}"));
                Assert.DoesNotContain("\"id\"", await admin.GetStringAsync("/api/v1/jobs"));
            }
            await StillRunningAsync(group);
            Assert.False(File.Exists(Path.Combine(agent.StateDir, "suspended.json")));
            Assert.DoesNotContain(Directory.GetFiles(agent.StateDir, "*", SearchOption.AllDirectories), f => f.Contains(".tmp", StringComparison.Ordinal));

            // A restart on the full disk starts, and remembers no stop.
            await agent.StopAsync();
            await agent.StartAsync();
            await agent.WaitReadyAsync(group);
            await StillRunningAsync(group);

            // With space again, the same stop is saved, takes effect, and survives a restart.
            File.Delete(Path.Combine(agent.StateDir, "fill"));
            using (var client = Client(agent))
                Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/servicegroups/{group}/stop", null)).StatusCode);
            await Eventually.ReturnsAsync(() => Containers.OfAsync(instance, group), rows => rows is [{ State: "exited" }], TimeSpan.FromSeconds(30), "stopped");
            await agent.StopAsync();
            await agent.StartAsync();
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Equal(["exited"], (await Containers.OfAsync(instance, group)).Select(r => r.State));
            await agent.StopAsync();
        }
    }

    /// <summary>probe-18 F10: a user's docker stop while the state dir is full is a user stop all the same (kept in memory,
    /// shown as StoppedByUser, the container left stopped), said once naming user-stops.json and the cause (log, /readyz,
    /// the status message), never an end of the events stream; with space again it is saved, and a restart knows it.</summary>
    [Fact]
    public async Task A_docker_stop_on_a_full_state_dir_is_kept_as_a_user_stop_said_once_and_saved_when_there_is_room()
    {
        var group = instance.Name("fullstop");
        await using var agent = Harness();
        await using (await MountTmpfsAsync(agent.StateDir))
        {
            agent.Write("g.yaml", Group(group, Sleeper("s", "      restart: \"no\"\n") + Sleeper("t")));
            await agent.StartAsync();
            await agent.WaitReadyAsync(group);
            await Containers.RunningAsync(instance, group, 2);
            var name = $"{group}-s-1";
            var id = (await DockerCli.InspectAsync(name, "{{.Id}}")).Trim();
            var file = Path.Combine(agent.StateDir, "user-stops.json");

            await ExternalTool.ShellAsync($"dd if=/dev/zero of='{agent.StateDir}/fill' bs=4k"); // until the disk is full
            await DockerCli.RunAsync("stop", name);

            var status = await agent.WaitForConditionAsync(group, ConditionTypes.Ready, "False", "StoppedByUser", TimeSpan.FromSeconds(30));
            var message = status.Condition(ConditionTypes.Ready)!.Message;
            Assert.Contains($"Stopped by user: {name}", message, StringComparison.Ordinal);
            Assert.Contains("user-stops.json cannot be saved (", message, StringComparison.Ordinal);
            var warning = await agent.Logs.WaitForAsync(TimeSpan.FromSeconds(10), $"State file {file} cannot be saved (", "kept in memory");
            Assert.Contains("No space left on device", warning, StringComparison.Ordinal);
            using (var client = Client(agent))
            {
                var ready = await client.GetAsync("/readyz?verbose");
                var text = await ready.Content.ReadAsStringAsync();
                Assert.True(ready.StatusCode == HttpStatusCode.OK, text); // the agent works on; the warning is named
                Assert.Contains("[+]records ok, warning: ", text, StringComparison.Ordinal);
                Assert.Contains($"{file} cannot be saved since ", text, StringComparison.Ordinal);
            }
            // Past two of its retries and several resyncs: still stopped, said once, and the events stream never lost.
            for (var i = 0; i < 12; i++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                Assert.StartsWith("exited", await DockerCli.InspectAsync(name, "{{.State.Status}}"), StringComparison.Ordinal);
            }
            Assert.Equal(1, agent.Logs.Count($"State file {file} cannot be saved ("));
            Assert.Equal(0, agent.Logs.Count("Engine events stream lost"));
            Assert.Equal("StoppedByUser", agent.Status.Get(new Agent.Core.Model.ObjectKey("ServiceGroup", group))?.Condition(ConditionTypes.Ready)?.Reason);

            // Room again: saved within a retry, said once; the status and /readyz no longer warn; a restart knows the stop.
            File.Delete(Path.Combine(agent.StateDir, "fill"));
            await agent.Logs.WaitForAsync(TimeSpan.FromSeconds(30), $"State file {file} is saved again");
            Assert.Contains($"\"{id}\":\"engine\"", await File.ReadAllTextAsync(file), StringComparison.Ordinal);
            await Eventually.TrueAsync(async () =>
            {
                using var client = Client(agent);
                return !(await (await client.GetAsync("/readyz?verbose")).Content.ReadAsStringAsync()).Contains("cannot be saved", StringComparison.Ordinal)
                       && agent.Status.Get(new Agent.Core.Model.ObjectKey("ServiceGroup", group))?.Condition(ConditionTypes.Ready) is { Reason: "StoppedByUser" } ready
                       && !ready.Message.Contains("cannot be saved", StringComparison.Ordinal);
            }, TimeSpan.FromSeconds(30), "no warning once saved");
            await agent.StopAsync();
            await agent.StartAsync();
            await agent.WaitForConditionAsync(group, ConditionTypes.Ready, "False", "StoppedByUser", TimeSpan.FromSeconds(30));
            await Task.Delay(TimeSpan.FromSeconds(3)); // three resyncs
            Assert.StartsWith("exited", await DockerCli.InspectAsync(name, "{{.State.Status}}"), StringComparison.Ordinal);
            await agent.StopAsync();
        }
    }

    /// <summary>probe-29 F4: an update whose stop could not be recorded first (a full state dir) failed in a loop while the
    /// group read Degraded False AsExpected, the cause only in the log. Now Degraded True ApplyFailed names the file and
    /// the error; the old container keeps running, and the update finishes once there is room.</summary>
    [Fact]
    public async Task An_update_that_cannot_record_its_stop_on_a_full_state_dir_is_degraded_naming_why_and_finishes_once_there_is_room()
    {
        var group = instance.Name("fullupd");
        await using var agent = Harness();
        await using (await MountTmpfsAsync(agent.StateDir))
        {
            agent.Write("g.yaml", Group(group, Sleeper("s", "      env:\n        V: \"1\"\n")));
            await agent.StartAsync();
            await agent.WaitReadyAsync(group);
            var name = $"{group}-s-1";
            var id = (await DockerCli.InspectAsync(name, "{{.Id}}")).Trim();

            await ExternalTool.ShellAsync($"dd if=/dev/zero of='{agent.StateDir}/fill' bs=4k"); // until the disk is full
            agent.Write("g.yaml", Group(group, Sleeper("s", "      env:\n        V: \"2\"\n")));
            var status = await agent.WaitForConditionAsync(group, ConditionTypes.Degraded, "True", "ApplyFailed", TimeSpan.FromSeconds(60));
            var message = status.Condition(ConditionTypes.Degraded)!.Message;
            Assert.Contains("user-stops.json", message, StringComparison.Ordinal);
            Assert.Contains("No space left on device", message, StringComparison.Ordinal);
            Assert.NotEqual("True", status.Condition(ConditionTypes.Ready)!.Status);
            Assert.Equal("true", await DockerCli.InspectAsync(id, "{{.State.Running}}")); // the old container serves on

            File.Delete(Path.Combine(agent.StateDir, "fill"));
            await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", "-f", "{{.State.Running}} {{range .Config.Env}}{{.}} {{end}}", name)).Stdout is var state
                    && state.StartsWith("true ", StringComparison.Ordinal) && state.Contains("V=2", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60), "the update finished once there was room");
            await agent.WaitForConditionAsync(group, ConditionTypes.Degraded, "False", null, TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>probe-18 F3: a CronJob's history that cannot be saved (a full state dir) while runs go on was logged at every
    /// save, 4-8 lines a second; now once per change of cause, and its recovery once.</summary>
    [Fact]
    public async Task A_cronjob_history_that_cannot_be_saved_is_said_once_while_runs_go_on_and_its_recovery_once()
    {
        var cron = instance.Name("fullcron");
        await using var agent = Harness();
        await using (await MountTmpfsAsync(agent.StateDir))
        {
            agent.Write("c.yaml", Jobs.JobContainers.CronJob(cron, "*/2 * * * * *", "sleep 1", "  successfulJobsHistoryLimit: 2\n"));
            await agent.StartAsync();
            var file = Path.Combine(agent.StateDir, "jobs", $"CronJob-{cron}.json");
            await Eventually.TrueAsync(() => Task.FromResult(File.Exists(file)), TimeSpan.FromSeconds(60), "the history written once");

            await ExternalTool.ShellAsync($"dd if=/dev/zero of='{agent.StateDir}/fill' bs=4k"); // until the disk is full
            var full = DateTimeOffset.UtcNow;
            var warning = await agent.Logs.WaitForAsync(TimeSpan.FromSeconds(60), $"State file {file} cannot be saved (", $"the job history of CronJob/{cron} is kept in memory");
            Assert.Contains("No space left on device", warning, StringComparison.Ordinal);
            // Runs go on (a container started after the disk filled up, and one more after that), each saving its history often.
            await Eventually.TrueAsync(async () => (await Jobs.JobContainers.ListAsync(instance, cron)).Count(c => c.Started > full.AddSeconds(1)) >= 2,
                TimeSpan.FromSeconds(60), "two runs on the full disk");
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Equal(1, agent.Logs.Count($"State file {file} cannot be saved ("));
            Assert.Equal(0, agent.Logs.Count("Job history of"));
            // probe-25: it read Ready with no word of it but in the log and /readyz. Degraded says so, and agent get cronjobs
            // adds its STATUS column; Ready stays (it runs on).
            var key = new Core.Model.ObjectKey(Core.Model.CronJob.KindName, cron);
            await Eventually.TrueAsync(() => Task.FromResult(agent.Status.Get(key)?.Condition("Degraded") is { Status: "True", Reason: Core.Jobs.JobConditions.HistoryNotSaved }),
                TimeSpan.FromSeconds(30), "Degraded HistoryNotSaved");
            Assert.Contains("No space left on device", agent.Status.Get(key)!.Condition("Degraded")!.Message);
            Assert.Equal("True", agent.Status.Get(key)!.Condition("Ready")!.Status);
            var cli = new Dictionary<string, string> { ["AGENT_Urls"] = agent.BaseAddress.ToString(), ["AGENT_TOKEN"] = OperatorToken };
            var (exit, table, stderr) = await AgentCli.RunAsync(cli, "get", "cronjobs");
            Assert.True(exit == 0, $"agent get cronjobs exited {exit}: {stderr}");
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(table, $@"(?m)^NAME .* STATUS\s*$[\s\S]*^{cron} .*[ ,]HistoryNotSaved\s*$"), table);

            File.Delete(Path.Combine(agent.StateDir, "fill"));
            await agent.Logs.WaitForAsync(TimeSpan.FromSeconds(30), $"State file {file} is saved again");
            await Eventually.TrueAsync(() => Task.FromResult(agent.Status.Get(key)?.Condition("Degraded") is { Status: "False" }), TimeSpan.FromSeconds(30), "Degraded False once saved");
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Equal(1, agent.Logs.Count($"State file {file} is saved again"));
            Assert.Equal(1, agent.Logs.Count($"State file {file} cannot be saved ("));
            await agent.StopAsync();
        }
    }

    [Fact]
    public async Task A_stop_on_a_read_only_state_dir_is_a_500_with_the_reason_and_changes_nothing()
    {
        var group = instance.Name("ro");
        await using var agent = Harness();
        await using (await MountTmpfsAsync(agent.StateDir))
        {
            agent.Write("g.yaml", Group(group, Sleeper("s")));
            await agent.StartAsync();
            await agent.WaitReadyAsync(group);
            await Containers.RunningAsync(instance, group, 1);

            await Sh($"mount -o remount,ro '{agent.StateDir}'");
            using (var client = Client(agent))
            {
                var response = await client.PostAsync($"/api/v1/servicegroups/{group}/stop", null);
                Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Assert.Equal("State Not Saved", problem.RootElement.GetProperty("title").GetString());
                var detail = problem.RootElement.GetProperty("detail").GetString()!;
                Assert.Contains($"writing {Path.Combine(agent.StateDir, "suspended.json")} failed: ", detail, StringComparison.Ordinal);
                Assert.Contains("Read-only file system", detail, StringComparison.Ordinal);
            }
            await StillRunningAsync(group);
            await agent.StopAsync();
        }
    }

    /// <summary>probe-31 F6: a prune the read-only state dir refuses (the stop cannot be recorded first) read `Pruning`,
    /// Degraded False, READY 0/N while its containers ran, and after the manifest was back, 0/2 for a minute more. It is
    /// Degraded naming why, READY counts what serves, and the manifest back makes it Ready at once.</summary>
    [Fact]
    public async Task A_prune_a_read_only_state_dir_refuses_is_degraded_naming_why_counts_what_serves_and_ends_when_the_manifest_is_back()
    {
        var (kept1, kept2, pruned) = (instance.Name("rok1"), instance.Name("rok2"), instance.Name("ropr"));
        await using var agent = Harness();
        await using (await MountTmpfsAsync(agent.StateDir))
        {
            agent.Write("k1.yaml", Group(kept1, Sleeper("s")));
            agent.Write("k2.yaml", Group(kept2, Sleeper("s")));
            agent.Write("p.yaml", Group(pruned, Sleeper("s", "      replicas: 2\n")));
            await agent.StartAsync();
            await agent.WaitReadyAsync(pruned);
            await Containers.RunningAsync(instance, pruned, 2);

            await Sh($"mount -o remount,ro '{agent.StateDir}'");
            var text = File.ReadAllText(Path.Combine(agent.Manifests, "p.yaml"));
            agent.Delete("p.yaml");
            var failed = await agent.WaitForConditionAsync(pruned, "Degraded", "True", "PruneFailed", TimeSpan.FromSeconds(60));
            Assert.Contains("Read-only file system", failed.Condition("Degraded")!.Message, StringComparison.Ordinal);
            Assert.Equal(2, Assert.Single(failed.Services).ReadyReplicas);
            Assert.Equal(["running", "running"], (await Containers.OfAsync(instance, pruned)).Select(r => r.State));

            agent.Write("p.yaml", text);
            await agent.WaitReadyAsync(pruned, TimeSpan.FromSeconds(20));
            await Sh($"mount -o remount,rw '{agent.StateDir}'");
            await agent.StopAsync();
        }
    }

    [Fact]
    public async Task A_second_agent_on_the_same_state_dir_or_instance_exits_naming_the_first_ones_pid_and_kill_9_frees_the_lock()
    {
        var manifests = Directory.CreateTempSubdirectory("agent-it-manifests-").FullName;
        var state = Directory.CreateTempSubdirectory("agent-it-state-").FullName;
        Process? first = null, third = null;
        try
        {
            first = StartAgent(manifests, state);
            await WaitForLockHolderAsync(state, first);

            var (exit, _, stderr) = await AgentCli.RunAsync("run", "--manifests", manifests, "--state-dir", state, "--instance", instance.Id, "--urls", "http://127.0.0.1:0");
            Assert.NotEqual(0, exit);
            Assert.Contains($"error: another agent (pid {first.Id}) is running with the state dir {state} (it holds {Path.Combine(state, "agent.lock")})", stderr, StringComparison.Ordinal);
            Assert.False(first.HasExited, "the first agent keeps running");

            // The same instance id with a state dir of its own: refused too, the two would fight over the same containers.
            var other = Directory.CreateTempSubdirectory("agent-it-state-").FullName;
            try
            {
                var (otherExit, _, otherError) = await AgentCli.RunAsync("run", "--manifests", manifests, "--state-dir", other, "--instance", instance.Id, "--urls", "http://127.0.0.1:0");
                Assert.NotEqual(0, otherExit);
                Assert.Contains($"error: another agent (pid {first.Id}) is running as instance {instance.Id}", otherError, StringComparison.Ordinal);
            }
            finally
            {
                Directory.Delete(other, recursive: true);
            }

            first.Kill(); // SIGKILL: the kernel drops the lock with the process
            await first.WaitForExitAsync();
            third = StartAgent(manifests, state);
            await WaitForLockHolderAsync(state, third);
        }
        finally
        {
            foreach (var p in new[] { first, third })
            {
                if (p is { HasExited: false }) p.Kill();
                p?.Dispose();
            }
            Directory.Delete(manifests, recursive: true);
            Directory.Delete(state, recursive: true);
        }
    }

    private Process StartAgent(string manifests, string state)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "agent.dll"), "run", "--manifests", manifests, "--state-dir", state, "--instance", instance.Id, "--urls", "http://127.0.0.1:0" })
            info.ArgumentList.Add(arg);
        info.Environment["AGENT_Agent__Auth__TokensFile"] = tokens;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static Task WaitForLockHolderAsync(string state, Process holder) =>
        Eventually.TrueAsync(async () =>
        {
            Assert.False(holder.HasExited, $"agent {holder.Id} exited with {(holder.HasExited ? holder.ExitCode : 0)}");
            var (_, stdout, _) = await ExternalTool.ShellAsync($"cat '{state}/agent.lock' 2>/dev/null");
            return stdout.Trim() == holder.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }, TimeSpan.FromSeconds(60), $"agent {holder.Id} holds the lock");

    /// <summary>probe-15i M6: a tokens file in a folder any user may write (0777, no sticky bit) stops `agent run`, naming
    /// the folder and the fix; the same folder mounted read-only (as a Kubernetes Secret volume is) cannot be written.</summary>
    [Fact]
    public async Task A_tokens_file_in_a_folder_others_may_write_stops_agent_run_but_not_on_a_read_only_mount()
    {
        var root = Directory.CreateTempSubdirectory("agent-it-m6-").FullName;
        var open = Directory.CreateDirectory(Path.Combine(root, "open")).FullName;
        var file = Path.Combine(open, "tokens");
        try
        {
            await Sh($"chmod 0777 '{open}' && printf 'admin:{AdminToken}\\n' > '{file}' && chmod 0600 '{file}'");
            var (exit, _, stderr) = await AgentCli.RunAsync(new Dictionary<string, string> { ["AGENT_Agent__Auth__TokensFile"] = file },
                "run", "--manifests", Directory.CreateDirectory(Path.Combine(root, "m")).FullName, "--state-dir", Path.Combine(root, "state"),
                "--instance", instance.Id, "--urls", "http://127.0.0.1:0");
            Assert.Equal(1, exit);
            Assert.Contains($"error: Agent:Auth:TokensFile {file} lies in {open}, which other users may write (mode 777, no sticky bit): " +
                            $"one could rename a file of his own over it, another user could make himself admin; chmod go-w {open}", stderr, StringComparison.Ordinal);

            await Sh($"mount -t tmpfs -o size=64k,mode=0777 agent-test-secret '{open}' && printf 'admin:{AdminToken}\\n' > '{file}' && chmod 0600 '{file}' " +
                     $"&& mount -o remount,ro '{open}'");
            await using var unmount = new Unmount(open);
            var options = Microsoft.Extensions.Options.Options.Create(new Agent.Hosting.AgentOptions
                { StateDir = Path.Combine(root, "state"), Auth = new() { TokensFile = file } });
            Assert.Equal(file, new Agent.Auth.TokenStore(options, Microsoft.Extensions.Logging.Abstractions.NullLogger<Agent.Auth.TokenStore>.Instance).FilePath);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
