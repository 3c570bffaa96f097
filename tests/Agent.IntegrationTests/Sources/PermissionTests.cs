using System.Net;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources;

/// <summary>Files and folders the agent may not read (an agent without root's file capabilities): held, never pruned.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PermissionTests : IAsyncLifetime
{
    private const string AdminToken = "admin-token-process-0123456789";
    private readonly TestInstance instance = new();
    private readonly string manifests = Directory.CreateTempSubdirectory("agent-it-perm-").FullName;
    private readonly string state = Directory.CreateTempSubdirectory("agent-it-perm-state-").FullName;

    public Task InitializeAsync() => instance.InitializeAsync();

    public async Task DisposeAsync()
    {
        File.SetUnixFileMode(manifests, (UnixFileMode)0x1ED); // 0755
        Directory.Delete(manifests, recursive: true);
        Directory.Delete(state, recursive: true);
        await instance.DisposeAsync();
    }

    [Fact]
    public async Task A_file_or_folder_the_agent_may_not_read_removes_nothing_and_its_change_applies_once_readable()
    {
        var a = instance.Name("perm-a");
        var b = instance.Name("perm-b");
        var fileA = Path.Combine(manifests, "a.yaml");
        File.WriteAllText(fileA, Sleepy(a, 0));
        File.WriteAllText(Path.Combine(manifests, "b.yaml"), Sleepy(b, 0));
        await using var agent = AgentProcess.StartWithoutFileCapabilities(instance.Id, manifests, state, AdminToken,
            new Dictionary<string, string> { ["Agent:ResyncInterval"] = "00:00:02" });
        await agent.WaitForConditionAsync(a, ConditionTypes.Ready, "True");
        await agent.WaitForConditionAsync(b, ConditionTypes.Ready, "True");
        var before = await SnapshotAsync();

        File.SetUnixFileMode(fileA, UnixFileMode.None); // chmod 000
        var held = await agent.WaitForConditionAsync(a, ConditionTypes.Degraded, "True", "ManifestUnreadable");
        Assert.Contains("a.yaml", AgentProcess.ConditionMessage(held, ConditionTypes.Degraded));
        Assert.Contains("denied", AgentProcess.ConditionMessage(held, ConditionTypes.Degraded));
        await Eventually.TrueAsync(() => Task.FromResult(agent.Lines.Any(l => l.Contains("a.yaml") && l.Contains("cannot be read"))),
            TimeSpan.FromSeconds(60), "a log line naming a.yaml");

        File.SetUnixFileMode(manifests, UnixFileMode.None); // the whole folder
        await agent.WaitForConditionAsync(b, ConditionTypes.Degraded, "True", "SourceUnavailable");
        using (var client = agent.Client())
        {
            var response = await client.GetAsync("/readyz?verbose");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("[-]manifests failed", await response.Content.ReadAsStringAsync());
        }
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(before, await SnapshotAsync());
            await Task.Delay(1000);
        }

        File.SetUnixFileMode(manifests, (UnixFileMode)0x1ED);
        File.WriteAllText(fileA, Sleepy(a, 1));
        File.SetUnixFileMode(fileA, (UnixFileMode)0x1A4); // 0644
        await Eventually.TrueAsync(async () => (await DockerCli.InspectAsync($"{a}-s-1", "{{json .Config.Cmd}}")).Contains("3601"),
            TimeSpan.FromSeconds(60), "a's change applied");
        await agent.WaitForConditionAsync(a, ConditionTypes.Ready, "True");
        Assert.Equal(before.Split('\n')[1], (await SnapshotAsync()).Split('\n')[1]);
    }

    private static string Sleepy(string group, int version) =>
        Manifest.Group(group, Manifest.Sleeper("s").Replace("\"3600\"", $"\"{3600 + version}\""));

    private async Task<string> SnapshotAsync()
    {
        var rows = await Containers.OfAsync(instance);
        return string.Join("\n", rows.Select(r => $"{r.Name}={r.Id[..12]}:{r.State}"));
    }
}
