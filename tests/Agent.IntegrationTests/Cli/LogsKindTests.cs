using Agent.IntegrationTests.Infrastructure;
using Agent.IntegrationTests.Jobs;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Cli;

/// <summary>probe-18 F4: `agent logs job/ID`, `cronjob/NAME`, `servicegroup/NAME`, `composeproject/NAME` as kubectl logs
/// and docker compose logs take them (before: refused as the container "job%2Fx", pointing at an HTTP route); and exec on
/// a container of a stopped group hints `agent start servicegroup/NAME`. Through the CLI program on the real engine.</summary>
public sealed class LogsKindTests : AgentScenario
{
    private Dictionary<string, string> Env() => new() { ["AGENT_Urls"] = Agent.BaseAddress.ToString(), ["AGENT_TOKEN"] = Agent.GeneratedAdminToken };

    private Task<(int Exit, string Stdout, string Stderr)> Cli(params string[] args) => AgentCli.RunAsync(Env(), args);

    /// <summary>Polls `agent logs ARGS` until its output holds every one of <paramref name="expected"/> lines.</summary>
    private Task<string> LogsWithAsync(string[] args, params string[] expected) =>
        Eventually.ReturnsAsync(async () =>
        {
            var (exit, stdout, stderr) = await Cli(["logs", .. args]);
            return exit == 0 ? stdout : $"exit {exit}: {stdout}\n{stderr}";
        }, text => expected.All(e => text.Split('\n').Select(l => l.TrimEnd()).Contains(e)), TimeSpan.FromSeconds(90),
            $"agent logs {string.Join(' ', args)} printing {string.Join(", ", expected)}");

    [Fact]
    public async Task Logs_of_a_job_a_cronjobs_latest_run_a_group_and_a_compose_project_are_printed_by_kind_and_name()
    {
        var (g, project, job, cron) = (Instance.Name("lg"), Instance.Name("lp"), Instance.Name("lj"), Instance.Name("lc"));
        Agent.Write("g.yaml", Group(g, $"    - name: s\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"echo group-says-hi; exec sleep 3600\"]\n      stopSignal: SIGKILL\n"));
        Agent.Write($"{project}/compose.yaml", "services:\n" +
            $"  api:\n    image: {TestEngine.Image}\n    command: [\"sh\", \"-c\", \"echo api-up; exec sleep 3600\"]\n    stop_signal: SIGKILL\n" +
            $"  db:\n    image: {TestEngine.Image}\n    command: [\"sh\", \"-c\", \"echo db-up; exec sleep 3600\"]\n    stop_signal: SIGKILL\n");
        Agent.Write("job.yaml", JobContainers.Job(job, "echo job-ran", "  backoffLimit: 0\n"));
        Agent.Write("cron.yaml", JobContainers.CronJob(cron, "0 0 1 1 *", "echo cron-ran"));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        await Agent.WaitProjectReadyAsync(project);

        Assert.Equal("job-ran", (await LogsWithAsync([$"job/{job}"], "job-ran")).Trim());
        await LogsWithAsync([$"servicegroup/{g}"], $"{g}-s-1 | group-says-hi");
        // Each container's lines prefixed with its name, padded to the longest, services in name order (docker compose logs).
        var (api, db) = ($"{project}-api-1", $"{project}-db-1");
        var both = await LogsWithAsync([$"composeproject/{project}"], $"{api} | api-up", $"{db}  | db-up");
        Assert.True(both.IndexOf("api-up", StringComparison.Ordinal) < both.IndexOf("db-up", StringComparison.Ordinal), both);
        var onlyDb = await LogsWithAsync([$"cp/{project}", "--service", "db", "--tail", "5"], $"{db} | db-up");
        Assert.DoesNotContain("api-up", onlyDb);
        var noService = await Cli("logs", $"composeproject/{project}", "--service", "cache");
        Assert.Equal(1, noService.Exit);
        Assert.Contains("has no container of service \"cache\" (its services: api, db)", noService.Stderr);

        // A CronJob that has not run: said so; once triggered, its run's output.
        var notRun = await Cli("logs", $"cronjob/{cron}");
        Assert.Equal(1, notRun.Exit);
        Assert.Contains($"cronjob/{cron} has no run with a container yet", notRun.Stderr);
        using (var http = Agent.Client(Agent.GeneratedAdminToken))
            (await http.PostAsync($"/api/v1/cronjobs/{cron}/trigger", null)).EnsureSuccessStatusCode();
        Assert.Equal("cron-ran", (await LogsWithAsync([$"cronjob/{cron}"], "cron-ran")).Trim());

        // Names shown as typed, and the CLI command that lists what there is.
        var missing = await Cli("logs", "job/nope");
        Assert.Equal(1, missing.Exit);
        Assert.Contains("no Job \"nope\" (agent get jobs lists them)", missing.Stderr);
        var notOurs = await Cli("logs", "not-ours");
        Assert.Equal(1, notOurs.Exit);
        Assert.Contains("No container \"not-ours\" managed by this agent (agent get containers lists them", notOurs.Stderr);
        Assert.DoesNotContain("/api/v1", notOurs.Stderr);
        var badKind = await Cli("logs", "volume/x");
        Assert.Equal(1, badKind.Exit);
        Assert.DoesNotContain("%2F", badKind.Stderr);
        Assert.Contains("agent get containers", badKind.Stderr);
    }

    [Fact]
    public async Task A_stopped_group_reads_0_of_its_replicas_options_before_the_verb_work_and_exec_hints_agent_start()
    {
        var g = Instance.Name("lx");
        Agent.Write("g.yaml", Group(g, Sleeper("s", "      replicas: 2\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var stop = await Cli("stop", $"servicegroup/{g}", "--timeout", "2m");
        Assert.True(stop.Exit == 0, stop.Stderr);
        Assert.Equal("exited", await DockerCli.InspectAsync($"{g}-s-1", "{{.State.Status}}"));

        // probe-18 F6: READY 0/2 Stopped (before: 0/0 Suspended), and options before the verb (before: '--state-dir' was not matched),
        // here with only the state dir to find the agent and its token.
        var get = await AgentCli.RunAsync(new Dictionary<string, string>(), "--state-dir", Agent.StateDir, "get", "servicegroup", g);
        Assert.True(get.Exit == 0, $"{get.Stdout}\n{get.Stderr}");
        Assert.Matches($@"(?m)^{g}\s+0/2\s+Stopped\s", get.Stdout);
        var down = await Cli("down", $"servicegroup/{g}");
        Assert.Equal(1, down.Exit);
        Assert.Contains($"a ServiceGroup is stopped and started, not taken down and brought up: agent stop servicegroup/{g}", down.Stderr);
        Assert.DoesNotContain("No route", down.Stderr);

        var exec = await Cli("exec", $"{g}-s-1", "--", "true");
        Assert.Equal(1, exec.Exit);
        // Before: "Start it first (POST /api/v1/containers/NAME/start)", which answers 409 for a container of a stopped group.
        Assert.Contains($"agent start servicegroup/{g}", exec.Stderr);
        Assert.DoesNotContain($"containers/{g}-s-1/start", exec.Stderr);
    }
}
