using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>
/// The engine stops in the middle of a start-first update (its own dockerd, so nothing else is touched): every
/// container goes down, the engine's restart policy brings old and new back, and the agent, reconnected, finishes the
/// update: one container per service under its own name, of the new spec, nothing left over.
/// </summary>
public sealed class EngineStopDuringUpdateTests : PrivateEngineScenario
{
    private const int Services = 6;

    // Version 2 becomes healthy only 4 s after it starts, so the update is surely under way when the engine stops.
    private static string Manifest(string group, int version) => $$"""
        apiVersion: agent/v1
        kind: ServiceGroup
        metadata:
          name: {{group}}
        spec:
          services:
        {{string.Concat(Enumerable.Range(1, Services).Select(i => $$"""
            - name: s{{i}}
              image: {{TestEngine.Image}}
              command: ["sh", "-c", "sleep {{(version == 1 ? 0 : 4)}}; touch /tmp/ready; exec sleep 3600"]
              stopSignal: SIGKILL
              labels: { engine-test.version: "{{version}}" }
              healthcheck: { test: ["CMD", "test", "-f", "/tmp/ready"], interval: 500ms, timeout: 2s, retries: 3, startPeriod: 20s }
              update: { strategy: start-first, rollbackOnFailure: true, healthTimeout: 60s }

        """))}}
        """;

    private async Task<IReadOnlyList<string>> RowsAsync() =>
        (await Engine.CliAsync("ps", "-a", "--format", "{{.Names}} {{.State}} {{.Label \"engine-test.version\"}}", "--filter", $"label={Instance.InstanceLabel}"))
        .Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public Task Engine_stopped_during_a_start_first_update_the_update_is_finished_without_leftovers() => Agent.WithLogAsync(async () =>
    {
        var g = Instance.Name("stopupd");
        Agent.Write("g.yaml", Manifest(g, 1));
        await Agent.StartAsync();
        var v1 = Enumerable.Range(1, Services).Select(i => $"{g}-s{i}-1 running 1").ToList();
        await Eventually.ReturnsAsync(RowsAsync, rows => rows.SequenceEqual(v1), TimeSpan.FromSeconds(90), "version 1 running");
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(60));

        Agent.Write("g.yaml", Manifest(g, 2));
        var midway = await Eventually.ReturnsAsync(RowsAsync, rows => rows.Count(r => r.Contains("-next running 2", StringComparison.Ordinal)) >= 2,
            TimeSpan.FromSeconds(60), "new containers of the update running beside the old ones");
        await Engine.TerminateAsync();
        await Task.Delay(1000); // the agent sees the engine gone
        await Engine.StartAsync();

        var v2 = Enumerable.Range(1, Services).Select(i => $"{g}-s{i}-1 running 2").ToList();
        var rows = await Eventually.ReturnsAsync(RowsAsync, rows => rows.SequenceEqual(v2), TimeSpan.FromSeconds(120),
            $"the update finished after the engine came back (it was stopped with {string.Join(", ", midway)})");
        await Task.Delay(2000);
        Assert.Equal(v2, await RowsAsync()); // nothing duplicated or undone later
        var status = await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(60));
        Assert.Equal("False", status.Condition("Degraded")!.Status);
    }, lines: 150);
}
