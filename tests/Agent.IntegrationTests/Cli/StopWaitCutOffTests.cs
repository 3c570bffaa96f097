using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Cli;

/// <summary>probe-27 F5.2: `agent stop` waiting for the containers to stop, the agent killed -9 meanwhile: the CLI said
/// only "cannot reach the agent ... Is `agent run` running?", as if the stop had never been asked, though it was taken
/// and the next agent kept it.</summary>
public sealed class StopWaitCutOffTests() : AgentProcessScenario("stopwait")
{
    [Fact]
    public async Task An_agent_killed_while_the_cli_waits_for_a_stop_is_said_to_have_taken_it_and_the_next_agent_keeps_it()
    {
        var group = Instance.Name("slow");
        File.WriteAllText(Path.Combine(Manifests, "g.yaml"), Manifest.Group(group,
            $"    - name: s\n      image: {TestEngine.Image}\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGTERM\n      stopGracePeriod: 20s\n"));
        var agent = StartAgent();
        var container = Assert.Single(await Containers.RunningAsync(Instance, group, 1, Within));
        var env = new Dictionary<string, string> { ["AGENT_Urls"] = $"http://127.0.0.1:{agent.Port}", ["AGENT_TOKEN"] = agent.AdminToken };

        var stop = AgentCli.RunAsync(env, "stop", $"servicegroup/{group}");
        await Eventually.TrueAsync(async () => (await DockerCli.InspectAsync(container.Id, "{{.State.Running}}")).Trim() == "true"
                                               && File.Exists(Path.Combine(StateDir, "user-stops.json")) && File.ReadAllText(Path.Combine(StateDir, "user-stops.json")).Contains(container.Id[..12], StringComparison.Ordinal),
            Within, "the stop under way (busybox sleep ignores SIGTERM: 20 s of grace)");
        await EndAgentAsync(); // kill -9
        var (exit, stdout, stderr) = await stop;
        Assert.True(exit == 1, $"exit {exit}\n{stdout}\n{stderr}");
        Assert.Contains($"the agent went away while waiting for servicegroup/{group} to stop: the stop was taken before", stderr);
        Assert.DoesNotContain("Is `agent run` running?", stderr);

        StartAgent();
        await Eventually.TrueAsync(async () => (await DockerCli.InspectAsync(container.Id, "{{.State.Running}}")).Trim() == "false", Within, "stopped");
        for (var until = DateTime.UtcNow.AddSeconds(5); DateTime.UtcNow < until; await Task.Delay(1000))
            Assert.Equal("false", (await DockerCli.InspectAsync(container.Id, "{{.State.Running}}")).Trim()); // the next agent keeps the stop
    }
}
