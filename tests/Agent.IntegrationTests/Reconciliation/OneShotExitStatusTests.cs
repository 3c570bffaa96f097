using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>probe-18 F8: a replica whose container exited and whose restart policy leaves it so was reported
/// Progressing=True WaitingForReplicas ("o 0/1 ready") forever, and `agent wait --for=condition=Ready` ran to its timeout.
/// Now a one-shot that exited 0 is Ready/Completed; one that failed is Ready=False, Progressing=False, reason Exited,
/// naming the container, its exit code and the command that starts it; `agent wait` ends either way.</summary>
public sealed class OneShotExitStatusTests : AgentScenario
{
    private static string OneShot(string name, int code, string restart = "\"no\"") =>
        $"    - name: {name}\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"echo once-ran; sleep 2; exit {code}\"]\n      restart: {restart}\n      stopSignal: SIGKILL\n";

    private Task<(int Exit, string Stdout, string Stderr)> Cli(params string[] args) =>
        AgentCli.RunAsync(new Dictionary<string, string> { ["AGENT_TOKEN"] = "" }, [.. args, "--state-dir", Agent.StateDir]);

    private static async Task<string> InspectAsync(string container, string format) => (await DockerCli.InspectAsync(container, format)).Trim();

    [Fact]
    public async Task A_one_shot_that_exited_0_is_Completed_one_that_failed_is_Exited_not_Progressing_and_agent_wait_ends_on_both()
    {
        var (once, fails, project) = (Instance.Name("once"), Instance.Name("fails"), Instance.Name("oneshot"));
        Agent.Write("once.yaml", Group(once, OneShot("o", 0)));
        Agent.Write("fails.yaml", Group(fails, OneShot("o", 3, "on-failure:1")));
        Agent.Write($"{project}/compose.yaml", // compose's default restart is "no"
            $"services:\n  o:\n    image: {TestEngine.Image}\n    command: [\"sh\", \"-c\", \"echo once-ran; sleep 2; exit 4\"]\n    stop_signal: SIGKILL\n");
        await Agent.StartAsync();

        var completed = await Agent.WaitForConditionAsync(once, ConditionTypes.Ready, "True", GroupConditions.Completed, TimeSpan.FromSeconds(120));
        Assert.Equal($"generation 1 applied; {once}-o-1 completed (exit code 0) and restart: no leaves it so (agent start servicegroup/{once} runs it again)",
            completed.Condition(ConditionTypes.Ready)!.Message);
        Assert.Equal(("False", GroupConditions.Completed), (completed.Condition(ConditionTypes.Progressing)!.Status, completed.Condition(ConditionTypes.Progressing)!.Reason));
        Assert.Equal("False", completed.Condition(ConditionTypes.Degraded)!.Status);
        Assert.Equal("Completed (exit code 0)", Assert.Single(Assert.Single(completed.Services).Containers).Message);
        Assert.Equal("exited 0", await InspectAsync($"{once}-o-1", "{{.State.Status}} {{.State.ExitCode}}"));

        // on-failure:1: one restart, then its retries are spent and it stays exited.
        var failed = await Agent.WaitForConditionAsync(fails, ConditionTypes.Ready, "False", GroupConditions.Exited, TimeSpan.FromSeconds(120));
        Assert.Contains($"{fails}-o-1 failed 2 times (last exit code 3) and restart: on-failure:1 gave up (agent start servicegroup/{fails} starts it again)",
            failed.Condition(ConditionTypes.Ready)!.Message);
        Assert.Equal(("False", GroupConditions.Exited), (failed.Condition(ConditionTypes.Progressing)!.Status, failed.Condition(ConditionTypes.Progressing)!.Reason));
        Assert.Equal(("True", Hold.BackoffLimitExceeded), (failed.Condition(ConditionTypes.Degraded)!.Status, failed.Condition(ConditionTypes.Degraded)!.Reason));

        var compose = await Agent.WaitForConditionAsync(project, ConditionTypes.Ready, "False", GroupConditions.Exited, TimeSpan.FromSeconds(120), ServiceGroup.ComposeKindName);
        const string restartNo = "and restart: no leaves it so";
        Assert.Equal($"o 0/1 ready; {project}-o-1 exited with code 4 {restartNo} (agent up composeproject/{project} starts it again)", compose.Condition(ConditionTypes.Ready)!.Message);
        Assert.Equal(("False", GroupConditions.Exited), (compose.Condition(ConditionTypes.Progressing)!.Status, compose.Condition(ConditionTypes.Progressing)!.Reason));
        Assert.Equal(("True", GroupConditions.Exited), (compose.Condition(ConditionTypes.Degraded)!.Status, compose.Condition(ConditionTypes.Degraded)!.Reason));
        Assert.Equal("exited 4", await InspectAsync($"{project}-o-1", "{{.State.Status}} {{.State.ExitCode}}"));

        // agent wait: the completed one-shot is Ready (exit 0); the failed ones end with the reason long before the timeout.
        var ok = await Cli("wait", $"servicegroup/{once}", "--for=condition=Ready", "--timeout", "5m");
        Assert.True(ok.Exit == 0, ok.Stdout + ok.Stderr);
        foreach (var (reference, why) in new[] { ($"servicegroup/{fails}", "gave up"), ($"composeproject/{project}", "exited with code 4") })
        {
            var started = DateTime.UtcNow;
            var ended = await Cli("wait", reference, "--for=condition=Ready", "--timeout", "5m");
            Assert.True(ended.Exit == 1, $"{reference}: {ended.Exit}\n{ended.Stdout}\n{ended.Stderr}");
            Assert.Contains($"{reference} will not become Ready on its own: Ready is False: Exited:", ended.Stderr);
            Assert.Contains(why, ended.Stderr);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromMinutes(2), $"{reference}: waited {DateTime.UtcNow - started}");
        }

        var table = await Cli("get", "all");
        Assert.True(table.Exit == 0, table.Stderr);
        Assert.Matches($@"servicegroup/{once}\s+0/1\s+Completed\s", table.Stdout);
        Assert.Matches($@"composeproject/{project}\s+0/1\s+Exited\s", table.Stdout);

        // Nothing started them again meanwhile.
        Assert.Equal("exited 0", await InspectAsync($"{once}-o-1", "{{.State.Status}} {{.State.ExitCode}}"));
        Assert.Equal("exited 4", await InspectAsync($"{project}-o-1", "{{.State.Status}} {{.State.ExitCode}}"));

        // agent start runs the one-shot again (the hint the status gives); once it exited again it is Completed again.
        var before = await InspectAsync($"{once}-o-1", "{{.State.StartedAt}}");
        var start = await Cli("start", $"servicegroup/{once}");
        Assert.True(start.Exit == 0, start.Stdout + start.Stderr);
        Assert.NotEqual(before, await InspectAsync($"{once}-o-1", "{{.State.StartedAt}}"));
        await Eventually.TrueAsync(async () => await InspectAsync($"{once}-o-1", "{{.State.Status}} {{.State.ExitCode}}") == "exited 0",
            TimeSpan.FromSeconds(60), "the one-shot ran to its end again");
        await Agent.WaitForConditionAsync(once, ConditionTypes.Ready, "True", GroupConditions.Completed, TimeSpan.FromSeconds(120));
    }
}
