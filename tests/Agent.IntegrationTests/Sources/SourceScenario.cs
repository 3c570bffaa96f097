using System.Net;
using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Sources;

/// <summary>Helpers for tests of the manifests source: what exists in the engine (by the docker CLI), and the probes.</summary>
public abstract class SourceScenario(IDictionary<string, string?>? settings = null)
    : AgentScenario(new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Agent:ResyncInterval"] = "00:00:02" })
{
    /// <summary>A group of one sleeping service; <paramref name="version"/> changes its command, so a new version recreates it.</summary>
    protected static string Sleepy(string group, int version = 0) =>
        Group(group, Sleeper("s").Replace("\"3600\"", $"\"{3600 + version}\""));

    /// <summary>Every container id and the network id of these groups, as the docker CLI sees them.</summary>
    protected async Task<string> SnapshotAsync(params string[] groups)
    {
        var parts = new List<string>();
        foreach (var g in groups)
        {
            var rows = await Containers.OfAsync(Instance, g);
            parts.Add($"{g}: {string.Join(",", rows.Select(r => $"{r.Name}={r.Id[..12]}:{r.State}"))} net={await NetworkIdAsync(g)}");
        }
        return string.Join("\n", parts);
    }

    protected static async Task<string> NetworkIdAsync(string group)
    {
        var (exit, stdout, _) = await DockerCli.TryRunAsync("network", "inspect", "--format", "{{.Id}}", ContainerNames.Network(group));
        return exit == 0 ? stdout.Trim()[..12] : "none";
    }

    /// <summary>The command the group's only container runs, as the engine says.</summary>
    protected static async Task<string> CommandAsync(string group) =>
        await DockerCli.InspectAsync($"{group}-s-1", "{{json .Config.Cmd}}");

    protected Task WaitForCommandAsync(string group, int version) =>
        Eventually.TrueAsync(async () =>
        {
            var (exit, stdout, _) = await DockerCli.TryRunAsync("inspect", "--format", "{{json .Config.Cmd}} {{.State.Running}}", $"{group}-s-1");
            return exit == 0 && stdout.Contains($"\"{3600 + version}\"", StringComparison.Ordinal) && stdout.Trim().EndsWith("true", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(60), $"{group} runs version {version}");

    /// <summary>/readyz?verbose with the generated admin token: the checks' reasons are shown only with a token.</summary>
    protected async Task<(HttpStatusCode Status, string Text)> ReadyzAsync()
    {
        using var client = Agent.Client(Agent.GeneratedAdminToken);
        var response = await client.GetAsync("/readyz?verbose");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    protected Task<ObjectStatus> WaitHeldAsync(string group, string reason) =>
        Agent.WaitForConditionAsync(group, ConditionTypes.Degraded, "True", reason);

    /// <summary>Nothing changes for a while: checks the engine several times over a few resyncs.</summary>
    protected async Task AssertUnchangedAsync(string before, params string[] groups)
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(before, await SnapshotAsync(groups));
            await Task.Delay(1000);
        }
    }
}
