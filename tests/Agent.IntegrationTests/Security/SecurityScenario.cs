using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Security;

/// <summary>A real agent with an admin token, and the checks every admission test makes: a refused manifest or run
/// never creates its container, as the docker CLI sees it.</summary>
public abstract class SecurityScenario : IAsyncLifetime
{
    protected const string AdminToken = "admin-token-security-0123456789";
    protected const string OperatorToken = "operator-token-security-012345678";
    private readonly string tokens = Path.Combine(Path.GetTempPath(), $"agent-sec-tokens-{Guid.NewGuid():N}");

    /// <summary>The agent's Agent:Auth:TokensFile.</summary>
    protected string TokensFile => tokens;

    protected TestInstance Instance { get; } = new();
    protected AgentHarness Agent { get; private set; } = null!;

    /// <summary>Extra settings (Agent:Security:...) for this class's agent.</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        await Instance.InitializeAsync();
        await File.WriteAllTextAsync(tokens, $"admin:{AdminToken}\noperator:{OperatorToken}\n");
        var settings = new Dictionary<string, string?>(Settings) { ["Agent:Auth:TokensFile"] = tokens };
        Agent = new AgentHarness(Instance, settings);
    }

    public async Task DisposeAsync()
    {
        await Agent.DisposeAsync();
        await Instance.DisposeAsync();
        File.Delete(tokens);
    }

    protected HttpClient Admin() => Client(AdminToken);

    protected HttpClient Operator() => Client(OperatorToken);

    private HttpClient Client(string token)
    {
        var client = Agent.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    protected static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    protected static string Service(string name, string extra = "") =>
        $"    - name: {name}\n      image: {TestEngine.Image}\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGKILL\n{extra}";

    /// <summary>Writes the refused groups beside a good one and starts the agent; returns once the good one is Ready,
    /// so the agent has had every chance to act on the others.</summary>
    protected async Task StartWithAsync(params (string Group, string Extra, string Spec)[] groups)
    {
        var good = Instance.Name("good");
        Agent.Write("good.yaml", Manifest.Group(good, Service("s")));
        foreach (var (group, extra, spec) in groups) Agent.Write($"{group}.yaml", Manifest.Group(group, Service("s", extra), spec));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(good);
    }

    /// <summary>The manifest is refused at load (Degraded, InvalidManifest, naming the field) and nothing of it exists.</summary>
    protected async Task AssertManifestRefusedAsync(string group, string field)
    {
        var status = await Agent.WaitForConditionAsync(group, ConditionTypes.Degraded, "True", "InvalidManifest");
        Assert.Contains(field, status.Condition(ConditionTypes.Degraded)!.Message);
        Assert.Empty(await Containers.OfAsync(Instance, group));
    }

    /// <summary>The run answers 400 naming the field, and no container of that name exists.</summary>
    protected async Task<string> AssertRunRefusedAsync(string name, string serviceJson, string field)
    {
        using var admin = Admin();
        var response = await admin.PostAsync("/api/v1/run", Json($"{{\"service\":{{\"name\":\"{name}\",\"image\":\"{TestEngine.Image}\",\"command\":[\"sleep\",\"3600\"],{serviceJson}}}}}"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Contains(field, text);
        await AssertNoContainerAsync(name);
        return text;
    }

    protected static async Task AssertNoContainerAsync(string name) =>
        Assert.Equal("", await DockerCli.RunAsync("ps", "-a", "-q", "--filter", $"name=^/{name}$"));
}
