using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Cli;

/// <summary>probe-19: `agent logs -f` exited 0 when the engine died under the stream, as if the container had stopped.
/// Now the agent asks the engine when a followed stream ends, and cuts the response off when it does not answer: the CLI
/// fails naming why. On a private dockerd killed with -9 (the container keeps running under its shim).</summary>
public sealed class LogsEngineLossTests : PrivateEngineScenario
{
    [Fact]
    public async Task A_followed_log_stream_that_the_engine_broke_off_fails_and_one_whose_container_stopped_ends_with_0()
    {
        var g = Instance.Name("logsloss");
        Agent.Write("g.yaml", Group(g,
            $"    - name: s\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"i=0; while true; do i=$((i+1)); echo line $i; sleep 0.2; done\"]\n      stopSignal: SIGKILL\n" +
            $"    - name: once\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"sleep 3; echo done\"]\n      restart: \"no\"\n"));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(120));
        var env = new Dictionary<string, string> { ["AGENT_TOKEN"] = "" };

        // A container that stops ends the stream as docker logs -f does: exit 0.
        using (var ended = AgentCli.Start(env, "logs", $"{g}-once-1", "-f", "--state-dir", Agent.StateDir))
        {
            await Eventually.TrueAsync(() => Task.FromResult(ended.HasExited), TimeSpan.FromSeconds(60), "logs -f of a container that stopped ends");
            Assert.True(ended.ExitCode == 0, ended.Stderr);
        }

        // One container's stream and the group's (probe-20: the group's exited 0 on the same loss).
        using var follow = AgentCli.Start(env, "logs", $"{g}-s-1", "-f", "--state-dir", Agent.StateDir);
        using var group = AgentCli.Start(env, "logs", $"servicegroup/{g}", "--service", "s", "-f", "--state-dir", Agent.StateDir);
        await follow.WaitForOutputAsync(o => o.Contains("line 3\n", StringComparison.Ordinal), "lines streamed");
        await group.WaitForOutputAsync(o => o.Contains("| line ", StringComparison.Ordinal), "the group's lines streamed");
        await Engine.KillAsync();

        foreach (var stream in new[] { follow, group })
        {
            await Eventually.TrueAsync(() => Task.FromResult(stream.HasExited), TimeSpan.FromSeconds(90), "logs -f ends once the engine is gone");
            Assert.True(stream.ExitCode != 0, $"exit {stream.ExitCode}\nstdout tail: {stream.Stdout[^Math.Min(300, stream.Stdout.Length)..]}\nstderr: {stream.Stderr}");
            Assert.Contains("broke off", stream.Stderr);
            Assert.Contains("--- logs ended:", stream.Stdout);
            // The reason is said once, on the stream's last line; stderr points at it (probe-22 F10: printed twice).
            var why = stream.Stdout[(stream.Stdout.LastIndexOf("--- logs ended: ", StringComparison.Ordinal) + "--- logs ended: ".Length)..].Split('\n')[0];
            Assert.DoesNotContain(why, stream.Stderr);
            Assert.Contains("line above says why", stream.Stderr);
        }
    }
}
