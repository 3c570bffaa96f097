using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.AdminSurface;

[CollectionDefinition(Name)]
public sealed class AdminSurfaceCollection : ICollectionFixture<AdminSurfaceFixture>
{
    public const string Name = "admin surface";
}

/// <summary>One agent for the volume, network, usage and scoped-token tests: a group in phase core with a named volume,
/// a group in phase application, a ComposeProject that adopted the volume and network `docker compose` made for it (made
/// here with the docker CLI and Compose's labels only), and tokens for every role, some scoped.</summary>
public sealed class AdminSurfaceFixture : IAsyncLifetime
{
    public const string ViewerToken = "viewer-token-admin-surface-0001";
    public const string AdminToken = "admin-token-admin-surface-00001";
    public const string ApplicationOperator = "operator-app-admin-surface-0001";
    public const string CoreGroupOperator = "operator-core-admin-surface-001";
    public const string ApplicationAdmin = "admin-app-admin-surface-000001";

    public TestInstance Instance { get; } = new();
    public AgentHarness Agent { get; private set; } = null!;
    public string Core => Instance.Name("core");
    public string App => Instance.Name("app");
    public string Store => Instance.Name("store");
    public byte[] JwtKey { get; } = Encoding.UTF8.GetBytes("admin-surface-jwt-key-0123456789abcdef");

    /// <summary>The engine name of the core group's declared volume, which its db service mounts.</summary>
    public string CoreVolume => $"{Core}_data";

    /// <summary>A volume the store group declares and no container mounts.</summary>
    public string StoreVolume => $"{Store}_cache";

    /// <summary>A ComposeProject with `adopt: true`, and the volume and network made for it before the agent started.</summary>
    public string Adopted => Instance.Name("adopted");
    public string AdoptedVolume => $"{Adopted}_data";
    public string AdoptedNetwork => $"{Adopted}_default";

    /// <summary>A compose-made volume of a project the agent does not have: never visible.</summary>
    public string ComposeStranger => $"{Instance.Name("stranger")}_data";
    private string tokens = null!;
    private string jwtKeyFile = null!;

    public async Task InitializeAsync()
    {
        await Instance.InitializeAsync();
        tokens = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokens, $"viewer:{ViewerToken}\nadmin:{AdminToken}\noperator:{ApplicationOperator} phases=application\n" +
                                             $"operator:{CoreGroupOperator} groups={Core}\nadmin:{ApplicationAdmin} phases=application\n");
        jwtKeyFile = Path.GetTempFileName();
        await File.WriteAllBytesAsync(jwtKeyFile, JwtKey);
        Agent = new AgentHarness(Instance, new Dictionary<string, string?> { ["Agent:Auth:TokensFile"] = tokens, ["Agent:Auth:JwtKeyFile"] = jwtKeyFile });
        Agent.Write("core.yaml", Group(Core, Sleeper("db", "      volumes: [\"data:/data\"]\n"), "  phase: core\n"));
        Agent.Write("app.yaml", Group(App, Sleeper("web")));
        Agent.Write("store.yaml", Group(Store, Sleeper("s"), "  volumes:\n    cache: null\n"));
        await MakeComposeObjectsAsync();
        Agent.Write($"{Adopted}/compose.yaml",
            $"services:\n  db:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n    volumes: [\"data:/data\"]\nvolumes:\n  data:\n");
        Agent.Write($"{Adopted}/project.yaml",
            $"apiVersion: agent/v1\nkind: ComposeProject\nmetadata: {{ name: {Adopted} }}\nspec:\n  files: [compose.yaml]\n  phase: core\n  adopt: true\n");
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(Core);
        await Agent.WaitReadyAsync(App);
        await Agent.WaitReadyAsync(Store);
        await Agent.WaitProjectReadyAsync(Adopted, TimeSpan.FromSeconds(90));
    }

    /// <summary>What `docker compose up` makes before its containers: Compose's labels and no agent labels.</summary>
    private async Task MakeComposeObjectsAsync()
    {
        await DockerCli.RunAsync("volume", "create", "--label", $"com.docker.compose.project={Adopted}", "--label", "com.docker.compose.volume=data", AdoptedVolume);
        await DockerCli.RunAsync("network", "create", "--label", $"com.docker.compose.project={Adopted}", "--label", "com.docker.compose.network=default", AdoptedNetwork);
        await DockerCli.RunAsync("volume", "create", "--label", $"com.docker.compose.project={Instance.Name("stranger")}", "--label", "com.docker.compose.volume=data", ComposeStranger);
    }

    public HttpClient Client(string? token) => Agent.Client(token);

    public async Task<string> ContainerIdAsync(string group, string service) =>
        (await DockerCli.ContainerIdsAsync(Instance.InstanceLabel, $"{Instance.Labels.Object}={group}", $"{Instance.Labels.Service}={service}")).Single();

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response, System.Net.HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: expected {(int)expected}, got {(int)response.StatusCode} {body}");
        if (expected >= System.Net.HttpStatusCode.BadRequest) Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task DisposeAsync()
    {
        await Agent.DisposeAsync();
        await Instance.DisposeAsync();
        await DockerCli.TryRunAsync("network", "rm", AdoptedNetwork);
        foreach (var volume in new[] { AdoptedVolume, ComposeStranger }) await DockerCli.TryRunAsync("volume", "rm", "-f", volume);
        File.Delete(tokens);
        File.Delete(jwtKeyFile);
    }
}
