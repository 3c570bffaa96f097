using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;
using Agent.Reconciliation;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.IntegrationTests.Security;

/// <summary>Docker copies an image's labels into its containers: a container made by hand from an image the agent built,
/// or from an image someone gave the agent's ownership labels, is not the agent's. It is not listed, every verb answers
/// 404, and the reconciler leaves it alone across resyncs; the agent's own containers still work.</summary>
public sealed class InheritedOwnershipTests : SecurityScenario
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Agent:ResyncInterval"] = "00:00:01", ["Agent:PruneDelay"] = "00:00:00.100" };

    [Fact]
    public async Task Containers_that_inherit_agent_labels_from_their_image_are_foreign_and_never_pruned()
    {
        var g = Instance.Name("own");
        Agent.Write("g.yaml", Manifest.Group(g, Service("a")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        using var admin = Admin();

        // An image built through the API carries no ownership label, only its provenance.
        var built = $"{Instance.Id}-built:1";
        var log = await (await admin.PostAsync("/api/v1/images/build", Json(JsonSerializer.Serialize(new { tag = built, dockerfileInline = $"FROM {TestEngine.Image}\nRUN echo hi > /hi\n" })))).Content.ReadAsStringAsync();
        Assert.Contains("\"result\"", log);
        var imageLabels = await DockerCli.InspectAsync(built, "{{json .Config.Labels}}");
        Assert.DoesNotContain("agent.managed", imageLabels);
        Assert.DoesNotContain("agent.instance", imageLabels);
        Assert.Contains($"\"agent.built-by\":\"{Instance.Id}\"", imageLabels);

        // Build input naming an ownership label is refused: in the body (400) and from a LABEL line (the build fails, naming it; no tag left).
        using var bodyLabel = await admin.PostAsync("/api/v1/images/build", Json(JsonSerializer.Serialize(new { tag = $"{Instance.Id}-x:1", dockerfileInline = $"FROM {TestEngine.Image}\n", labels = new Dictionary<string, string> { ["agent.object"] = g } })));
        Assert.Equal(HttpStatusCode.BadRequest, bodyLabel.StatusCode);
        Assert.Contains("agent.object", await bodyLabel.Content.ReadAsStringAsync());
        var labelLine = await (await admin.PostAsync("/api/v1/images/build", Json(JsonSerializer.Serialize(new { tag = $"{Instance.Id}-y:1", dockerfileInline = $"FROM {TestEngine.Image}\nLABEL agent.managed=true agent.instance={Instance.Id}\n" })))).Content.ReadAsStringAsync();
        Assert.Contains("\"error\"", labelLine.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Contains("agent.managed", labelLine.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("image", "inspect", $"{Instance.Id}-y:1")).Exit);

        // An image made outside the agent with every ownership label of one of its replicas.
        var forged = $"{Instance.Id}-forged:1";
        var context = Directory.CreateTempSubdirectory("agent-it-forged-").FullName;
        var fromBuilt = Instance.Name("from-built");
        var fromForged = Instance.Name("from-forged");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"),
                $"FROM {TestEngine.Image}\nLABEL agent.managed=true agent.instance={Instance.Id} agent.kind=ServiceGroup agent.object={g} agent.service=a agent.replica=2 agent.spec-hash=x\n");
            await DockerCli.RunAsync("build", "-q", "-t", forged, context);
            await DockerCli.RunAsync("run", "-d", "--name", fromBuilt, built, "sleep", "600");
            await DockerCli.RunAsync("run", "-d", "--name", fromForged, forged, "sleep", "600");
            Assert.Equal(Instance.Id, await DockerCli.InspectAsync(fromForged, "{{index .Config.Labels \"agent.instance\"}}")); // inherited

            var cache = Agent.Services.GetRequiredService<ObservedCache>();
            var listings = cache.Listings;
            await Eventually.TrueAsync(() => Task.FromResult(cache.Listings >= listings + 3), TimeSpan.FromSeconds(60), "three resyncs");

            var list = await admin.GetStringAsync("/api/v1/containers");
            Assert.Contains($"{g}-a-1", list);
            Assert.DoesNotContain(fromBuilt, list);
            Assert.DoesNotContain(fromForged, list);
            foreach (var name in new[] { fromBuilt, fromForged })
            {
                Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/v1/containers/{name}")).StatusCode);
                Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/v1/containers/{name}/stop", null)).StatusCode);
                Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/v1/containers/{name}/exec", Json("{\"command\":[\"id\"]}"))).StatusCode);
                Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/v1/containers/{name}?force=true")).StatusCode);
                Assert.Equal("running", await DockerCli.InspectAsync(name, "{{.State.Status}}"));
            }
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/v1/containers/{g}-a-1")).StatusCode);
            Assert.Equal("running", await DockerCli.InspectAsync($"{g}-a-1", "{{.State.Status}}"));
            Assert.DoesNotContain(Agent.Logs.Lines, l => l.Contains(fromForged, StringComparison.Ordinal));
        }
        finally
        {
            await DockerCli.TryRunAsync("rm", "-f", fromBuilt, fromForged);
            Directory.Delete(context, recursive: true);
        }
    }
}
