namespace Agent.IntegrationTests.Infrastructure;

/// <summary>Debian's docker-compose 1.29, the reference the agent's compose support is compared with.</summary>
public static class DockerCompose
{
    public static async Task<string> RunAsync(string project, string file, params string[] args)
    {
        var (exit, stdout, stderr) = await ExternalTool.RunAsync("docker-compose", ["-p", project, "-f", file, .. args],
            environment: new Dictionary<string, string> { ["COMPOSE_HTTP_TIMEOUT"] = "120", ["DOCKER_BUILDKIT"] = "0" }, timeout: TimeSpan.FromMinutes(3));
        if (exit != 0) throw new InvalidOperationException($"docker-compose -p {project} {string.Join(' ', args)} exited {exit}: {stderr}");
        return stdout.Trim();
    }

    /// <summary>Removes everything a docker-compose project made (containers, its networks, its volumes).</summary>
    public static async Task DownAsync(string project, string file) =>
        await ExternalTool.RunAsync("docker-compose", ["-p", project, "-f", file, "down", "-v", "-t", "0"], timeout: TimeSpan.FromMinutes(3));
}
