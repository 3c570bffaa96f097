using System.Net;
using System.Net.Http.Headers;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.State;

/// <summary>
/// probe-15j M7 on the real engine: a torn user-stops.json or suspended.json never starts what an operator stopped. The
/// agent restarts over the torn file, keeps the stopped containers stopped over several resyncs (docker CLI), reports it,
/// and behaves as usual once the operator deletes the marker.
/// </summary>
public sealed class LostRecordTests : IAsyncLifetime
{
    private const string AdminToken = "admin-token-0123456789abcdef0123";
    private readonly TestInstance instance = new();
    private readonly string tokens = Path.GetTempFileName();

    public async Task InitializeAsync()
    {
        await instance.InitializeAsync();
        await File.WriteAllTextAsync(tokens, $"admin:{AdminToken}\n");
    }

    public async Task DisposeAsync()
    {
        await instance.DisposeAsync();
        File.Delete(tokens);
    }

    private AgentHarness Harness() => new(instance, new Dictionary<string, string?>
    {
        ["Agent:Auth:TokensFile"] = tokens,
        ["Agent:ResyncInterval"] = "00:00:01", // a start on a guess would show within a second
    });

    private static HttpClient Admin(AgentHarness agent)
    {
        var client = agent.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    private async Task<string> StateOfAsync(string name) => (await DockerCli.InspectAsync(name, "{{.State.Status}} {{.State.StartedAt}}")).Trim();

    /// <summary>The container stays as it is over several resyncs.</summary>
    private async Task StaysAsync(string name, string state)
    {
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(state, await StateOfAsync(name));
        }
    }

    [Fact]
    public async Task A_replica_stopped_through_the_api_stays_stopped_over_a_torn_user_stops_file_until_the_marker_is_deleted()
    {
        var group = instance.Name("ustops");
        await using var agent = Harness();
        agent.Write("g.yaml", Group(group, Sleeper("s", "      replicas: 2\n")));
        await agent.StartAsync();
        await agent.WaitReadyAsync(group);
        await Containers.RunningAsync(instance, group, 2);
        using (var admin = Admin(agent))
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/containers/{group}-s-1/stop?timeout=1s", null)).StatusCode);
        await Eventually.TrueAsync(async () => (await StateOfAsync($"{group}-s-1")).StartsWith("exited", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "stopped");
        var stopped = await StateOfAsync($"{group}-s-1");
        var other = await StateOfAsync($"{group}-s-2");

        await agent.StopAsync();
        var record = Path.Combine(agent.StateDir, "user-stops.json");
        var text = await File.ReadAllTextAsync(record);
        await File.WriteAllTextAsync(record, text[..(text.Length / 2)]); // torn
        await agent.StartAsync();

        await StaysAsync($"{group}-s-1", stopped);
        Assert.Equal(other, await StateOfAsync($"{group}-s-2"));
        var marker = Path.Combine(agent.StateDir, "user-stops.json.lost");
        Assert.Contains("the agent starts no stopped container", await File.ReadAllTextAsync(marker), StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(agent.StateDir, "user-stops.json.corrupt-*"));
        var status = await agent.WaitForConditionAsync(group, ConditionTypes.Ready, "False", "StoppedByUser");
        Assert.Contains($"Held stopped: {group}-s-1 (the record of user stops was lost", status.Condition(ConditionTypes.Ready)!.Message, StringComparison.Ordinal);
        using (var admin = Admin(agent))
        {
            var ready = await admin.GetAsync("/readyz?verbose");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode); // the objects apply; the warning is named
            Assert.Contains("user-stops.json could not be read", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        File.Delete(marker); // the operator has looked: the restart policy (always) applies again
        await Containers.RunningAsync(instance, group, 2, TimeSpan.FromSeconds(30));
        await agent.WaitReadyAsync(group);
        await agent.StopAsync();
    }

    [Fact]
    public async Task A_group_stopped_through_the_api_stays_stopped_over_a_torn_suspended_file_until_the_marker_is_deleted()
    {
        var group = instance.Name("susp");
        await using var agent = Harness();
        agent.Write("g.yaml", Group(group, Sleeper("s")));
        await agent.StartAsync();
        await agent.WaitReadyAsync(group);
        await Containers.RunningAsync(instance, group, 1);
        using (var admin = Admin(agent))
            Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"/api/v1/servicegroups/{group}/stop", null)).StatusCode);
        await Eventually.ReturnsAsync(() => Containers.OfAsync(instance, group), rows => rows is [{ State: "exited" }], TimeSpan.FromSeconds(30), "stopped");
        var stopped = await StateOfAsync($"{group}-s-1");

