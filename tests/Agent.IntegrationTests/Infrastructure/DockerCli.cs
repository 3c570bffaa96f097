namespace Agent.IntegrationTests.Infrastructure;

/// <summary>The independent oracle: the docker CLI, which shares no code with the agent's adapter.</summary>
public static class DockerCli
{
    public static async Task<string> RunAsync(params string[] args)
    {
        var (exit, stdout, stderr) = await TryRunAsync(args);
        if (exit != 0 && args is ["rm", ..] && stderr.Contains("already in progress") && await GoneAsync(args[1..].Where(a => !a.StartsWith('-'))))
            return "";
        if (exit != 0) throw new InvalidOperationException($"docker {string.Join(' ', args)} exited {exit}: {stderr}");
        return stdout.Trim();
    }

    // The agent may remove the same container at the same moment (it saw it die); the engine answers the second
    // removal 409 "already in progress". The test's intent holds once the container is gone.
    private static async Task<bool> GoneAsync(IEnumerable<string> containers)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        foreach (var container in containers)
            while (await ExistsAsync("container", container))
            {
                if (DateTime.UtcNow > deadline) return false;
                await Task.Delay(100);
            }
        return true;
    }

    public static Task<(int Exit, string Stdout, string Stderr)> TryRunAsync(params string[] args) => ExternalTool.RunAsync("docker", args);

    /// <summary>Ids of containers (running or not) with all these labels.</summary>
    public static async Task<IReadOnlyList<string>> ContainerIdsAsync(params string[] labels)
    {
        var args = new List<string> { "ps", "-aq", "--no-trunc" };
        foreach (var label in labels) { args.Add("--filter"); args.Add($"label={label}"); }
        var output = await RunAsync([.. args]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static async Task<string> InspectAsync(string id, string format) => await RunAsync("inspect", "--format", format, id);

    /// <summary>Whether the engine has the object: <c>ExistsAsync("volume", name)</c>, "network", "image", "container".</summary>
    public static async Task<bool> ExistsAsync(string type, string name) => (await TryRunAsync(type, "inspect", name)).Exit == 0;
}
