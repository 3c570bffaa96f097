using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>Failures show in status and never stop the loop: a missing image, an unhealthy container.</summary>
public sealed class FailureReportingTests() : AgentScenario(new Dictionary<string, string?> { ["Agent:UnhealthyGrace"] = "00:00:02" })
{
    [Fact]
    public async Task A_missing_image_is_a_status_error_and_other_groups_still_converge()
    {
        var bad = Instance.Name("noimage");
        var good = Instance.Name("fine");
        Agent.Write("bad.yaml", Group(bad, "    - name: s\n      image: agent-test/missing:1\n      imagePullPolicy: Never\n"));
        Agent.Write("good.yaml", Group(good, Sleeper("s")));
        await Agent.StartAsync();
        var status = await Agent.WaitForConditionAsync(bad, ConditionTypes.Degraded, "True", "ApplyFailed");
        Assert.Contains("agent-test/missing:1", status.Condition(ConditionTypes.Degraded)!.Message);
        Assert.Contains("agent-test/missing:1", status.LastError);
        await Agent.WaitReadyAsync(good);
        Assert.Empty(await Containers.OfAsync(Instance, bad));
    }

    [Fact]
    public async Task An_update_whose_new_volume_is_refused_keeps_the_old_container_running()
    {
        var g = Instance.Name("volkeep");
        Agent.Write("g.yaml", Group(g, Sleeper("s")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var running = await DockerCli.InspectAsync($"{g}-s-1", "{{.Id}}");

        // This instance's labels but no object's (as POST /volumes makes them): the volume is made, the mount is refused.
        await DockerCli.RunAsync("volume", "create", "--label", $"{Instance.Labels.Managed}=true", "--label", Instance.InstanceLabel, $"{g}_taken");
        Agent.Write("g.yaml", Group(g, Sleeper("s", "      volumes: [\"taken:/taken\"]\n")));
        var refused = await Agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "True", "ApplyFailed");
        Assert.Contains("the running container is kept", refused.LastError);
        Assert.Contains($"{g}_taken is not this object's", refused.LastError);
        Assert.Equal($"{running} true", await DockerCli.InspectAsync($"{g}-s-1", "{{.Id}} {{.State.Running}}"));

        // Not the agent's at all: the volume cannot be made, so the old container is not even stopped.
        var foreign = $"{g}_foreign";
        try
        {
            await DockerCli.RunAsync("volume", "create", foreign);
            Agent.Write("g.yaml", Group(g, Sleeper("s", "      volumes: [\"foreign:/foreign\"]\n")));
            await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(new(ServiceGroup.KindName, g))?.LastError?.Contains(foreign) == true),
                TimeSpan.FromSeconds(60), "the foreign volume is reported");
            Assert.Contains("was not made by this agent", Agent.Status.Get(new(ServiceGroup.KindName, g))!.LastError);
            Assert.Equal($"{running} true", await DockerCli.InspectAsync($"{g}-s-1", "{{.Id}} {{.State.Running}}"));
        }
        finally
        {
            await DockerCli.TryRunAsync("volume", "rm", "-f", foreign);
        }
    }

    [Fact]
    public async Task A_container_unhealthy_for_longer_than_the_grace_is_restarted()
    {
        var g = Instance.Name("unhealthy");
        // Healthy while /tmp/ok exists; the test removes it.
        Agent.Write("g.yaml", Group(g, $"    - name: s\n      image: {TestEngine.Image}\n      command: [\"sh\", \"-c\", \"touch /tmp/ok; exec sleep 3600\"]\n      stopSignal: SIGKILL\n" +
            "      healthcheck: { test: [\"CMD\", \"test\", \"-f\", \"/tmp/ok\"], interval: 500ms, timeout: 1s, retries: 1 }\n"));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var name = $"{g}-s-1";
        var started = await DockerCli.InspectAsync(name, "{{.State.StartedAt}}");
        await DockerCli.RunAsync("exec", name, "rm", "/tmp/ok");
        await Eventually.TrueAsync(async () => await DockerCli.InspectAsync(name, "{{.State.StartedAt}}") != started, TimeSpan.FromSeconds(60), "restarted after the grace");
        await Eventually.TrueAsync(async () => await DockerCli.InspectAsync(name, "{{.State.Health.Status}}") == "healthy", TimeSpan.FromSeconds(30), "healthy again");
    }
}
