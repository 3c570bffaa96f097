using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Images;

/// <summary>One agent with registry credentials for a local registry, small upload limits and tokens for every role,
/// shared by the image, build, registry and run tests. Images it made (every tag naming its instance id, images
/// carrying its instance label) are removed on dispose by <see cref="TestInstance"/>.</summary>
public sealed class ImageFixture : IAsyncLifetime
{
    public const string ViewerToken = "viewer-token-images-0123456789";
    public const string OperatorToken = "operator-token-images-0123456789";
    public const string AdminToken = "admin-token-images-0123456789";
    public const long MaxLoadBytes = 16 * 1024 * 1024;
    public const long MaxBuildContextBytes = 4 * 1024 * 1024;

    public TestInstance Instance { get; } = new();
    public LocalRegistry Registry { get; private set; } = null!;
    public AgentHarness Agent { get; private set; } = null!;
    private string tokens = null!;

    /// <summary>A reference in the local registry unique to this fixture: localhost:PORT/ID/name:tag.</summary>
    public string InRegistry(string nameAndTag) => $"{Registry.Host}/{Instance.Id}/{nameAndTag}";

    /// <summary>A local-only reference unique to this fixture.</summary>
    public string Local(string nameAndTag) => $"{Instance.Id}-{nameAndTag}";

    public async Task InitializeAsync()
    {
        await Instance.InitializeAsync();
        Registry = await LocalRegistry.StartAsync();
        tokens = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokens, $"viewer:{ViewerToken}\noperator:{OperatorToken}\nadmin:{AdminToken}\n");
        Agent = new AgentHarness(Instance, new Dictionary<string, string?>
        {
            ["Agent:Auth:TokensFile"] = tokens,
            ["Agent:Registries:0:Server"] = Registry.Host,
            ["Agent:Registries:0:UsernameFile"] = Registry.UsernameFile,
            ["Agent:Registries:0:PasswordFile"] = Registry.PasswordFile,
            ["Agent:Images:MaxLoadBytes"] = MaxLoadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Agent:Images:MaxBuildContextBytes"] = MaxBuildContextBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await Agent.StartAsync();
    }

    public HttpClient Client(string? token = AdminToken)
    {
        var client = Agent.Client(token);
        client.Timeout = TimeSpan.FromMinutes(2);
        return client;
    }

    public async Task DisposeAsync()
    {
        await Agent.DisposeAsync();
        await Instance.DisposeAsync();
        await Registry.DisposeAsync();
        File.Delete(tokens);
    }
}
