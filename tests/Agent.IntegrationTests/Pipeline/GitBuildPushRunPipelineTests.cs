using Agent.IntegrationTests.Infrastructure;
using Agent.IntegrationTests.Sources.Git;

namespace Agent.IntegrationTests.Pipeline;

/// <summary>
/// The seeds' pipeline end to end: a local bare git repository holds a Dockerfile and a ServiceGroup whose service is
/// built (build.push: true, image in the local registry) and health-checked; the agent follows it through a
/// GitRepository. A commit is built, pushed to the registry with the configured credentials, run and probed healthy;
/// a second commit that changes the context rebuilds, pushes again and rolls the container.
/// </summary>
public sealed class GitBuildPushRunPipelineTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();
    private readonly TestGitRepository repo = new();
    private LocalRegistry registry = null!;
    private AgentHarness agent = null!;

    private string Group => instance.Name("pipeline");
    private string Image => $"{registry.Host}/{instance.Id}/web:1";

    public async Task InitializeAsync()
    {
        await instance.InitializeAsync();
        registry = await LocalRegistry.StartAsync();
        agent = new AgentHarness(instance, new Dictionary<string, string?>
        {
            ["Agent:Registries:0:Server"] = registry.Host,
            ["Agent:Registries:0:UsernameFile"] = registry.UsernameFile,
            ["Agent:Registries:0:PasswordFile"] = registry.PasswordFile,
            ["Agent:ResyncInterval"] = "00:00:02",
        });
    }

    private void WriteRevision(string page)
    {
        repo.Write("deploy/app/Dockerfile", $"FROM {TestEngine.Image}\nCOPY index.html /www/index.html\nCMD [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n");
        repo.Write("deploy/app/index.html", page + "\n");
        repo.Write("deploy/web.yaml", $"""
            apiVersion: agent/v1
            kind: ServiceGroup
            metadata:
              name: {Group}
            spec:
              services:
                - name: web
                  image: {Image}
                  build:
                    context: ./app
                    push: true
                  stopSignal: SIGKILL
                  healthcheck: {"{"} test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/"], interval: 500ms, retries: 20 {"}"}

            """);
    }

    /// <summary>The page the group's running, healthy container serves, read from inside it (null while there is none).</summary>
    private async Task<string?> ServedAsync()
    {
        var ids = await DockerCli.ContainerIdsAsync(instance.InstanceLabel, $"{instance.Labels.Object}={Group}");
        if (ids.Count != 1) return null;
        var (exit, state, _) = await DockerCli.TryRunAsync("inspect", "--format", "{{.State.Status}} {{.State.Health.Status}}", ids[0]);
        if (exit != 0 || state.Trim() != "running healthy") return null;
        var (ok, page, _) = await DockerCli.TryRunAsync("exec", ids[0], "wget", "-qO-", "http://127.0.0.1:8080/");
        return ok == 0 ? page.Trim() : null;
    }

    private async Task ServesAsync(string page)
    {
        try
        {
            await Eventually.ReturnsAsync(ServedAsync, p => p == page, TimeSpan.FromMinutes(2), $"{page} built, pushed, run and healthy");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nagent log:\n{string.Join("\n", agent.Logs.Lines.TakeLast(25))}", e);
        }
    }

    /// <summary>The digest the registry holds for the tag, read over its HTTP API.</summary>
    private async Task<string> RegistryDigestAsync()
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Head, $"http://127.0.0.1:{registry.Port}/v2/{instance.Id}/web/manifests/1");
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{LocalRegistry.User}:{LocalRegistry.Password}")));
        request.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode ? response.Headers.GetValues("Docker-Content-Digest").Single() : $"{(int)response.StatusCode}";
    }

    [Fact]
    public async Task A_commit_is_built_pushed_run_and_healthy_and_the_next_commit_rebuilds_and_rolls()
    {
        WriteRevision("v1");
        repo.CommitAndPush("v1");
        agent.Write("source.yaml", $"apiVersion: agent/v1\nkind: GitRepository\nmetadata:\n  name: {instance.Name("src")}\nspec:\n  url: {repo.FileUrl}\n  ref:\n    branch: main\n  interval: 1s\n  path: deploy\n");
        await agent.StartAsync();

        await ServesAsync("v1");
        var firstImage = await DockerCli.InspectAsync(Image, "{{.Id}}");
        var firstDigest = await RegistryDigestAsync();
        Assert.StartsWith("sha256:", firstDigest);
        Assert.Contains($"{registry.Host}/{instance.Id}/web@{firstDigest}", await DockerCli.InspectAsync(Image, "{{join .RepoDigests \" \"}}"));
        var firstContainer = (await DockerCli.ContainerIdsAsync(instance.InstanceLabel, $"{instance.Labels.Object}={Group}")).Single();

        WriteRevision("v2");
        repo.CommitAndPush("v2: the page changes");
        await ServesAsync("v2");
        Assert.NotEqual(firstImage, await DockerCli.InspectAsync(Image, "{{.Id}}"));
        var secondContainer = (await DockerCli.ContainerIdsAsync(instance.InstanceLabel, $"{instance.Labels.Object}={Group}")).Single();
        Assert.NotEqual(firstContainer, secondContainer);
        await Eventually.ReturnsAsync(RegistryDigestAsync, d => d.StartsWith("sha256:", StringComparison.Ordinal) && d != firstDigest,
            TimeSpan.FromSeconds(30), "the registry holds the v2 image under the tag");
        Assert.Contains(await RegistryDigestAsync(), await DockerCli.InspectAsync(Image, "{{join .RepoDigests \" \"}}"));
    }

    public async Task DisposeAsync()
    {
        await agent.DisposeAsync();
        await instance.DisposeAsync();
        await registry.DisposeAsync();
        repo.Dispose();
    }
}
