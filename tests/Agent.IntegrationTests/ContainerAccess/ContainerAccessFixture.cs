using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.ContainerAccess;

/// <summary>One agent (proxy timeout 2 s and bodies up to 4 MiB, files up to 64 KiB, folder archives up to 1 MiB) with three containers: "web" (httpd with CGI scripts,
/// port 8080 published on loopback), "ws" (a websocket echo server written in busybox sh, port 8081 not published, so
/// reached on its network address), "box" (a sleeper for file tests), "ro" (one with a read-only root file system) and
/// "nobody" (one running as user 65534, with a tmpfs on /scratch), "ids" (one running as user 1000:1000, in no /etc/passwd)
/// and "nocaps" (root with capDrop: [ALL]).</summary>
public sealed class ContainerAccessFixture : IAsyncLifetime
{
    public const string ViewerToken = "viewer-token-access-0123456789";
    public const string OperatorToken = "operator-token-access-0123456789";
    public const string AdminToken = "admin-token-access-0123456789";
    public const int MaxWriteBytes = 64 * 1024;
    public const long MaxProxyBodyBytes = 4 * 1024 * 1024;

    public TestInstance Instance { get; } = new();
    public AgentHarness Agent { get; private set; } = null!;
    public string Group => Instance.Name("access");
    public string Web => $"{Group}-web-1";
    public string Ws => $"{Group}-ws-1";
    public string Box => $"{Group}-box-1";
    public string ReadOnly => $"{Group}-ro-1";
    public string Nobody => $"{Group}-nobody-1";
    public string Ids => $"{Group}-ids-1";
    public string NoCaps => $"{Group}-nocaps-1";
    private string tokens = null!;

    public async Task InitializeAsync()
    {
        await Instance.InitializeAsync();
        tokens = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokens, $"viewer:{ViewerToken}\noperator:{OperatorToken}\nadmin:{AdminToken}\n");
        Agent = new AgentHarness(Instance, new Dictionary<string, string?>
        {
            ["Agent:Auth:TokensFile"] = tokens,
            ["Agent:Proxy:Timeout"] = "2s",
            ["Agent:Proxy:MaxRequestBodyBytes"] = MaxProxyBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Agent:Files:MaxWriteBytes"] = MaxWriteBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Agent:Files:MaxListBytes"] = "1048576", // below busybox's 2 MB binary: listing / is over it
        });
        Agent.Write("access.yaml", Manifest.Group(Group,
            Service("web", "[\"sh\", \"-c\", \"eval \\\"$SCRIPT\\\"\"]", "upstream-http.sh", "      ports: [\"127.0.0.1::8080\"]\n") +
            Service("ws", "[\"sh\", \"-c\", \"printf '%s\\\\n' \\\"$SCRIPT\\\" > /ws.sh && chmod +x /ws.sh && exec nc -ll -p 8081 -e /ws.sh\"]", "websocket-echo.sh") +
            Manifest.Sleeper("box") + Manifest.Sleeper("ro", "      readOnlyRootFilesystem: true\n") +
            Manifest.Sleeper("nobody", "      user: \"65534\"\n      tmpfs: [\"/scratch\"]\n") + Manifest.Sleeper("ids", "      user: \"1000:1000\"\n") +
            Manifest.Sleeper("nocaps", "      capDrop: [\"ALL\"]\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(Group);
    }

    /// <summary>A busybox service whose command runs the script file (from this folder) it gets in $SCRIPT.</summary>
    private static string Service(string name, string command, string script, string extra = "")
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "ContainerAccess", script)).Select(l => "          " + l);
        return $"    - name: {name}\n      image: {TestEngine.Image}\n      command: {command}\n      stopSignal: SIGKILL\n{extra}" +
               $"      env:\n        SCRIPT: |\n{string.Join("\n", lines)}\n";
    }

    public HttpClient Client(string? token) => Agent.Client(token);

    public async Task DisposeAsync()
    {
        await Agent.DisposeAsync();
        await Instance.DisposeAsync();
        File.Delete(tokens);
    }
}

[CollectionDefinition(Name)]
public sealed class ContainerAccessCollection : ICollectionFixture<ContainerAccessFixture>
{
    public const string Name = "container access";
}
