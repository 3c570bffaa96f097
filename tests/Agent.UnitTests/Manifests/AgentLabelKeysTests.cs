using Agent.Core.Manifests;
using Agent.Core.Security;
using Agent.UnitTests.Compose;

namespace Agent.UnitTests.Manifests;

/// <summary>A container's labels may not set the agent's own keys (agent.*, any case): in compose services and in the
/// bodies of POST /run, POST /containers and POST /jobs as in manifests (those are in Corpus/broken).</summary>
public sealed class AgentLabelKeysTests : IDisposable
{
    private readonly ComposeStackFolder stack = new();

    public void Dispose() => stack.Dispose();

    [Theory]
    [InlineData("agent.job-run")]
    [InlineData("AGENT.MANAGED")]
    [InlineData("Agent.Imperative")]
    [InlineData("\uFF41gent.object")] // fullwidth a: NFKC reads it as agent.object
    [InlineData("\U0001D41Agent.\u24E3")] // mathematical bold a (a surrogate pair), circled t
    public void An_agent_key_is_refused_naming_its_field(string key)
    {
        var (run, runErrors) = RunRequestParser.Parse(System.Text.Json.JsonSerializer.Serialize(new
        {
            service = new { name = "r", image = "busybox:1.35", labels = new Dictionary<string, string> { ["tier"] = "web", [key] = "x" } },
        }), MemoryManifestFiles.Instance, SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.Null(run);
        Assert.Equal([($"service.labels.{key}", AgentLabelsProblem(key))], runErrors.Select(e => (e.Path, e.Message)));

        var job = JobRequestParser.Parse(System.Text.Json.JsonSerializer.Serialize(new
        {
            container = new { image = "busybox:1.35", labels = new Dictionary<string, string> { [key] = "x" } },
        }), MemoryManifestFiles.Instance, SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.Contains(job.Errors, e => e.Path == $"container.labels.{key}");

        var compose = stack.Errors($$"""
            services:
              web:
                image: busybox:1.35
                labels: { tier: web, {{key}}: x }
            """);
        Assert.Contains(compose, e => e.Contains("shop/compose.yaml:4:") && e.Contains($"services.web.labels.{key}") && e.Contains("the agent's own"));
    }

    [Fact]
    public void Other_labels_are_kept()
    {
        var (run, errors) = RunRequestParser.Parse("""{"service": {"name": "lb", "image": "busybox:1.35", "labels": {"agentx.y": "1", "my.agent.z": "2"}}}""",
            MemoryManifestFiles.Instance, SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.Empty(errors);
        Assert.Equal(["agentx.y", "my.agent.z"], run!.Service.Container.Labels.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Nfkc_folds_to_ascii_only_what_reads_as_ascii()
    {
        Assert.Equal("agent.ff 1 K", Agent.Core.Model.AsciiCompatibility.Fold("\uFF41gent\uFF0E\uFB00\u00A0\u2460\u00A0\u212A"));
        Assert.Equal("caf\u00E9 \u0430gent", Agent.Core.Model.AsciiCompatibility.Fold("caf\u00E9 \u0430gent")); // é and Cyrillic а are letters of their own
        Assert.Null(Agent.Core.Model.AgentLabels.ReservedKeyProblem("\u0430gent.object"));
    }

    [Fact]
    public void An_images_labels_under_the_prefix_in_any_case_or_width_are_reserved_but_the_two_the_agent_sets()
    {
        var labels = new Agent.Core.Model.AgentLabels("i1");
        var image = new Dictionary<string, string>
        {
            ["agent.managed"] = "true", ["Agent.Managed"] = "true", ["\uFF41gent.object"] = "x", ["AGENT.BUILT-BY"] = "i2",
            ["agent.built-by"] = "i1", ["agent.build-hash"] = "h", ["agentx.y"] = "1", ["org.agent.z"] = "2",
        };
        Assert.Equal(["AGENT.BUILT-BY", "Agent.Managed", "agent.managed", "\uFF41gent.object"], labels.ReservedOnImages(image));
    }

    private static string AgentLabelsProblem(string key) => Agent.Core.Model.AgentLabels.ReservedKeyProblem(key)!;
}
