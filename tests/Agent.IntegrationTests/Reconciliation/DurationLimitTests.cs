using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>probe-15j M4 on the real engine: an update whose healthTimeout is 99999999h is refused at its field, and the
/// running group is left exactly as it was (same container, same start, no -next container).</summary>
public sealed class DurationLimitTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();

    public Task InitializeAsync() => instance.InitializeAsync();

    public Task DisposeAsync() => instance.DisposeAsync();

    [Fact]
    public async Task An_update_with_a_health_timeout_past_its_maximum_is_refused_naming_the_field_and_the_running_group_is_untouched()
    {
        var group = instance.Name("dur");
        await using var agent = new AgentHarness(instance, new Dictionary<string, string?> { ["Agent:ResyncInterval"] = "00:00:01" });
        agent.Write("g.yaml", Group(group, Sleeper("s", "      update: { strategy: start-first, healthTimeout: 30s }\n")));
        await agent.StartAsync();
        await agent.WaitReadyAsync(group);
        var before = await Containers.RunningAsync(instance, group, 1);
        var started = await DockerCli.InspectAsync(before[0].Id, "{{.State.StartedAt}}");

        // A changed command would update the service; the update's healthTimeout would overflow.
        agent.Write("g.yaml", Group(group, Sleeper("s", "      update: { strategy: start-first, healthTimeout: 99999999h }\n      env: { CHANGED: \"1\" }\n")));
        var status = await Eventually.ReturnsAsync(() => Task.FromResult(agent.Status.Get(new("ServiceGroup", group))!),
            s => s.ManifestErrors.Count > 0, TimeSpan.FromSeconds(30), "the error reported");
        Assert.Equal("g.yaml:11:55: spec.services[0].update.healthTimeout: \"99999999h\" is longer than the longest this field takes, 2147483647s (596523h, about 68 years)",
            Assert.Single(status.ManifestErrors));
        Assert.Equal("InvalidManifest", status.Condition(ConditionTypes.Degraded)!.Reason);

        for (var i = 0; i < 3; i++) // several resyncs
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(before, await Containers.OfAsync(instance, group)); // no -next container, nothing stopped
            Assert.Equal(started, await DockerCli.InspectAsync(before[0].Id, "{{.State.StartedAt}}"));
        }
        await agent.StopAsync();
    }
}