        await agent.StopAsync();
        await File.WriteAllTextAsync(Path.Combine(agent.StateDir, "suspended.json"), "{}");
        await agent.StartAsync();

        await StaysAsync($"{group}-s-1", stopped);
        var status = await agent.WaitForConditionAsync(group, ConditionTypes.Ready, "False", "SuspendsLost");
        Assert.Contains("suspended.json could not be read", status.Condition(ConditionTypes.Ready)!.Message, StringComparison.Ordinal);
        Assert.Equal("{}", await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(agent.StateDir, "suspended.json.corrupt-*"))));
        using (var admin = Admin(agent))
        {
            var ready = await admin.GetAsync("/readyz?verbose");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("suspended.json.lost", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        File.Delete(Path.Combine(agent.StateDir, "suspended.json.lost")); // the record is gone: the group runs as its manifest says
        await Containers.RunningAsync(instance, group, 1, TimeSpan.FromSeconds(30));
        await agent.WaitReadyAsync(group);
        await agent.StopAsync();
    }
    /// <summary>probe-18 F5: once the operator deletes suspended.json.lost, every group held by it clears as soon as the
    /// agent notices (when /readyz passes again), not at the next resync (here 10 minutes away); the first log line says the
    /// agent holds what the record held until the marker is deleted.</summary>
    [Fact]
    public async Task Groups_held_by_a_lost_suspends_record_clear_when_the_marker_is_deleted_not_at_the_next_resync()
    {
        var first = instance.Name("held-a");
        var second = instance.Name("held-b");
        await using var agent = new AgentHarness(instance, new Dictionary<string, string?>
        {
            ["Agent:Auth:TokensFile"] = tokens,
            ["Agent:ResyncInterval"] = "00:10:00", // only the marker's deletion can clear them within the test
        });
        agent.Write("a.yaml", Group(first, Sleeper("s")));
        agent.Write("b.yaml", Group(second, Sleeper("s")));
        await agent.StartAsync();
        await agent.WaitReadyAsync(first);
        await agent.WaitReadyAsync(second);
        await agent.StopAsync();
        await File.WriteAllTextAsync(Path.Combine(agent.StateDir, "suspended.json"), "[{\"Serv");
        await agent.StartAsync();

        var marker = Path.Combine(agent.StateDir, "suspended.json.lost");
        var moved = await agent.Logs.WaitForAsync(TimeSpan.FromSeconds(10), "suspended.json is corrupt", "moved it aside");
        Assert.Contains($"holding what it records until {marker} is deleted", moved, StringComparison.Ordinal);
        Assert.DoesNotContain("starting without it", moved, StringComparison.Ordinal);
        foreach (var group in new[] { first, second })
            await agent.WaitForConditionAsync(group, ConditionTypes.Ready, "False", "SuspendsLost", TimeSpan.FromSeconds(30));
        await agent.WaitForConditionAsync(first, ConditionTypes.Degraded, "True", "SuspendsLost", TimeSpan.FromSeconds(30));

        File.Delete(marker);
        using (var admin = Admin(agent))
            await Eventually.ReturnsAsync(() => admin.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "ready once the marker is gone");
        foreach (var group in new[] { first, second })
        {
            var status = await agent.WaitReadyAsync(group, TimeSpan.FromSeconds(20));
            Assert.Equal("False", status.Condition(ConditionTypes.Degraded)!.Status);
            Assert.NotEqual("SuspendsLost", status.Condition(ConditionTypes.Degraded)!.Reason);
        }
        await agent.StopAsync();
    }
}
