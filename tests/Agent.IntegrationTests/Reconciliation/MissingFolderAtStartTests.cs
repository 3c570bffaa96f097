using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>probe-18 F7: an agent started while its manifests folder is missing held its groups (right) but showed READY
/// "-" and AGE from its own start beside their running containers; now READY is counted from the containers and AGE
/// reaches back to the oldest.</summary>
public sealed class MissingFolderAtStartTests : AgentScenario
{
    [Fact]
    public async Task Groups_held_since_the_agent_started_without_its_folder_count_READY_from_their_containers_and_age_from_the_oldest()
    {
        var g = Instance.Name("nofolder");
        Agent.Write("g.yaml", Group(g, Sleeper("s", "      replicas: 2\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(120));
        var created = DateTimeOffset.Parse((await DockerCli.InspectAsync($"{g}-s-1", "{{.Created}}")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await Agent.StopAsync();

        var away = Agent.Manifests + ".away";
        Directory.Move(Agent.Manifests, away);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2)); // so that an AGE from the agent's start would be later than the containers'
            await Agent.StartAsync();
            var key = new ObjectKey(ServiceGroup.KindName, g);
            var status = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(key)),
                s => s is { Services.Count: 1 } && s.Condition(ConditionTypes.Ready)?.Status == "False",
                TimeSpan.FromSeconds(60), "the held group with its services");
            var s = Assert.Single(status!.Services);
            Assert.Equal((2, 2), (s.DesiredReplicas, s.ReadyReplicas));
            Assert.All(s.Containers, c => Assert.Equal("running", c.State));
            Assert.True(status.Since <= created.AddSeconds(1), $"since {status.Since}, container created {created}");
            Assert.Equal("running", (await DockerCli.InspectAsync($"{g}-s-1", "{{.State.Status}}")).Trim()); // held: nothing removed
        }
        finally
        {
            await Agent.StopAsync();
            Directory.Move(away, Agent.Manifests);
        }
    }
}
