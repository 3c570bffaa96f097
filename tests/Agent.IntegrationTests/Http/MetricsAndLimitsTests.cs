using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Http;

/// <summary>Prometheus metrics that move with reconciles, promtool's verdict on a real scrape, and 429 with Retry-After.</summary>
[Collection(AloneCollection.Name)]
public sealed class MetricsAndLimitsTests : IAsyncLifetime
{
    private const string Token = "admin-token-for-limits-0123456789";
    private readonly TestInstance instance = new();
    private AgentHarness agent = null!;
    private string tokens = null!;

    public async Task InitializeAsync()
    {
        await instance.InitializeAsync();
        tokens = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokens, $"admin:{Token}\n");
        agent = new AgentHarness(instance, new Dictionary<string, string?>
        {
            ["Agent:Auth:TokensFile"] = tokens,
            ["Agent:Auth:RateLimitPermits"] = "5",
            ["Agent:Auth:RateLimitWindow"] = "00:00:10",
        });
    }

    public async Task DisposeAsync()
    {
        await agent.DisposeAsync();
        await instance.DisposeAsync();
        File.Delete(tokens);
    }

    private static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var space = line.LastIndexOf(' ');
            var name = line[..space];
            var brace = name.IndexOf('{');
            if (brace > 0) name = name[..brace] + "{" + string.Join(",", name[(brace + 1)..^1].Split(',').Where(l => !l.StartsWith("otel_scope", StringComparison.Ordinal))) + "}";
            samples[name] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }
        return samples;
    }

    private static double Sum(Dictionary<string, double> samples, string prefix, params string[] labels) =>
        samples.Where(s => s.Key.StartsWith(prefix, StringComparison.Ordinal) && labels.All(l => s.Key.Contains(l, StringComparison.Ordinal))).Sum(s => s.Value);

    [Fact]
    public async Task Metrics_move_after_a_reconcile_and_promtool_finds_nothing_to_say_about_ours()
    {
        var g = instance.Name("metrics");
        var job = instance.Name("metricsjob");
        agent.Write("g.yaml", Group(g, Sleeper("s", "      replicas: 2\n")));
        agent.Write("job.yaml", Jobs.JobContainers.Job(job, "sleep 600"));
        await agent.StartAsync();
        await agent.WaitReadyAsync(g);
        using var client = agent.Client();
        var before = Parse(await client.GetStringAsync("/metrics"));

        await DockerCli.RunAsync("rm", "-f", $"{g}-s-1");
        await Containers.RunningAsync(instance, g, 2);
        await agent.WaitReadyAsync(g);
        agent.Write("broken.yaml", "kind: [");
        // Gauges follow the status, which settles a moment after the containers do.
        var scrape = await Eventually.ReturnsAsync(() => client.GetStringAsync("/metrics"),
            text => Sum(Parse(text), "agent_managed_containers", "kind=\"ServiceGroup\"", "state=\"running\"") >= 2
                    && Sum(Parse(text), "agent_managed_containers", "kind=\"Job\"", "state=\"running\"") >= 1
                    && Sum(Parse(text), "agent_manifest_load_errors_total") > Sum(before, "agent_manifest_load_errors_total"),
            TimeSpan.FromSeconds(30), "gauges settled and the broken manifest counted");
        var after = Parse(scrape);

        Assert.True(Sum(after, "agent_reconcile_runs_total", "kind=\"ServiceGroup\"") > Sum(before, "agent_reconcile_runs_total", "kind=\"ServiceGroup\""));
        Assert.True(Sum(after, "agent_reconcile_duration_seconds_count") > Sum(before, "agent_reconcile_duration_seconds_count"));
        Assert.Contains(after.Keys, k => k.StartsWith("agent_reconcile_duration_seconds_bucket", StringComparison.Ordinal) && k.Contains("le=\"0.25\""));
        Assert.True(Sum(after, "agent_drift_corrections_total", "operation=\"CreateContainer\"") > Sum(before, "agent_drift_corrections_total", "operation=\"CreateContainer\""));
        Assert.True(Sum(after, "agent_engine_calls_total", "operation=\"container_create\"", "result=\"ok\"") > Sum(before, "agent_engine_calls_total", "operation=\"container_create\"", "result=\"ok\""));
        Assert.True(Sum(after, "agent_managed_containers", "kind=\"ServiceGroup\"", "state=\"running\"") >= 2);
        // The Job's container counts too, with its kind (probe-15j L1: only replicas did): as many as the docker CLI shows running.
        var jobRunning = (await Jobs.JobContainers.ListAsync(instance, job)).Count(c => c.Status == "running");
        Assert.Equal(1, jobRunning);
        Assert.Equal(jobRunning, Sum(after, "agent_managed_containers", "kind=\"Job\"", "state=\"running\""));
        Assert.True(Sum(after, "agent_objects", "condition=\"Ready\"") >= 1);
        // Per object, as kube-state-metrics' *_status_condition (probe-65: which group is not Ready could not be asked).
        Assert.Equal(1, Sum(after, "agent_object_condition", "kind=\"ServiceGroup\"", $"name=\"{g}\"", "condition=\"Ready\"", "status=\"true\""));
        Assert.Equal(0, Sum(after, "agent_object_condition", $"name=\"{g}\"", "condition=\"Ready\"", "status=\"false\""));
        Assert.Contains("service_name=\"agent\"", scrape);
        Assert.True(Sum(after, "agent_manifest_load_errors_total") > Sum(before, "agent_manifest_load_errors_total"));
        Assert.Contains(after.Keys, k => k.StartsWith("agent_workqueue_depth", StringComparison.Ordinal));
        Assert.Contains(after.Keys, k => k.StartsWith("http_server_request_duration_seconds", StringComparison.Ordinal));
        Assert.Contains(after.Keys, k => k.StartsWith("dotnet_gc_", StringComparison.Ordinal));

        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, scrape);
        var (_, stdout, stderr) = await ExternalTool.ShellAsync($"promtool check metrics < {file}");
        var output = stdout + stderr;
        File.Delete(file);
        Assert.DoesNotContain("error while linting", output);
        Assert.DoesNotContain("parse", output, StringComparison.OrdinalIgnoreCase);
        var ours = output.Split('\n').Where(l => l.StartsWith("agent_", StringComparison.Ordinal)).ToList();
        Assert.True(ours.Count == 0, "promtool on our metrics: " + string.Join("; ", ours));
    }

    [Fact]
    public async Task Too_many_requests_get_429_with_retry_after()
    {
        await agent.StartAsync();
        using var client = agent.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 20 && limited is null; i++)
        {
            var response = await client.GetAsync("/api/v1/objects");
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
        }
        Assert.NotNull(limited);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After missing");
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.JsonDocument.Parse(await limited.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("https://tools.ietf.org/html/rfc6585#section-4", problem.GetProperty("type").GetString()); // as every other problem has one (probe-62)
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/livez")).StatusCode); // probes are not rate limited
    }

    [Fact]
    public async Task Request_bodies_over_the_limit_are_refused()
    {
        await agent.StartAsync();
        using var client = agent.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var huge = new StringContent("{\"command\":[\"" + new string('x', 2 * 1024 * 1024) + "\"]}", System.Text.Encoding.UTF8, "application/json");
        var response = await client.PostAsync("/api/v1/containers/any/exec", huge);
        Assert.True(response.StatusCode is HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.BadRequest, response.StatusCode.ToString());
    }
}
