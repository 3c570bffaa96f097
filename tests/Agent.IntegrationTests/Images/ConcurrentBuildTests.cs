using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Images;

/// <summary>A tag being built is held until the build has tagged it: a second build, or a tag to it, is a 409.</summary>
public sealed class ConcurrentBuildTests(ImageFixture fx) : IClassFixture<ImageFixture>
{
    [Fact]
    public async Task Two_builds_of_the_same_new_tag_at_once_one_builds_and_the_other_is_a_409_as_is_a_tag_to_it_meanwhile()
    {
        using var client = fx.Client();
        var tag = fx.Local("concurrent:1");
        async Task<(HttpStatusCode Status, string Body)> BuildAsync(int n)
        {
            using var response = await client.PostAsJsonAsync("/api/v1/images/build",
                new { tag, dockerfileInline = $"FROM {TestEngine.Image}\nRUN echo {n} > /i; sleep 6\n" });
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var first = BuildAsync(1);
        var second = BuildAsync(2);
        var refused = await Task.WhenAny(first, second);
        var (refusedStatus, refusedBody) = await refused;
        Assert.Equal(HttpStatusCode.Conflict, refusedStatus);
        Assert.Contains($"{tag} is being built by task ", refusedBody);

        // While the other still builds, a tag to its name is refused too, with force as well.
        using (var tagged = await client.PostAsync($"/api/v1/images/{TestEngine.Image}/tag?target={tag}&force=true", null))
        {
            Assert.Equal(HttpStatusCode.Conflict, tagged.StatusCode);
            Assert.Contains("is being built by task", await tagged.Content.ReadAsStringAsync());
        }

        var (builtStatus, builtBody) = await (refused == first ? second : first);
        Assert.Equal(HttpStatusCode.OK, builtStatus);
        var last = JsonDocument.Parse(builtBody.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.True(last.TryGetProperty("result", out var result), builtBody);
        Assert.Equal(await DockerCli.InspectAsync(tag, "{{.Id}}"), result.GetProperty("id").GetString());

        // Once it has ended the name is free again: a rebuild answers the usual rule (it names an image now: 409 without force).
        using var rebuild = await client.PostAsJsonAsync("/api/v1/images/build", new { tag, dockerfileInline = $"FROM {TestEngine.Image}\n" });
        Assert.Equal(HttpStatusCode.Conflict, rebuild.StatusCode);
        Assert.Contains("already names another image", await rebuild.Content.ReadAsStringAsync());
    }
}
