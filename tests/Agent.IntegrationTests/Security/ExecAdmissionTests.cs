using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Security;

/// <summary>Class 7: an exec cannot exceed what admission allowed its container.</summary>
public sealed class ExecAdmissionTests : SecurityScenario
{
    [Fact]
    public async Task Exec_runs_as_the_containers_user_and_is_refused_root_and_kernel_working_dirs()
    {
        var group = Instance.Name("nonroot");
        await StartWithAsync((group, "      user: \"1000:1000\"\n", ""));
        await Agent.WaitReadyAsync(group);
        var name = $"{group}-s-1";
        using var admin = Admin();

        var plain = await (await admin.PostAsync($"/api/v1/containers/{name}/exec", Json("{\"command\":[\"id\",\"-u\"]}"))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("1000\n", plain.GetProperty("stdout").GetString());

        foreach (var body in new[]
                 {
                     "{\"command\":[\"id\",\"-u\"],\"user\":\"root\"}",
                     "{\"command\":[\"id\",\"-u\"],\"user\":\"0:0\"}",
                     "{\"command\":[\"id\",\"-u\"],\"user\":\"0\"}",
                     "{\"command\":[\"id\",\"-u\"],\"user\":\"1000:0\"}",
                     "{\"command\":[\"ls\"],\"workingDir\":\"/proc/self/fd\"}",
                     "{\"command\":[\"ls\"],\"workingDir\":\"/tmp/../sys\"}",
                     "{\"command\":[\"id\"],\"env\":{\"A\":\"x\\u0000y\"}}",
                     "{\"command\":[\"id\",\"\\u0000\"]}",
                     "{\"command\":[\"id\"],\"timeoutSeconds\":99999999}",
                     "{\"command\":[\"id\"],\"timeoutSeconds\":0}",
                 })
        {
            var response = await admin.PostAsync($"/api/v1/containers/{name}/exec", Json(body));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)response.StatusCode} {text}");
            Assert.DoesNotContain("\"stdout\"", text);
        }
    }

    [Fact]
    public async Task A_fifth_exec_while_a_client_has_four_running_is_429_and_runs_once_they_end()
    {
        var group = Instance.Name("execbound");
        await StartWithAsync((group, "", ""));
        await Agent.WaitReadyAsync(group);
        var name = $"{group}-s-1";
        using var op = Operator();

        var answers = await Task.WhenAll(Enumerable.Range(0, 5)    // sent at once: one finds the other four running
            .Select(_ => op.PostAsync($"/api/v1/containers/{name}/exec", Json("{\"command\":[\"sleep\",\"15\"],\"timeoutSeconds\":60}"))));
        Assert.Equal(4, answers.Count(r => r.StatusCode == HttpStatusCode.OK));
        var refused = Assert.Single(answers, r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.Contains("4 exec(s) of this client are running (Agent:Exec:MaxConcurrentPerClient is 4)", await refused.Content.ReadAsStringAsync());
        Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        Assert.Equal(HttpStatusCode.OK, (await op.PostAsync($"/api/v1/containers/{name}/exec", Json("{\"command\":[\"true\"]}"))).StatusCode);
    }
}
