using System.Net;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Sources;

/// <summary>
/// The daemon logs each broken manifest once per change (file:line:column: field: message), and errors tied to no object
/// (a binary file, a file that does not parse) are logged once, listed in GET /api/v1/objects as kind "File" and named
/// by /readyz?verbose, which still passes.
/// </summary>
public sealed class BrokenManifestReportingTests() : AgentScenario(new Dictionary<string, string?> { ["Agent:ResyncInterval"] = "00:00:01" })
{
    [Fact]
    public async Task Broken_manifests_are_logged_once_per_change_and_files_without_an_object_are_listed()
    {
        var good = Instance.Name("good");
        var broken = Instance.Name("broken");
        Agent.Write("good.yaml", Group(good, Sleeper("s")));
        Agent.Write("broken.yaml", Group(broken, Sleeper("s", "      replicas: many\n")));
        await File.WriteAllBytesAsync(Path.Combine(Agent.Manifests, "binary.yaml"), [0x7F, (byte)'E', (byte)'L', (byte)'F', 0x02, 0x01, 0xFF, 0xFE, 0x00, 0x00]);
        Agent.Write("syntax.yaml", "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: x\n");

        await Agent.StartAsync();
        await Agent.WaitReadyAsync(good);

        var replicas = await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(30), "Invalid manifest broken.yaml:", "replicas: expected a whole number");
        Assert.Contains($"ServiceGroup/{broken} is not applied: it has no good spec yet", replicas); // probe-33 F13: never "keeps its last good state" when it had none
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(30), "Invalid manifest binary.yaml:1:", "tied to no object");
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(30), "Invalid manifest syntax.yaml:3:", "never closed");
        // Several resyncs (1 s) and reconciles later, each error is still logged once.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(1, Agent.Logs.Count("Invalid manifest broken.yaml:"));
        Assert.Equal(1, Agent.Logs.Count("Invalid manifest binary.yaml:"));
        Assert.Equal(1, Agent.Logs.Count("Invalid manifest syntax.yaml:"));

        using var client = Agent.Client();
        var token = File.ReadAllLines(Path.Combine(Agent.StateDir, "tokens")).Last(l => l.Contains(':') && !l.StartsWith('#')).Split(':', 2)[1].Trim();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var objects = JsonDocument.Parse(await client.GetStringAsync("/api/v1/objects"));
        var files = objects.RootElement.EnumerateArray().Where(o => o.GetProperty("kind").GetString() == "File").ToList();
        Assert.Equal(["binary.yaml", "syntax.yaml"], files.Select(f => f.GetProperty("name").GetString()));
        Assert.Contains("invalid UTF-8", files[0].GetProperty("manifestErrors")[0].GetString());
        var ready = files[0].GetProperty("conditions").EnumerateArray().Single(c => c.GetProperty("type").GetString() == "Ready");
        Assert.Equal("False", ready.GetProperty("status").GetString());
        Assert.Equal("InvalidManifest", ready.GetProperty("reason").GetString());

        var readyz = await client.GetAsync("/readyz?verbose");
        var text = await readyz.Content.ReadAsStringAsync();
        Assert.True(readyz.StatusCode == HttpStatusCode.OK, text); // everything else is applied: the agent stays ready
        Assert.Contains("[+]manifests ok, warning: 2 file(s) with errors tied to no object", text);
        Assert.Contains("binary.yaml:1:", text);
        Assert.Contains("syntax.yaml:3:", text);
        using var anonymous = Agent.Client(); // without a token: the check's state, never what the files hold
        var withheld = await anonymous.GetStringAsync("/readyz?verbose");
        Assert.Contains("[+]manifests ok, warning: reason withheld\n", withheld);
        Assert.DoesNotContain("yaml", withheld);

        // A change is logged once more (its new error); a deleted file once, as gone (not "loads again"); a file no longer listed.
        Agent.Write("broken.yaml", Group(broken, Sleeper("s", "      replicas: lots\n")));
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(30), "Invalid manifest broken.yaml:", "\"lots\"");
        Agent.Delete("binary.yaml");
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(30), "Manifest binary.yaml is gone; its errors with it");
        Assert.Equal(0, Agent.Logs.Count("Manifest binary.yaml loads without errors again"));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(1, Agent.Logs.Count("Invalid manifest broken.yaml:", "\"lots\""));
        Assert.Equal(1, Agent.Logs.Count("Invalid manifest binary.yaml:"));
        using var after = JsonDocument.Parse(await client.GetStringAsync("/api/v1/objects"));
        Assert.Equal(["syntax.yaml"], after.RootElement.EnumerateArray().Where(o => o.GetProperty("kind").GetString() == "File").Select(f => f.GetProperty("name").GetString()));
    }
}
