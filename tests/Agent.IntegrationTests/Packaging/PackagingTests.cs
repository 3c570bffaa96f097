using System.Reflection;
using System.Text.RegularExpressions;
using Agent.Hosting;
using Agent.IntegrationTests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Agent.IntegrationTests.Packaging;

/// <summary>The Helm chart lints and renders what the agent needs; it and the Dockerfile only set settings the agent has.</summary>
public sealed class PackagingTests
{
    private static readonly string Chart = Path.Combine(AgentCli.RepositoryRoot, "charts", "agent");

    [Fact]
    public async Task Helm_lints_the_chart_strictly()
    {
        var (exit, stdout, stderr) = await ExternalTool.RunAsync("helm", ["lint", "--strict", Chart]);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("0 chart(s) failed", stdout);
    }

    [Fact]
    public async Task The_rendered_daemonset_mounts_the_socket_probes_like_a_kubelet_and_runs_unprivileged()
    {
        var daemonSet = await RenderDaemonSetAsync("--set", "auth.existingSecret=agent-tokens", "--set", "docker.socketGroupId=998");
        var pod = daemonSet.Map("spec", "template", "spec");
        var agent = pod.Seq("containers").Single(c => c.Scalar("name") == "agent");

        Assert.Equal("/livez", agent.Map("livenessProbe", "httpGet").Scalar("path"));
        Assert.Equal("/readyz", agent.Map("readinessProbe", "httpGet").Scalar("path"));
        Assert.Equal("true", pod.Map("securityContext").Scalar("runAsNonRoot"));
        Assert.Equal(["998"], pod.Seq("securityContext", "supplementalGroups").Select(i => ((YamlScalarNode)i).Value));
        Assert.Equal("false", agent.Map("securityContext").Scalar("allowPrivilegeEscalation"));

        var volumes = pod.Seq("volumes").ToDictionary(v => v.Scalar("name")!);
        Assert.Equal("/var/run/docker.sock", volumes["docker-socket"].Map("hostPath").Scalar("path"));
        Assert.Equal("Socket", volumes["docker-socket"].Map("hostPath").Scalar("type"));
        Assert.Equal("agent-tokens", volumes["tokens"].Map("secret").Scalar("secretName"));

        // Manifests are mounted at the same path as on the node, which is where the agent is told to read them.
        var env = agent.Seq("env").ToDictionary(e => e.Scalar("name")!, e => e.Scalar("value"));
        var manifestsMount = agent.Seq("volumeMounts").Single(m => m.Scalar("name") == "manifests").Scalar("mountPath");
        Assert.Equal(manifestsMount, env["AGENT_Agent__Manifests"]);
        Assert.Equal(volumes["manifests"].Map("hostPath").Scalar("path"), manifestsMount);
        Assert.Equal("/etc/agent/tokens", env["AGENT_Agent__Auth__TokensFile"]);
        foreach (var name in env.Keys) AssertIsASetting(name, "the chart");
    }

    [Fact]
    public async Task Without_a_tokens_secret_the_chart_mounts_none_and_leaves_the_generated_token()
    {
        var daemonSet = await RenderDaemonSetAsync();
        var pod = daemonSet.Map("spec", "template", "spec");
        Assert.DoesNotContain(pod.Seq("volumes"), v => v.Scalar("name") == "tokens");
        var agent = pod.Seq("containers").Single();
        Assert.DoesNotContain(agent.Seq("env"), e => e.Scalar("name") == "AGENT_Agent__Auth__TokensFile");
    }

    [Fact]
    public void The_dockerfile_only_sets_settings_the_agent_has_and_runs_unprivileged()
    {
        var dockerfile = File.ReadAllText(Path.Combine(AgentCli.RepositoryRoot, "Dockerfile"));
        var names = Regex.Matches(dockerfile, @"\b(AGENT_\w+)=").Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("AGENT_Agent__StateDir", names);
        foreach (var name in names) AssertIsASetting(name, "the Dockerfile");
        Assert.Matches(new Regex(@"^USER 1654", RegexOptions.Multiline), dockerfile);
        Assert.Matches(new Regex(@"^ENTRYPOINT \[""/app/agent""\]", RegexOptions.Multiline), dockerfile);
    }

    /// <summary>AGENT_X__Y names configuration key X:Y: either the host's own (Urls) or a property path of AgentOptions.</summary>
    private static void AssertIsASetting(string variable, string where)
    {
        var key = variable["AGENT_".Length..].Split("__");
        if (key is ["Urls"]) return;
        Assert.True(key[0] == AgentOptions.Section, $"{where} sets {variable}, which is outside the {AgentOptions.Section} section");
        var type = typeof(AgentOptions);
        foreach (var part in key[1..])
        {
            var property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            Assert.True(property is not null, $"{where} sets {variable}, but {type.Name} has no setting {part}");
            type = property!.PropertyType;
        }
    }

    private static async Task<YamlMappingNode> RenderDaemonSetAsync(params string[] settings)
    {
        var (exit, stdout, stderr) = await ExternalTool.RunAsync("helm", ["template", "r", Chart, .. settings]);
        Assert.True(exit == 0, stderr);
        var stream = new YamlStream();
        stream.Load(new StringReader(stdout));
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().Single(d => d.Scalar("kind") == "DaemonSet");
    }
}

internal static class YamlNavigation
{
    public static YamlNode At(this YamlNode node, params string[] keys)
    {
        foreach (var key in keys) node = ((YamlMappingNode)node).Children[new YamlScalarNode(key)];
        return node;
    }

    public static YamlMappingNode Map(this YamlNode node, params string[] keys) => (YamlMappingNode)node.At(keys);

    public static IEnumerable<YamlNode> Seq(this YamlNode node, params string[] keys) => ((YamlSequenceNode)node.At(keys)).Children;

    public static string? Scalar(this YamlNode node, string key) =>
        ((YamlMappingNode)node).Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;
}
