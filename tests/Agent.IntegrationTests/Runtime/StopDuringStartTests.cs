using System.Net;
using System.Text.Json;
using Agent.Core.Model;
using Agent.IntegrationTests.Infrastructure;
using Agent.Reconciliation;
using Microsoft.Extensions.DependencyInjection;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Runtime;

/// <summary>probe-36 1: a start that waited on a slow engine cleared a stop answered 8 s after it, and the group ran: the
/// acknowledged stop was lost. The later verb wins: the start that waited answers 409 (Superseded) and starts nothing;
/// the object stays stopped. The proxy freezes the engine while the start waits; the docker CLI is the oracle.</summary>
public sealed class StopDuringStartTests() : FreezableEngineScenario(new Dictionary<string, string?>
{
    ["Agent:EngineHeartbeat"] = "00:05:00", // the freeze is the start's wait only
})
{
    [Theory]
    [InlineData("servicegroups")]
    [InlineData("composeprojects")]
    public async Task A_stop_made_while_a_start_waits_for_the_engine_wins_and_the_start_starts_nothing(string resource) => await Agent.WithLogAsync(async () =>
    {
        var name = Instance.Name(resource == "servicegroups" ? "sdsg" : "sdcp");
        var kind = resource == "servicegroups" ? ServiceGroup.KindName : ServiceGroup.ComposeKindName;
        if (kind == ServiceGroup.KindName) Agent.Write("g.yaml", Group(name, Sleeper("db") + Sleeper("app", "      dependsOn: [db]\n")));
        else Agent.Write($"{name}/compose.yaml", "services:\n" + ComposeSleeper("db") + ComposeSleeper("app", "    depends_on: [db]\n"));
        await Agent.StartAsync();
        await Agent.WaitForConditionAsync(name, Core.Status.ConditionTypes.Ready, "True", kind: kind);
        var (db, app) = ($"{name}-db-1", $"{name}-app-1");

        using var api = Agent.Client(Agent.GeneratedAdminToken);
        Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsync($"/api/v1/{resource}/{name}/stop", null)).StatusCode);
        foreach (var c in new[] { db, app })
            await Eventually.TrueAsync(async () => await DockerCli.InspectAsync(c, "{{.State.Status}}") == "exited", TimeSpan.FromSeconds(60), $"{c} stopped");

        Proxy.Freeze();
        Task<HttpResponseMessage> start;
        try
        {
            start = api.PostAsync($"/api/v1/{resource}/{name}/start", null);
            await Task.Delay(TimeSpan.FromSeconds(2)); // the start waits on the frozen engine
            Assert.False(start.IsCompleted, "the start answered while the engine was frozen: the test did not test it");
            Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsync($"/api/v1/{resource}/{name}/stop", null)).StatusCode);
        }
        finally
        {
            Proxy.Thaw();
        }

        var answer = await start;
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.Conflict, $"{(int)answer.StatusCode}: {body}");
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("Superseded", problem.RootElement.GetProperty("title").GetString());
        Assert.Contains("the later stop wins", problem.RootElement.GetProperty("detail").GetString());
        Assert.True(Agent.Services.GetRequiredService<RuntimeOverrides>().IsSuspended(new ObjectKey(kind, name)), "the stop answered last is kept");
        // The CLI: nothing of it runs, now or a few resyncs later.
        for (var look = 0; look < 3; look++)
        {
            foreach (var c in new[] { db, app })
                Assert.Equal("exited", await DockerCli.InspectAsync(c, "{{.State.Status}}"));
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    });
}
