using System.Net;
using System.Text.Json;
using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Images;

/// <summary>Image prune and removal never take an image a manifest could use while the agent cannot know (its manifest
/// unreadable after a restart), and one manifest's bad reference fails no removal. Each image here is the instance's own
/// (a LABEL on busybox), and every prune is filtered to its label; the docker CLI says what is left.</summary>
public sealed class ImagePruneHeldTests : AgentScenario
{
    private string Label => $"org.example.held={Instance.Id}";

    /// <summary>A locally built image (no registry has it), carrying this test's label.</summary>
    private async Task<string> BuildAsync(string name)
    {
        var reference = $"{Instance.Id}-{name}:1";
        var folder = Directory.CreateTempSubdirectory("agent-it-held-image-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "Dockerfile"), $"FROM {TestEngine.Image}\nLABEL {Label} org.example.name={name}\n");
            await DockerCli.RunAsync("build", "-q", "-t", reference, folder.FullName);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
        return reference;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> AnswerAsync(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static IEnumerable<string?> HeldBy(JsonElement problem) => problem.GetProperty("heldBy").EnumerateArray().Select(e => e.GetString());

    [Fact]
    public async Task After_a_restart_with_an_unreadable_manifest_image_prune_and_remove_keep_the_image_it_may_use()
    {
        var image = await BuildAsync("x");
        var g = Instance.Name("held");
        Agent.Write("g.yaml", Group(g, $"    - name: s\n      image: {image}\n      command: [\"sleep\", \"3600\"]\n", "  suspend: true\n"));
        await Agent.StartAsync();
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, g)) is not null), TimeSpan.FromSeconds(60), $"{g} is read");
        using var admin = Agent.Client(Agent.GeneratedAdminToken);
        var (status, body) = await AnswerAsync(admin.PostAsync($"/api/v1/images/prune?all=true&filter=label={Label}", null));
        Assert.True(status == HttpStatusCode.Conflict, body.ToString());
        Assert.Contains($"ServiceGroup/{g} (service s)", body.GetProperty("detail").GetString());

        await Agent.StopAsync();
        Agent.Write("g.yaml", $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {g}\nspec:\n  suspend: true\n  services: [ {{ name: s,\n");
        await Agent.StartAsync();
        await Agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "True", "InvalidManifest");

        using var client = Agent.Client(Agent.GeneratedAdminToken);
        (status, body) = await AnswerAsync(client.PostAsync($"/api/v1/images/prune?all=true&filter=label={Label}", null));
        Assert.True(status == HttpStatusCode.Conflict, body.ToString());
        Assert.Equal([$"ServiceGroup/{g}"], HeldBy(body));
        Assert.Contains("cannot be read now", body.GetProperty("detail").GetString());
        Assert.True(await DockerCli.ExistsAsync("image", image), "the held group's image is kept by the prune");

        (status, body) = await AnswerAsync(client.DeleteAsync($"/api/v1/images/{image}"));
        Assert.True(status == HttpStatusCode.Conflict, body.ToString());
        Assert.Equal([$"ServiceGroup/{g}"], HeldBy(body));
        Assert.True(await DockerCli.ExistsAsync("image", image), "the held group's image is kept by DELETE");

        (status, body) = await AnswerAsync(client.PostAsync($"/api/v1/images/prune?all=true&force=true&filter=label={Label}", null));
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.False(await DockerCli.ExistsAsync("image", image), "force=true prunes it");
    }

    [Fact]
    public async Task An_uppercase_image_in_a_manifest_is_refused_and_fails_no_removal_of_another_image()
    {
        var other = await BuildAsync("other");
        var g = Instance.Name("upper");
        Agent.Write("g.yaml", Group(g, "    - name: s\n      image: p37yUPPER:1\n      command: [\"sleep\", \"3600\"]\n", "  suspend: true\n"));
        await Agent.StartAsync();
        var held = await Agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "True", "InvalidManifest");
        Assert.Contains("repository name must be lowercase", held.Condition(ConditionTypes.Degraded)!.Message);

        // Held without a spec, the group could use any image: the removal of one that deletes it says so instead of
        // relaying the engine's 400 for the group's reference, and goes ahead with force.
        using var admin = Agent.Client(Agent.GeneratedAdminToken);
        var (status, body) = await AnswerAsync(admin.DeleteAsync($"/api/v1/images/{other}"));
        Assert.True(status == HttpStatusCode.Conflict, body.ToString());
        Assert.Equal([$"ServiceGroup/{g}"], HeldBy(body));
        (status, body) = await AnswerAsync(admin.DeleteAsync($"/api/v1/images/{other}?force=true"));
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.False(await DockerCli.ExistsAsync("image", other));

        var pruned = await BuildAsync("pruned");
        (status, body) = await AnswerAsync(admin.PostAsync($"/api/v1/images/prune?all=true&force=true&filter=label={Label}", null));
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.False(await DockerCli.ExistsAsync("image", pruned));
    }
}
