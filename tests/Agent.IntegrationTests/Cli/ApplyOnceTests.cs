using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Cli;

/// <summary>`agent apply --once` against the real engine: the daemon's backoff, results on stdout, logs on stderr, a hard deadline.</summary>
public sealed partial class ApplyOnceTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();
    private readonly DirectoryInfo manifests = Directory.CreateTempSubdirectory("agent-apply-once-");
    private readonly DirectoryInfo state = Directory.CreateTempSubdirectory("agent-apply-once-state-");

    public Task InitializeAsync() => instance.InitializeAsync();

    public async Task DisposeAsync()
    {
        await instance.DisposeAsync();
        manifests.Delete(recursive: true);
        state.Delete(recursive: true);
    }

    private Task<(int Exit, string Stdout, string Stderr)> ApplyAsync(string timeout) =>
        AgentCli.RunAsync("apply", manifests.FullName, "--once", "--timeout", timeout, "--instance", instance.Id, "--state-dir", state.FullName);

    [Fact]
    public async Task A_failing_pull_is_retried_with_growing_delays_within_the_timeout_and_stdout_holds_only_results()
    {
        var group = instance.Name("pull");
        File.WriteAllText(Path.Combine(manifests.FullName, "pull.yaml"),
            $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: {{ name: {group} }}\nspec:\n  services:\n    - name: web\n      image: {instance.Id}-missing:1.0\n      command: [sleep, \"60\"]\n");

        var clock = Stopwatch.StartNew();
        var (exit, stdout, stderr) = await ApplyAsync("12s");
        clock.Stop();

        Assert.True(exit == 1, stdout + stderr);
        // stdout: one result line per object, nothing else (no log lines).
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var result = Assert.Single(lines);
        Assert.StartsWith($"ServiceGroup/{group}: NotReady ", result);
        Assert.Contains($"{instance.Id}-missing:1.0", result);
        Assert.Contains("--timeout 12s", result);
        // stderr: the retries with the daemon's per-key backoff (0.5 s, 1 s, 2 s, 4 s ...): few attempts, growing delays.
        var delays = RetryDelay().Matches(stderr).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.True(delays.Count is >= 2 and <= 7, $"expected a few retries in 12 s, got {delays.Count}:\n{stderr}");
        for (var i = 1; i < delays.Count; i++) Assert.True(delays[i] > delays[i - 1], $"delays do not grow: {string.Join(", ", delays)}");
        Assert.DoesNotContain("retrying in", stdout);
        // The timeout is a deadline for the whole command (plus the program's start-up on a loaded machine).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(12 + 30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task The_timeout_is_a_hard_deadline_even_during_a_health_wait()
    {
        var group = instance.Name("health");
        // `worker` waits for `api` to be healthy (a 2-minute gate by default); `api` never is.
        File.WriteAllText(Path.Combine(manifests.FullName, "health.yaml"), $"""
            apiVersion: agent/v1
            kind: ServiceGroup
            metadata: {"{"} name: {group} {"}"}
            spec:
              services:
                - name: api
                  image: busybox:1.35
                  command: [sleep, "300"]
                  stopSignal: SIGKILL
                  healthcheck: {"{"} test: [CMD, "false"], interval: 1s, timeout: 1s, retries: 100 {"}"}
                - name: worker
                  image: busybox:1.35
                  command: [sleep, "300"]
                  stopSignal: SIGKILL
                  dependsOn: [{"{"} service: api, condition: healthy {"}"}]
            """);

        var clock = Stopwatch.StartNew();
        var (exit, stdout, stderr) = await ApplyAsync("5s");
        clock.Stop();

        Assert.True(exit == 1, stdout + stderr);
        Assert.StartsWith($"ServiceGroup/{group}: NotReady ", stdout.Trim());
        Assert.Contains("--timeout 5s", stdout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5 + 30), $"took {clock.Elapsed}: the health wait overran the deadline\n{stderr}");
    }

    [GeneratedRegex(@"retrying in (\d+(?:\.\d+)?)s")]
    private static partial Regex RetryDelay();
}
