using System.Net;
using Agent.IntegrationTests.Infrastructure;
using Agent.Reconciliation;

namespace Agent.IntegrationTests.State;

/// <summary>
/// probe-39 (MEDIUM): kill -9 of the real `agent run` during a group's API stop, then again during its API start, left the
/// stops' "agent" records in user-stops.json while the containers ran: the start that ends a record was made by the killed
/// agent (or seen by no agent), so no start event ever cleared it. The next agent read a user's later `docker stop` of such
/// a replica as its own stop and started it again under `restart: unless-stopped`. The test hook AGENT_TEST_KILL_AFTER_START
/// makes the agent kill itself right after the engine started a replica, before it records the start. A record of a stop
/// ends whenever its container is seen running since (here: the next agent's listing at its start). Checked through the
/// docker CLI and the state dir.
/// </summary>
public sealed class KilledAfterStartTests() : AgentProcessScenario("killstart")
{
    [Fact]
    public async Task The_stop_record_of_a_replica_started_just_before_a_kill_ends_and_a_later_docker_stop_is_the_users()
    {
        var g = Instance.Name("age");
        File.WriteAllText(Path.Combine(Manifests, "g.yaml"), Manifest.Group(g, Manifest.Sleeper("a", "      replicas: 2\n      restart: unless-stopped\n")));
        var agent = StartAgent();
        var first = (await Containers.RunningAsync(Instance, g, 2, Within)).Single(r => r.Name == $"{g}-a-1");
        var userStops = Path.Combine(StateDir, "user-stops.json");
        string Records() => File.Exists(userStops) ? File.ReadAllText(userStops) : "(none)";

        using (var admin = agent.Client())
            Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"/api/v1/servicegroups/{g}/stop", null)).StatusCode);
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, g)).All(r => r.State == "exited"), Within, "the group's replicas stopped");
        Assert.Contains($"\"{first.Id}\":\"agent\"", Records());
        await EndAgentAsync(); // kill -9: the group stays stopped (suspended.json), the stops recorded as the agent's

        agent = StartAgent(new Dictionary<string, string> { [PlanExecutor.KillAfterStartVariable] = first.Name });
        await agent.WaitReadyAsync(Within);
        using (var admin = agent.Client())
            await Assert.ThrowsAnyAsync<Exception>(() => admin.PostAsync($"/api/v1/servicegroups/{g}/start", null)); // killed inside the request
        await Eventually.TrueAsync(() => Task.FromResult(agent.HasExited), Within, "the agent killed itself right after the engine started a-1");
        await EndAgentAsync();
        Assert.Equal("true", await DockerCli.InspectAsync(first.Name, "{{.State.Running}}"));
        Assert.Contains($"\"{first.Id}\":\"agent\"", Records()); // what the kill left: the record of a stop whose container runs

        agent = StartAgent();
        await agent.WaitReadyAsync(Within);
        await Containers.RunningAsync(Instance, g, 2, Within); // a-2 too, if the killed start had not started it
        await agent.WaitForConditionAsync(g, "Ready", "True", within: Within);
        await Eventually.TrueAsync(() => Task.FromResult(!Records().Contains(first.Id, StringComparison.Ordinal)), TimeSpan.FromSeconds(15),
            () => $"the record of a-1's stop ended (it runs); user-stops.json: {Records()}; output:\n{agent.Output(20)}");

        await DockerCli.RunAsync("stop", "-t", "1", first.Name); // a user's stop: under unless-stopped it stays stopped
        await agent.WaitForConditionAsync(g, "Ready", "False", "StoppedByUser", TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.True(await DockerCli.InspectAsync(first.Name, "{{.State.Running}}") == "false",
            $"a-1 runs again after a user's docker stop; user-stops.json: {Records()}; output:\n{agent.Output(20)}");
        Assert.Contains($"\"{first.Id}\":\"engine\"", Records());
    }
}
